/**
 * megflow: stream MEG recordings from HDF5 files through composable RxJS
 * operators into TensorFlow.js models, and classify the brain state of the
 * person recorded (rest, math, working memory, motor).
 *
 * The public API of every folder, bottom layer first: records and utilities (`core/`);
 * sources, operators, models, tfjs backends and the synthetic-data generator; stream
 * composition (`pipeline/`); training; evaluation; reports; whole runs (`orchestration/`);
 * the prediction server (`serve/`); search (`tune/`) and the study. Each folder's `mod.ts` names what it makes public;
 * internals stay in their files.
 *
 * @example
 * ```ts
 * import { lastValueFrom, mergeMap, from, toArray } from "rxjs";
 * import { batch, readBlocks, resample, window, zscore, type Recording } from "./mod.ts";
 * import h5wasm from "h5wasm/node";
 * import { assertEquals } from "@std/assert";
 *
 * // A recording in the assignment's layout: one float64 dataset, 248 x T, 2034 Hz.
 * const dir = await Deno.makeTempDir();
 * await h5wasm.ready;
 * const file = new h5wasm.File(`${dir}/rest_105923_1.h5`, "w");
 * const data = Float64Array.from({ length: 248 * 8136 }, (_, i) => Math.sin(i / 7) * 1e-12);
 * file.create_dataset({ name: "rest_105923", data, shape: [248, 8136], dtype: "<d" });
 * file.close();
 * const recording: Recording = {
 *   path: `${dir}/rest_105923_1.h5`, split: "Intra/train", taskType: "rest", label: "rest",
 *   subject: "105923", chunk: 1, datasetName: "rest_105923",
 * };
 *
 * const batches = await lastValueFrom(from([recording]).pipe(
 *   mergeMap((r) => readBlocks(r).pipe(
 *     resample({ toHz: 125 }),
 *     zscore(),
 *     window({ windowSeconds: 2, strideSeconds: 1 }),
 *   ), 2),
 *   batch(32),
 *   toArray(),
 * ));
 * assertEquals(batches[0].shape, [3, 248, 250]); // 4 s -> three 2 s windows every 1 s
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @module
 */
export * from "./core/mod.ts";
export * from "./sources/mod.ts";
export * from "./operators/mod.ts";
export * from "./models/mod.ts";
export * from "./backends/mod.ts";
export * from "./synth/mod.ts";
export * from "./pipeline/mod.ts";
export * from "./training/mod.ts";
export * from "./evaluation/mod.ts";
export * from "./reports/mod.ts";
export * from "./orchestration/mod.ts";
export * from "./serve/mod.ts";
export * from "./tune/mod.ts";
export * from "./study/mod.ts";
