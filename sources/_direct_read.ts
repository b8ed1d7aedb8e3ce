/**
 * Plain file reads of a contiguous dataset: for a dataset stored in one piece,
 * unfiltered and little-endian (h5py's and megflow's recordings), the samples of a
 * block are read with `Deno.FsFile` reads straight to where the reader wants them,
 * instead of going through HDF5 (about half the time of an h5wasm hyperslab read).
 *
 * The dataset's byte offset comes from its data layout message (version 3 or 4, class 1
 * "contiguous": address, then size), found by scanning the 64 kB from the superblock on
 * (its start and address sizes as `checkHdf5File` read them when the file was opened) for
 * one whose size is the dataset's exact byte count; a candidate is used only once samples
 * read through HDF5 at three places (the first row's start, a middle row, the last row's
 * end) equal the bytes at the offset it gives. Anything else (chunked or filtered
 * storage, big-endian samples, a layout message beyond those 64 kB, a failed check)
 * gives `undefined`, and the reader keeps to HDF5.
 *
 * @module
 */

import { type H5Module, type OpenRecording, readAddress, readExactly } from "./_h5.ts";

const LITTLE_ENDIAN_PLATFORM = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** Bytes scanned for the layout message from the superblock on (h5py's and h5wasm's files have it within the first 2 kB). */
const SCAN_BYTES = 65536;
/** Samples compared per probe. */
const PROBE_SAMPLES = 64;

/** An open file whose dataset is read with plain reads. */
export interface DirectDataset {
  /** The open file. */
  handle: Deno.FsFile;
  /** Absolute byte offset of sample `[0, 0]`. */
  offset: number;
  /** Columns (samples per row). */
  columns: number;
  /** Bytes per element. */
  elementBytes: number;
}

/**
 * Opens the dataset of `open` for plain reads, or returns `undefined` when it is not
 * stored so that plain reads can serve it (see the module notes).
 */
export function openDirect(module: H5Module, open: OpenRecording): DirectDataset | undefined {
  const { info } = open;
  if (
    !LITTLE_ENDIAN_PLATFORM || info.chunks !== null || info.filters.length > 0 || !info.littleEndian ||
    (info.dtype !== "float64" && info.dtype !== "float32") || info.shape.length !== 2
  ) return undefined;
  let handle: Deno.FsFile;
  try {
    handle = Deno.openSync(open.file.path, { read: true });
  } catch {
    return undefined;
  }
  try {
    const offset = contiguousOffset(module, open, handle);
    if (offset !== undefined) {
      return { handle, offset, columns: info.shape[1], elementBytes: info.elementBytes };
    }
  } catch {
    // any doubt: read through HDF5
  }
  handle.close();
  return undefined;
}

/**
 * Reads columns `[t0, t1)` of rows `[0, rows)` into `out`, channel-major
 * (`rows * (t1 - t0) * elementBytes` bytes).
 *
 * @throws {DataFileError} when the file ends early (it changed after it was opened).
 */
export function readDirect(direct: DirectDataset, path: string, rows: number, t0: number, t1: number, out: Uint8Array) {
  const { handle, offset, columns, elementBytes } = direct;
  const rowBytes = (t1 - t0) * elementBytes;
  for (let c = 0; c < rows; c++) {
    readExactly(
      path,
      handle,
      offset + (c * columns + t0) * elementBytes,
      out.subarray(c * rowBytes, (c + 1) * rowBytes),
    );
  }
}

/** The verified absolute offset of the dataset's samples, or `undefined`. */
function contiguousOffset(module: H5Module, open: OpenRecording, handle: Deno.FsFile): number | undefined {
  const { file, info } = open;
  const [rows, columns] = info.shape;
  const dataBytes = rows * columns * info.elementBytes;
  const { base, offsetBytes, lengthBytes } = file.superblock;
  if (!(lengthBytes >= 2 && lengthBytes <= 8)) return undefined;
  const head = new Uint8Array(Math.min(file.size - base, SCAN_BYTES));
  readExactly(file.path, handle, base, head);
  const end = head.length - 2 - offsetBytes - lengthBytes;
  for (let i = 0; i <= end; i++) {
    if ((head[i] !== 3 && head[i] !== 4) || head[i + 1] !== 1) continue;
    if (readAddress(head, i + 2 + offsetBytes, lengthBytes) !== dataBytes) continue;
    const address = readAddress(head, i + 2, offsetBytes);
    if (address === undefined) continue;
    const at = base + address;
    if (at + dataBytes <= file.size && samplesMatch(module, open, handle, at)) return at;
  }
  return undefined;
}

/** Whether samples read through HDF5 at three places equal the bytes at `offset`. */
function samplesMatch(module: H5Module, open: OpenRecording, handle: Deno.FsFile, offset: number): boolean {
  const { file, info } = open;
  const [rows, columns] = info.shape;
  const k = Math.min(PROBE_SAMPLES, columns);
  const bytes = k * info.elementBytes;
  const probes = [[0, 0], [rows >> 1, (columns - k) >> 1], [rows - 1, columns - k]];
  const pointer = module._malloc(bytes);
  if (pointer === 0) return false;
  try {
    const fromFile = new Uint8Array(bytes);
    for (const [row, column] of probes) {
      file.readColumns(info.name, 1, column, column + k, pointer, row);
      readExactly(file.path, handle, offset + (row * columns + column) * info.elementBytes, fromFile);
      const fromHdf5 = new Uint8Array(module.HEAPU8.buffer, pointer, bytes);
      for (let i = 0; i < bytes; i++) if (fromHdf5[i] !== fromFile[i]) return false;
    }
    return true;
  } finally {
    module._free(pointer);
  }
}
