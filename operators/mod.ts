/**
 * megflow's preprocessing operators: RxJS operator factories over
 * {@linkcode Block}s and {@linkcode Window}s, and the pure typed-array
 * functions they are built on.
 *
 * Per-recording operators (`resample`, `zscore`, `minmax`, `window`) keep state
 * per subscription and per recording; apply them inside a `mergeMap` over
 * recordings, then mix and stack the windows:
 *
 * @example
 * ```ts
 * import { from, lastValueFrom, mergeMap, of, toArray } from "rxjs";
 * import { batch, resample, shuffle, window, zscore } from "./mod.ts";
 * import type { Block, Recording } from "../core/types.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const recordings = [0, 1].map((i) => ({ path: `rest_${i}_1.h5`, label: "rest" }) as Recording);
 * const readBlocks = (recording: Recording) =>
 *   of<Block>({
 *     recording, startSample: 0, sfreq: 2034, nChans: 2, nTimes: 4068,
 *     data: Float64Array.from({ length: 2 * 4068 }, (_, i) => Math.sin(i / 30)),
 *   });
 * const batches = await lastValueFrom(
 *   from(recordings).pipe(
 *     mergeMap((rec) => readBlocks(rec).pipe(resample({ toHz: 125 }), zscore(), window({ windowSeconds: 1 })), 2),
 *     shuffle({ bufferSize: 8, seed: 1 }),
 *     batch(3),
 *     toArray(),
 *   ),
 * );
 * assertEquals(batches.map((b) => b.shape), [[3, 2, 125], [1, 2, 125]]); // 2 windows per recording
 * ```
 *
 * @module
 */
export * from "./resample.ts";
export * from "./zscore.ts";
export * from "./minmax.ts";
export * from "./window.ts";
export * from "./grid_sensors.ts";
export * from "./shuffle.ts";
export * from "./batch.ts";
export * from "./shuffle_into_batches.ts";
export * from "./euclidean_align.ts";
export * from "./subject_zscore.ts";
export * from "./augment.ts";
export * from "./mixup.ts";
export * from "./band_power.ts";
