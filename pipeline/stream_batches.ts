/**
 * Batches for training and evaluation: recordings in a seeded order per epoch,
 * windows mixed across recordings by a bounded shuffle buffer, then stacked.
 *
 * @module
 */
import { defer, type Observable, tap } from "rxjs";
import { batch } from "../operators/batch.ts";
import { shuffleIntoBatches } from "../operators/shuffle_into_batches.ts";
import { hashSeed, Random } from "../core/random.ts";
import { streamWindows, type StreamWindowsOptions } from "./stream_windows.ts";
import type { Batch, Recording, Window } from "../core/types.ts";

/** Options of {@linkcode streamBatches}: those of `streamWindows`, plus batching and shuffling. */
export interface StreamBatchesOptions extends StreamWindowsOptions {
  /** Windows per batch. Default: 32. */
  batchSize?: number;
  /**
   * Windows held by the shuffle buffer; 0 keeps the catalogue order of
   * recordings and windows (for evaluation). Every file holds one class, so
   * training needs a buffer spanning several recordings. Memory: one [248, 250]
   * float32 window is 248 kB, so 256 windows are ~64 MB. Default: 256.
   */
  shuffleBuffer?: number;
  /** Seed of the recording order and the window shuffle. Default: 0. */
  seed?: number;
  /** Epoch number, mixed into the seed so that each epoch has its own order. Default: 0. */
  epoch?: number;
  /** Drop a last, smaller batch. Default: false. */
  dropRemainder?: boolean;
}

/**
 * Streams batches of the windows of `recordings`. With `shuffleBuffer > 0`
 * the recordings are read in a seeded random order and windows are shuffled
 * through a bounded buffer; the same seed and epoch give the same batches.
 *
 * @param recordings The recordings of the split.
 * @param options Batching, shuffling and streaming options.
 * @returns A cold Observable of batches.
 *
 * @example
 * ```ts
 * import { lastValueFrom, toArray } from "rxjs";
 * import h5wasm from "h5wasm/node";
 * import { streamBatches } from "./stream_batches.ts";
 * import type { Recording } from "../core/types.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const dir = await Deno.makeTempDir();
 * await h5wasm.ready;
 * const recordings: Recording[] = ["rest", "task_motor"].map((taskType) => {
 *   const path = `${dir}/${taskType}_1_1.h5`;
 *   const file = new h5wasm.File(path, "w");
 *   const data = Float64Array.from({ length: 248 * 4068 }, (_, i) => Math.sin(i) * 1e-12);
 *   file.create_dataset({ name: `${taskType}_1`, data, shape: [248, 4068], dtype: "<d" });
 *   file.close();
 *   const label = taskType === "rest" ? "rest" : "motor";
 *   return { path, split: ".", taskType, label, subject: "1", chunk: 1, datasetName: `${taskType}_1` } as Recording;
 * });
 * const steps = [{ op: "resample", toHz: 125 }, { op: "zscore" }, { op: "window", windowSeconds: 1 }] as const;
 * const batches = await lastValueFrom(streamBatches(recordings, { steps, batchSize: 3, seed: 1 }).pipe(toArray()));
 * assertEquals(batches.map((b) => b.shape), [[3, 248, 125], [1, 248, 125]]); // 2 recordings x 2 windows
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function streamBatches(recordings: readonly Recording[], options: StreamBatchesOptions = {}): Observable<Batch> {
  const { batchSize = 32, shuffleBuffer = 256, seed = 0, epoch = 0, dropRemainder = false } = options;
  const epochSeed = hashSeed(seed, epoch);
  const order = shuffleBuffer > 0 ? new Random(epochSeed).shuffle([...recordings]) : recordings;
  const windows = streamWindows(order, options);
  // Shuffled: the buffer is one block of slots reused in place, each window freed once copied in.
  if (shuffleBuffer > 0) {
    return windows.pipe(
      shuffleIntoBatches(batchSize, { bufferSize: shuffleBuffer, seed: epochSeed, dropRemainder, release: true }),
    );
  }
  const stack = batch(batchSize, { dropRemainder });
  return defer(() => {
    const stacked: Window[] = [];
    return windows.pipe(
      tap((window) => stacked.push(window)),
      stack,
      tap(() => releaseWindows(stacked.splice(0))),
    );
  });
}

/**
 * Frees the samples of windows that have been copied into a batch, at once
 * instead of at V8's next major garbage collection. The windows were made by
 * this stream and are seen by nothing else; each window's array has a buffer
 * of its own (an array that shares its buffer is left alone). The windows
 * spend seconds in the shuffle buffer, so they die in the old generation,
 * where V8 lets up to 64 MB of dead array buffers pile up before it collects
 * them: this keeps the peak memory of a stream flat from its first epoch.
 */
function releaseWindows(windows: readonly Window[]): void {
  for (const { data } of windows) {
    if (data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && data.buffer instanceof ArrayBuffer) {
      data.buffer.transfer(0);
    }
  }
}
