/**
 * The h5 source: one recording as a cold Observable of time blocks.
 *
 * @module
 */

import { Observable } from "rxjs";
import type { H5Module, OpenRecording, openRecordingFile } from "./_h5.ts";
import type { DirectDataset, openDirect, readDirect } from "./_direct_read.ts";
import { DataFileError } from "../core/errors.ts";
import { firstNonFinite } from "../core/_first_non_finite.ts";
import { magnes3600Layout } from "../core/layout.ts";
import type { PullGate } from "../core/pull_gate.ts";
import { type Block, N_SENSORS, RAW_SFREQ, type Recording } from "../core/types.ts";

/** Options of {@linkcode readBlocks}. */
export interface ReadBlocksOptions {
  /**
   * Samples (columns) per block; the last block of a recording may be shorter.
   * Decides the memory per block: 248 x 4096 float64 is 8.1 MB, held once in the wasm
   * heap (which never shrinks) and once per block in JavaScript. Default 4096.
   */
  blockSamples?: number;
  /** Sampling rate of the file in Hz, copied into every block. Default {@linkcode RAW_SFREQ} (2034). */
  sfreq?: number;
  /**
   * Backpressure: when given, the reader awaits `gate.ready()` before each hyperslab
   * read, so it reads only as fast as the sink releases items. Default: none (the
   * reader emits every block as fast as it can read).
   */
  gate?: Pick<PullGate, "ready">;
  /** Number of rows (sensors) every file must have. Default {@linkcode N_SENSORS} (248). */
  expectedChannels?: number;
  /** Read only the first `maxSamples` samples of each recording (quick runs). Default: all. */
  maxSamples?: number;
  /**
   * `true`: blocks hold `Float32Array`s (converted from float64 files). `false`: blocks
   * keep the file's precision, `Float64Array` for float64 files (the real data) and
   * `Float32Array` for float32 files. Default `false`.
   */
  float32?: boolean;
  /**
   * `true`: a block's data is a view of the reader's buffer in the wasm heap instead of a
   * copy, valid only until the subscriber's `next` returns (the next read overwrites it).
   * For a consumer that copies each block synchronously, such as `resample`, this saves
   * one copy (and one allocation) of every block. Ignored when `float32` converts float64
   * samples (that makes a copy anyway). Default `false`.
   */
  borrow?: boolean;
  /**
   * `true`: a contiguous, unfiltered, little-endian dataset (h5py's and megflow's files) is
   * read with plain file reads at its byte offset, found in its layout message and checked
   * against samples read through HDF5; any other dataset is read through h5wasm. The values
   * are the same either way. `false`: always through h5wasm. Default `true`.
   */
  direct?: boolean;
  /**
   * `false`: blocks are not checked for NaN or infinite values. For a consumer that checks
   * something cheaper instead and reads the recording again with the check on to name the
   * bad sample (as the resampling readers do: a non-finite input always makes a non-finite
   * resampled output). Default `true`.
   */
  checkFinite?: boolean;
}

