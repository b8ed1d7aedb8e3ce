/**
 * Private h5wasm helpers of the h5 reader: opening a recording file with
 * validation, reading column hyperslabs into a caller's wasm buffer, and turning
 * HDF5 failures into {@linkcode DataFileError}s.
 *
 * HDF5 errors: h5wasm prints the HDF5 error stack to stderr and returns -1 or
 * garbage (a failed `H5Dread` leaves the output buffer as it was). Around every HDF5
 * call made here the reader switches on h5wasm's throwing error handler, which turns
 * the stack into a JavaScript error instead of printing it, and switches it off again
 * so that other h5wasm users in the process keep the default behaviour. That handler
 * leaves its temporary file open; {@linkcode callHdf5} closes it. When HDF5 fails
 * after h5wasm has opened an object in the file (a corrupt object header or compressed
 * chunk), the exception skips h5wasm's cleanup of that object, so HDF5 keeps the file
 * open (one descriptor, shared by later opens of the same file). h5wasm offers no call
 * that closes such objects, so once {@linkcode LEAKED_FILES_LIMIT} files are held so,
 * the module is retired for a fresh instance of the same wasm and their descriptors are
 * closed (see {@linkcode h5Module}): a long-lived process (the prediction server reading
 * uploads) holds at most that many, however many corrupt files it is given.
 *
 * Cheap checks come first, in JavaScript, so that the common problems never reach
 * HDF5: missing file, wrong signature, truncated file.
 *
 * @module
 */

import h5wasm from "h5wasm/node";
import { DataFileError } from "../core/errors.ts";

/** The h5wasm module (the emscripten module with the HDF5 bindings). */
export type H5Module = Awaited<typeof h5wasm.ready>;

/** The HDF5 format signature, at byte 0 or after a user block of 512, 1024, 2048, ... bytes. */
export const HDF5_SIGNATURE: readonly number[] = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

let openFiles = 0;

/** Number of h5 files opened by this module and not yet closed (for tests and leak checks). */
export function openH5FileCount(): number {
  return openFiles;
}

let current: Promise<H5Module> = h5wasm.ready;
/** Open {@linkcode H5File}s per module and path: a path's stream left after its last one closed is a leak. */
const openPaths = new WeakMap<H5Module, Map<string, number>>();
let recycled = 0;

/**
 * Resolves to the h5wasm module that reads files now: h5wasm's own, until a corrupt file
 * left HDF5 holding a file open (see {@linkcode H5File.close}); from then on a fresh
 * instance of the same wasm, so that the stale HDF5 state of that file stays behind.
 */
export function h5Module(): Promise<H5Module> {
  return current;
}

/** How many times the reading module was replaced after a leak (for tests and leak checks). */
export function recycledH5ModuleCount(): number {
  return recycled;
}

/** A new instance of h5wasm's module, or `undefined` where its factory cannot be loaded (no local npm files). */
async function freshModule(): Promise<H5Module | undefined> {
  try {
    const url = import.meta.resolve("h5wasm/node");
    if (!url.startsWith("file:")) return undefined;
    const factory: (options: object) => Promise<H5Module> = (await import(new URL("./hdf5_util.js", url).href)).default;
    return await factory({ noInitialRun: true });
  } catch {
    return undefined;
  }
}

function streamsOf(module: H5Module, path: string): EmscriptenStream[] {
  const fs = module.FS as unknown as EmscriptenFS;
  return (fs.streams ?? []).filter((stream): stream is EmscriptenStream => stream?.path === path);
}

/**
 * Files HDF5 may keep open after a failure inside them (one descriptor each) before the
 * module that holds them is retired.
 */
export const LEAKED_FILES_LIMIT = 16;
/** Paths HDF5 keeps open per module after their last close. */
const leakedPaths = new WeakMap<H5Module, Set<string>>();

/**
 * HDF5 failed inside an object of `path` and kept the file open (one file descriptor)
 * after its last close. The descriptor stays open (HDF5's record of the file holds it, and
 * keeps the file's inode from being reused under it) until {@linkcode LEAKED_FILES_LIMIT}
 * such files accumulate in a module: that module is then retired, later reads use a fresh
 * one, and the retired module's leaked descriptors are closed (the reader never opens a
 * file with the retired module again, so no open of it finds HDF5's stale records; h5wasm's
 * own module may be retired so while other code writes files with it, which could then meet
 * a stale record only for a new file that reuses the inode of a leaked one). Where no fresh
 * module can be made (no local npm files, as from JSR), the descriptors stay open.
 */