/**
 * Reads one recording as consecutive blocks of all channels, `[nChans, blockSamples]`
 * channel-major, through h5wasm hyperslab reads; the whole matrix is never read at once.
 *
 * The Observable is cold: every subscription opens the file anew, and closes it when the
 * last block has been emitted (before `complete`), on error (before `error`) and on
 * unsubscribe. With a `gate` it is pull-driven: each hyperslab read waits for
 * `gate.ready()`, and nothing more is read once the subscriber has unsubscribed.
 *
 * Memory: the wasm heap holds one block buffer per open file
 * (`expectedChannels * blockSamples * 8` bytes for float64, 8.1 MB at the defaults) plus
 * HDF5's chunk cache and decompression buffers for chunked files. The heap starts at
 * about 19 MB and never shrinks, so its peak is set by the block size and the number of
 * files open at once: measured on a 248 x 35624 float64 file, blocks of up to 4096
 * samples stay within the initial 19 MB, 8192 grow it to 23 MB, 16384 to 43 MB, and one
 * whole-file block to 74 MB (a gzip file with 4096-sample blocks: 33 MB). Each emitted
 * block is a fresh JavaScript array that the consumer owns. Without a `gate` the blocks
 * of a file are read back to back; a slower asynchronous consumer then buffers them.
 *
 * Every file problem is a {@linkcode DataFileError} whose message starts with the file's
 * path and says what was expected and what was found: missing file, not an HDF5 file,
 * truncated or corrupt file, not exactly one dataset, a dataset name other than
 * `recording.datasetName`, a shape other than `[expectedChannels, nTimes]` (a transposed
 * matrix is pointed out), a dtype other than float64 or float32, and a NaN or infinite
 * value (with its channel row, channel name and sample index).
 *
 * @param recording The recording to read (`path` and `datasetName` are used; the block
 *   records carry it along).
 * @param options Block size, sampling rate, gate, expected channels, sample limit, output
 *   precision.
 * @returns A cold Observable of blocks with `startSample` 0, `blockSamples`, ...
 * @throws {TypeError} when `recording` has no string `path` and `datasetName`, or `gate`
 *   has no `ready()` method.
 * @throws {RangeError} when `blockSamples`, `expectedChannels` or `maxSamples` is not a
 *   positive integer or `sfreq` is not a positive number.
 *
 * @example
 * ```ts
 * import { lastValueFrom, toArray } from "rxjs";
 * import { readBlocks } from "./read_blocks.ts";
 * import { parseRecordingFileName } from "./parse_recording_file_name.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const path = "tests/fixtures/h5py/valid/Cross/test1/rest_162935_9.h5"; // 248 x 300 float64
 * const recording = { path, split: "Cross/test1", ...parseRecordingFileName(path) };
 * const blocks = await lastValueFrom(readBlocks(recording, { blockSamples: 128 }).pipe(toArray()));
 * assertEquals(blocks.map((b) => [b.startSample, b.nTimes]), [[0, 128], [128, 128], [256, 44]]);
 * assertEquals(blocks[0].data.length, 248 * 128);
 * ```
 */
export function readBlocks(recording: Recording, options: ReadBlocksOptions = {}): Observable<Block> {
  if (
    typeof recording !== "object" || recording === null || typeof recording.path !== "string" ||
    typeof recording.datasetName !== "string"
  ) {
    throw new TypeError(
      `Cannot read blocks: expected a Recording with string path and datasetName, got ${JSON.stringify(recording)}`,
    );
  }
  const {
    blockSamples = 4096,
    sfreq = RAW_SFREQ,
    gate,
    expectedChannels = N_SENSORS,
    maxSamples,
    float32 = false,
    borrow = false,
    direct = true,
    checkFinite = true,
  } = options;
  checkPositiveInteger("blockSamples", blockSamples);
  checkPositiveInteger("expectedChannels", expectedChannels);
  if (maxSamples !== undefined) checkPositiveInteger("maxSamples", maxSamples);
  if (typeof sfreq !== "number" || !Number.isFinite(sfreq) || sfreq <= 0) {
    throw new RangeError(`Cannot read blocks: sfreq must be a positive number of Hz, got ${sfreq}`);
  }
  if (gate !== undefined && typeof gate?.ready !== "function") {
    throw new TypeError(`Cannot read blocks: gate must be a PullGate with a ready() method, got ${gate}`);
  }

  return new Observable<Block>((subscriber) => {
    let reader: BlockReader | undefined;
    const release = () => {
      reader?.close();
      reader = undefined;
    };
    const run = async () => {
      // h5wasm (about 50 MB resident once loaded) loads with the first read, not with this
      // module: a process whose reading happens in workers never loads it
      const [h5, plain] = await Promise.all([import("./_h5.ts"), import("./_direct_read.ts")]);
      const module = await h5.h5Module();
      if (subscriber.closed) return;
      reader = new BlockReader(module, h5.openRecordingFile, recording, expectedChannels, blockSamples, {
        float32,
        borrow,
        direct: direct ? plain : undefined,
        checkFinite,
      });
      const end = Math.min(reader.nTimes, maxSamples ?? Infinity);
      for (let t0 = 0; t0 < end; t0 += blockSamples) {
        if (gate) {
          await gate.ready();
          if (subscriber.closed || reader === undefined) return;
        }
        const t1 = Math.min(end, t0 + blockSamples);
        const data = reader.read(t0, t1);
        subscriber.next({ recording, startSample: t0, sfreq, nChans: expectedChannels, nTimes: t1 - t0, data });
        if (subscriber.closed) return;
      }
      release();
      subscriber.complete();
    };
    run().then(release, (error) => {
      release();
      subscriber.error(error);
    });
    return release;
  });
}

function checkPositiveInteger(name: string, value: unknown): void {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw new RangeError(`Cannot read blocks: ${name} must be a positive integer, got ${value}`);
  }
}

/** One open recording file with its block buffer in the wasm heap. */
class BlockReader {
  readonly nTimes: number;
  #module: H5Module;
  #open: OpenRecording;
  #recording: Recording;
  #nChans: number;
  #float32: boolean;
  #borrow: boolean;
  #checkFinite: boolean;
  /** The plain-read route of a contiguous dataset and its reader; undefined: h5wasm reads. */
  #direct: { dataset: DirectDataset; read: typeof readDirect } | undefined;
  #pointer = 0;

  constructor(
    module: H5Module,
    open: typeof openRecordingFile,
    recording: Recording,
    nChans: number,
    blockSamples: number,
    output: {
      float32: boolean;
      borrow: boolean;
      direct?: { openDirect: typeof openDirect; readDirect: typeof readDirect };
      checkFinite: boolean;
    },
  ) {
    this.#module = module;
    this.#recording = recording;
    this.#nChans = nChans;
    this.#float32 = output.float32;
    this.#borrow = output.borrow;
    this.#checkFinite = output.checkFinite;
    this.#open = open(module, recording.path, {
      datasetName: recording.datasetName,
      expectedChannels: nChans,
    });
    const { info } = this.#open;
    this.nTimes = info.shape[1];
    const bytes = nChans * Math.min(blockSamples, this.nTimes) * info.elementBytes;
    const pointer = module._malloc(bytes);
    if (pointer === 0) {
      this.#open.file.close();
      throw new RangeError(`Cannot read blocks: the wasm heap cannot hold a block of ${bytes} bytes`);
    }
    this.#pointer = pointer;
    try {
      const dataset = output.direct?.openDirect(module, this.#open);
      if (dataset && output.direct) this.#direct = { dataset, read: output.direct.readDirect };
    } catch (error) {
      this.close();
      throw error;
    }
  }

  /** Reads columns `[t0, t1)` of every channel, checks them and copies them out of the wasm heap (unless borrowed). */
  read(t0: number, t1: number): Float32Array | Float64Array {
    const { file, info } = this.#open;
    const n = this.#nChans * (t1 - t0);
    if (this.#direct) {
      const bytes = new Uint8Array(this.#module.HEAPU8.buffer, this.#pointer, n * info.elementBytes);
      this.#direct.read(this.#direct.dataset, file.path, this.#nChans, t0, t1, bytes);
    } else file.readColumns(info.name, this.#nChans, t0, t1, this.#pointer);
    // The heap may have grown (and its buffer been replaced) during the read.
    const heap = this.#module.HEAPU8.buffer;
    const view = info.elementBytes === 8
      ? new Float64Array(heap, this.#pointer, n)
      : new Float32Array(heap, this.#pointer, n);
    const bad = this.#checkFinite ? firstNonFinite(view) : -1;
    if (bad >= 0) {
      const channel = Math.floor(bad / (t1 - t0));
      const sample = t0 + (bad % (t1 - t0));
      throw new DataFileError(
        this.#recording.path,
        `expected finite samples, found ${view[bad]} at channel row ${channel} (${
          channelName(channel, this.#nChans)
        }), ` +
          `sample ${sample}`,
      );
    }
    if (this.#float32 && view instanceof Float64Array) return new Float32Array(view);
    return this.#borrow ? view : view.slice();
  }

  close(): void {
    this.#direct?.dataset.handle.close();
    this.#direct = undefined;
    if (this.#pointer !== 0) {
      this.#module._free(this.#pointer);
      this.#pointer = 0;
    }
    this.#open.file.close();
  }
}

/** The Magnes sensor name of a row (`A1`..`A248`) when the file has that layout. */
function channelName(row: number, nChans: number): string {
  if (nChans !== N_SENSORS) return `channel ${row + 1} of ${nChans}`;
  try {
    return magnes3600Layout().channels[row];
  } catch {
    return `A${row + 1}`; // the layout's names are A1..A248 in row order
  }
}