function retire(module: H5Module, path: string): void {
  const leaked = leakedPaths.get(module) ?? new Set<string>();
  leakedPaths.set(module, leaked.add(path));
  if (leaked.size < LEAKED_FILES_LIMIT) return;
  leakedPaths.delete(module);
  current = current.then(async (now) => {
    if (now !== module) return now;
    const fresh = await freshModule();
    if (fresh === undefined) return now;
    recycled++;
    const fs = module.FS as unknown as EmscriptenFS;
    for (const stream of [...leaked].flatMap((p) => streamsOf(module, p))) {
      try {
        fs.close(stream);
      } catch {
        // already closed
      }
    }
    return fresh;
  });
}

/** What the one dataset of a file looks like. */
export interface H5DatasetInfo {
  /** Dataset name without the leading `/`. */
  name: string;
  /** Dimensions, e.g. `[248, 35624]`. */
  shape: number[];
  /** numpy-style dtype name: `float64`, `float32`, `int16`, `uint8`, ... */
  dtype: string;
  /** Bytes per element. */
  elementBytes: number;
  /** Whether the elements are stored little-endian. */
  littleEndian: boolean;
  /** Chunk dimensions, or `null` for contiguous storage. */
  chunks: number[] | null;
  /** Names of the filters of a chunked dataset, e.g. `["shuffle", "deflate"]`. */
  filters: string[];
}

interface EmscriptenStream {
  path?: string;
}

interface EmscriptenFS {
  streams: (EmscriptenStream | null | undefined)[];
  close(stream: EmscriptenStream): void;
}

/**
 * Runs `fn` with h5wasm's throwing HDF5 error handler active, so that HDF5 reports
 * failures as exceptions instead of printing its error stack. Any exception becomes a
 * {@linkcode DataFileError} about `path` that starts with `doing` and ends with the
 * innermost HDF5 message.
 */
export function callHdf5<T>(module: H5Module, path: string, doing: string, fn: () => T): T {
  module.activate_throwing_error_handler();
  try {
    return fn();
  } catch (error) {
    closeLeakedErrorFiles(module);
    if (error instanceof DataFileError) throw error;
    throw new DataFileError(path, `${doing}: ${hdf5Message(error)}`, { cause: error });
  } finally {
    module.deactivate_throwing_error_handler();
  }
}

/** The innermost message of an HDF5 error stack, or the first line of another error. */
export function hdf5Message(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const lines = text.split("\n");
  let innermost: string | undefined;
  let minor: string | undefined;
  for (const line of lines) {
    const frame = /#\d+: .* in [\w:]+\(\): (.*)$/.exec(line);
    if (frame) {
      innermost = frame[1].trim();
      minor = undefined;
      continue;
    }
    const minorLine = /^\s*minor: (.*)$/.exec(line);
    if (minorLine && innermost !== undefined) minor = minorLine[1].trim();
  }
  if (innermost === undefined) return `HDF5 error: ${lines.find((line) => line.trim() !== "")?.trim() ?? text}`;
  return `HDF5 error: ${innermost}${
    minor && !innermost.toLowerCase().includes(minor.toLowerCase()) ? ` (${minor})` : ""
  }`;
}

// The throwing handler prints the stack into tmpfile() and throws before fclose().
function closeLeakedErrorFiles(module: H5Module): void {
  const fs = module.FS as unknown as EmscriptenFS;
  for (const stream of fs.streams ?? []) {
    if (stream && typeof stream.path === "string" && stream.path.startsWith("/tmp/tmpfile_")) {
      try {
        fs.close(stream);
      } catch {
        // already closed
      }
    }
  }
}

function readHead(path: string, file: Deno.FsFile, position: number, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  readExactly(path, file, position, bytes);
  return bytes;
}

/**
 * Fills `out` with the bytes of `file` from `position` on.
 *
 * @throws {DataFileError} naming `path` when the file ends first.
 */
export function readExactly(path: string, file: Deno.FsFile, position: number, out: Uint8Array): void {
  file.seekSync(position, Deno.SeekMode.Start);
  let filled = 0;
  while (filled < out.length) {
    const n = file.readSync(out.subarray(filled));
    if (n === null || n === 0) break;
    filled += n;
  }
  if (filled < out.length) throw new DataFileError(path, `truncated file: ends at byte ${position + filled}`);
}

function hasSignature(bytes: Uint8Array): boolean {
  return HDF5_SIGNATURE.every((byte, i) => bytes[i] === byte);
}

function describeBytes(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) {
    const printable = byte >= 0x20 && byte < 0x7f && byte !== 0x5c && byte !== 0x22;
    text += printable ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, "0")}`;
  }
  return `"${text}"`;
}

/** The little-endian unsigned integer of `size` bytes at `offset`, or `undefined` for HDF5's undefined address (all bytes 0xff). */
export function readAddress(bytes: Uint8Array, offset: number, size: number): number | undefined {
  let value = 0;
  let undefinedAddress = true;
  for (let i = size - 1; i >= 0; i--) {
    const byte = bytes[offset + i];
    if (byte !== 0xff) undefinedAddress = false;
    value = value * 256 + byte;
  }
  return undefinedAddress ? undefined : value;
}

function openForReading(path: string): Deno.FsFile {
  try {
    return Deno.openSync(path, { read: true });
  } catch (error) {
    throw new DataFileError(path, `cannot open file: ${(error as Error).message}`, { cause: error });
  }
}

/** What {@linkcode checkHdf5File} learns of a file. */
export interface Hdf5FileFacts {
  /** Size in bytes. */
  size: number;
  /** Byte offset of the superblock (0, or the size of a user block); HDF5's addresses are relative to it. */
  base: number;
  /** Size of an address ("offset") in bytes: 2, 4 or 8. */
  offsetBytes: number;
  /** Size of a length in bytes, as the superblock gives it. */
  lengthBytes: number;
}

/**
 * Checks that `path` is a complete HDF5 file before HDF5 sees it: it exists, is a file,
 * carries the HDF5 signature at byte 0 (or after a user block) and is at least as long
 * as its superblock says.
 *
 * @returns The file size, where its superblock starts and its address and length sizes.
 */
export function checkHdf5File(path: string): Hdf5FileFacts {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new DataFileError(path, "file does not exist", { cause: error });
    }
    throw new DataFileError(path, `cannot open file: ${(error as Error).message}`, { cause: error });
  }
  if (!info.isFile) throw new DataFileError(path, "expected an HDF5 file, found a folder or special file");
  const size = info.size;
  if (size === 0) throw new DataFileError(path, "not an HDF5 file: the file is empty");
  using file = openForReading(path);
  let base: number | undefined;
  for (let offset = 0; offset + HDF5_SIGNATURE.length <= size; offset = offset === 0 ? 512 : offset * 2) {
    if (hasSignature(readHead(path, file, offset, HDF5_SIGNATURE.length))) {
      base = offset;
      break;
    }
  }
  if (base === undefined) {
    const first = readHead(path, file, 0, Math.min(size, HDF5_SIGNATURE.length));
    throw new DataFileError(
      path,
      `not an HDF5 file: expected the signature "\\x89HDF\\r\\n\\x1a\\n" at byte 0 (or 512, 1024, 2048, ...), ` +
        `found ${describeBytes(first)} at byte 0`,
    );
  }
  // Superblock: version at byte 8. v0/v1: sizes of offsets and lengths at 13 and 14,
  // addresses (base, free space, end of file, driver) at 24 (v0) or 28 (v1). v2/v3: sizes
  // of offsets and lengths at 9 and 10, addresses (base, extension, end of file, root) at
  // 12. The end-of-file address is absolute (it includes the user block).
  const available = Math.min(size - base, 64);
  const head = readHead(path, file, base, available);
  const version = head[8];
  let offsetBytes: number;
  let lengthBytes: number;
  let eofAt: number;
  if (version === 0 || version === 1) {
    offsetBytes = head[13];
    lengthBytes = head[14];
    eofAt = (version === 0 ? 24 : 28) + 2 * offsetBytes;
  } else if (version === 2 || version === 3) {
    offsetBytes = head[9];
    lengthBytes = head[10];
    eofAt = 12 + 2 * offsetBytes;
  } else {
    throw new DataFileError(path, `corrupt HDF5 file: expected superblock version 0 to 3, found ${version}`);
  }
  if (![2, 4, 8].includes(offsetBytes)) {
    throw new DataFileError(
      path,
      `corrupt HDF5 file: expected an address size of 2, 4 or 8 bytes, found ${offsetBytes}`,
    );
  }
  if (eofAt + offsetBytes > available) {
    throw new DataFileError(path, `truncated file: it ends at byte ${size}, inside the HDF5 superblock`);
  }
  const storedEof = readAddress(head, eofAt, offsetBytes);
  if (storedEof !== undefined && storedEof > size) {
    throw new DataFileError(path, `truncated file: its HDF5 superblock says ${storedEof} bytes, the file has ${size}`);
  }
  return { size, base, offsetBytes, lengthBytes };
}

const FILTER_NAMES: Record<number, string> = {
  1: "deflate",
  2: "shuffle",
  3: "fletcher32",
  4: "szip",
  5: "nbit",
  6: "scaleoffset",
  32000: "lzf",
  32001: "blosc",
  32004: "lz4",
  32008: "bitshuffle",
  32015: "zstd",
};

/** Filters built into HDF5 (szip only when HDF5 was built with it: HDF5 itself reports that). */
const BUILT_IN_FILTERS = new Set([1, 2, 3, 4, 5, 6]);

function dtypeName(module: H5Module, type: number, size: number, signed: boolean): string {
  if (type === module.H5T_class_t.H5T_FLOAT.value) return `float${size * 8}`;
  if (type === module.H5T_class_t.H5T_INTEGER.value) return `${signed ? "int" : "uint"}${size * 8}`;
  const entry = Object.entries(module.H5T_class_t).find(([, value]) => value.value === type);
  return entry ? entry[0].replace(/^H5T_/, "").toLowerCase() : `HDF5 type class ${type}`;
}

/** An open h5 file. {@linkcode close} is idempotent. */
export class H5File {
  readonly path: string;
  readonly size: number;
  /** Where the superblock starts and its address and length sizes (see {@linkcode checkHdf5File}). */
  readonly superblock: Omit<Hdf5FileFacts, "size">;
  #module: H5Module;
  #fileId: bigint;
  #open = true;

  /**
   * Opens `path` read-only after {@linkcode checkHdf5File}.
   *
   * @throws {DataFileError} for a missing, non-HDF5, truncated or unreadable file.
   */
  constructor(module: H5Module, path: string) {
    const { size, ...superblock } = checkHdf5File(path);
    this.size = size;
    this.superblock = superblock;
    this.path = path;
    this.#module = module;
    const fileId = callHdf5(
      module,
      path,
      "cannot open HDF5 file",
      () => module.open(path, module.H5F_ACC_RDONLY, false, -1, -1),
    );
    if (fileId < 0n) throw new DataFileError(path, "cannot open HDF5 file");
    this.#fileId = fileId;
    openFiles++;
    const paths = openPaths.get(module) ?? new Map<string, number>();
    openPaths.set(module, paths.set(path, (paths.get(path) ?? 0) + 1));
  }

  /** Whether the file is still open. */
  get isOpen(): boolean {
    return this.#open;
  }

  /** Paths (without leading `/`) of every dataset in the file, groups searched recursively. */
  datasetNames(): string[] {
    this.#assertOpen();
    const module = this.#module;
    return callHdf5(module, this.path, "cannot list the objects of the HDF5 file", () => {
      const names = module.get_names(this.#fileId, "/", true);
      return names.filter((name) => module.get_type(this.#fileId, `/${name}`) === module.H5G_DATASET);
    });
  }

  /** Shape, dtype and storage of the dataset `name`. */
  datasetInfo(name: string): H5DatasetInfo {
    this.#assertOpen();
    const module = this.#module;
    return callHdf5(module, this.path, `cannot read the metadata of dataset ${name}`, () => {
      const metadata = module.get_dataset_metadata(this.#fileId, `/${name}`);
      const filters = module.get_dataset_filters(this.#fileId, `/${name}`) ?? [];
      const unsupported = filters.filter((filter) => !BUILT_IN_FILTERS.has(filter.id));
      if (unsupported.length > 0) {
        const names = unsupported.map((f) => `${f.name || FILTER_NAMES[f.id] || "unknown"} (filter id ${f.id})`);
        throw new DataFileError(
          this.path,
          `dataset ${name} is compressed with ${names.join(", ")}, which h5wasm cannot decode; ` +
            "expected no compression or gzip (deflate), optionally with shuffle",
        );
      }
      return {
        name,
        shape: metadata.shape ?? [],
        dtype: dtypeName(module, metadata.type, metadata.size, metadata.signed),
        elementBytes: metadata.size,
        littleEndian: metadata.littleEndian,
        chunks: metadata.chunks,
        filters: filters.map((filter) => filter.name || FILTER_NAMES[filter.id] || `filter ${filter.id}`),
      };
    });
  }

  /**
   * Reads rows `[firstRow, firstRow + nRows)` and columns `[t0, t1)` of the 2-D dataset `name`
   * into the wasm heap at `pointer`, which must hold `nRows * (t1 - t0) * elementBytes` bytes.
   */
  readColumns(name: string, nRows: number, t0: number, t1: number, pointer: number, firstRow = 0): void {
    this.#assertOpen();
    const module = this.#module;
    const status = callHdf5(
      module,
      this.path,
      `cannot read samples ${t0} to ${t1 - 1} of dataset ${name}`,
      () =>
        module.get_dataset_data(
          this.#fileId,
          `/${name}`,
          [BigInt(nRows), BigInt(t1 - t0)],
          [BigInt(firstRow), BigInt(t0)],
          [1n, 1n],
          BigInt(pointer),
        ),
    );
    if (status < 0) {
      throw new DataFileError(
        this.path,
        `cannot read samples ${t0} to ${t1 - 1} of dataset ${name}: HDF5 status ${status}`,
      );
    }
  }

  /** Closes the file; further calls do nothing. */
  close(): void {
    if (!this.#open) return;
    this.#open = false;
    openFiles--;
    const module = this.#module;
    try {
      callHdf5(module, this.path, "cannot close HDF5 file", () => module.close_file(this.#fileId));
    } catch {
      // The file is as closed as HDF5 can make it; a failed close must not hide the
      // error that led here, and reading is over either way.
    }
    const paths = openPaths.get(module)!;
    const left = paths.get(this.path)! - 1;
    if (left > 0) paths.set(this.path, left);
    else {
      paths.delete(this.path);
      if (streamsOf(module, this.path).length > 0) retire(module, this.path);
    }
  }

  #assertOpen(): void {
    if (!this.#open) throw new DataFileError(this.path, "the file has been closed");
  }
}

/** What a recording file must hold. */
export interface RecordingExpectation {
  /** Name of its one dataset, `<taskType>_<subject>`; `null` accepts the one dataset whatever its name. */
  datasetName: string | null;
  /** Number of rows (sensors). */
  expectedChannels: number;
}

/** An open, validated recording file. */
export interface OpenRecording {
  file: H5File;
  info: H5DatasetInfo;
}

/**
 * Opens a recording file and checks that it holds exactly one 2-D float dataset named
 * `expected.datasetName` (any name when it is `null`) with `expected.expectedChannels` rows. The file is closed again
 * when a check fails.
 *
 * @throws {DataFileError} naming the file, what was expected and what was found.
 */
export function openRecordingFile(module: H5Module, path: string, expected: RecordingExpectation): OpenRecording {
  const file = new H5File(module, path);
  try {
    return { file, info: validateRecording(file, expected) };
  } catch (error) {
    file.close();
    throw error;
  }
}

function validateRecording(file: H5File, expected: RecordingExpectation): H5DatasetInfo {
  const { path } = file;
  const { datasetName, expectedChannels } = expected;
  const names = file.datasetNames();
  const wanted = datasetName === null ? "dataset" : `dataset named ${datasetName}`;
  if (names.length === 0) {
    throw new DataFileError(path, `expected one ${wanted}, found no dataset`);
  }
  if (names.length > 1) {
    throw new DataFileError(path, `expected exactly one ${wanted}, found ${names.length}: ${names.join(", ")}`);
  }
  if (datasetName !== null && names[0] !== datasetName) {
    throw new DataFileError(path, `expected one dataset named ${datasetName}, found one named ${names[0]}`);
  }
  const info = file.datasetInfo(names[0]);
  const shape = `[${info.shape.join(", ")}]`;
  if (info.shape.length !== 2) {
    throw new DataFileError(
      path,
      `expected a 2-D dataset [${expectedChannels}, nTimes], found ${info.shape.length}-D shape ${shape}`,
    );
  }
  const [rows, columns] = info.shape;
  if (rows !== expectedChannels) {
    const transposed = columns === expectedChannels ? ", which looks transposed ([nTimes, channels])" : "";
    throw new DataFileError(
      path,
      `expected ${expectedChannels} rows (channels) x nTimes, found shape ${shape}${transposed}`,
    );
  }
  if (columns < 1) throw new DataFileError(path, `expected at least one sample, found shape ${shape}`);
  if (info.dtype !== "float64" && info.dtype !== "float32") {
    throw new DataFileError(path, `expected float64 or float32 samples, found dtype ${info.dtype}`);
  }
  const dataBytes = rows * columns * info.elementBytes;
  if (info.chunks === null && file.size < dataBytes) {
    throw new DataFileError(
      path,
      `truncated file: its ${shape} ${info.dtype} dataset needs ${dataBytes} bytes, the file has ${file.size}`,
    );
  }
  return info;
}
