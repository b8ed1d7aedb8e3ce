/**
 * Test helpers of the serving tests: run folders (trained for real, or an
 * untrained model with its config, in a blink) and h5 files of any shape.
 *
 * @module
 */
import h5wasm from "h5wasm/node";
import { join } from "node:path";
import { setupBackend } from "../../backends/backend.ts";
import { LABELS } from "../../core/types.ts";
import { MODELS } from "../../models/registry.ts";
import { signalOf, trainRun } from "../../orchestration/train_run.ts";
import type { PreprocessStep } from "../../pipeline/preprocess.ts";
import { writeDataset } from "../../synth/write_dataset.ts";
import { saveModel } from "../../training/checkpoint.ts";
import { type RunConfig, runConfig } from "../../training/run_config.ts";

/** A small EEGNet (it has BatchNorm, so BatchNorm adaptation matters). */
export const TINY_CNN = { temporalFilters: 2, separableFilters: 4, kernLength: 16 };

/** 125 Hz, z-score per recording, 1 s windows every 0.5 s: 4096 raw samples give 3 windows. */
export const STEPS: PreprocessStep[] = [
  { op: "resample", toHz: 125 },
  { op: "zscore" },
  { op: "window", windowSeconds: 1, strideSeconds: 0.5 },
];

/**
 * Writes the small synthetic Cross/train and Cross/test1 folders into `dir/data`
 * and trains a tiny EEGNet for one epoch into `dir/run` (wasm, no cache, BatchNorm
 * adaptation on): a few seconds.
 *
 * @returns The run folder and its config.
 */
export async function trainTinyRun(dir: string): Promise<{ runDir: string; config: RunConfig }> {
  await writeDataset(join(dir, "data"), { preset: "small", nTimes: 4096, splits: ["Cross/train", "Cross/test1"] });
  const config = runConfig("cross", join(dir, "data"), {
    model: "cnn",
    modelOptions: TINY_CNN,
    epochs: 1,
    backend: "wasm",
    preprocess: [...STEPS, { op: "augment" }],
    validationSplits: ["Cross/test1"],
    testSplits: ["Cross/test1"],
    cacheDir: null,
    adaptBatchNorm: true,
  });
  const runDir = join(dir, "run");
  await trainRun(config, { runDir, log: () => {} });
  return { runDir, config };
}

/**
 * Writes a run folder without training: an untrained tiny EEGNet for `steps`
 * and its `config.json` (no `results.json`). The model is built on the wasm backend.
 *
 * @returns The run folder.
 */
export async function fakeRun(
  dir: string,
  overrides: Partial<RunConfig> = {},
  modelSteps?: PreprocessStep[],
): Promise<string> {
  await setupBackend("wasm");
  const config = runConfig("cross", join(dir, "data"), {
    model: "cnn",
    modelOptions: TINY_CNN,
    backend: "wasm",
    preprocess: STEPS,
    cacheDir: null,
    ...overrides,
  });
  const runDir = join(dir, "run");
  await Deno.mkdir(runDir, { recursive: true });
  const model = MODELS.cnn.build(signalOf(modelSteps ?? config.preprocess), LABELS.length, TINY_CNN);
  await saveModel(join(runDir, "model"), model);
  model.dispose();
  await Deno.writeTextFile(join(runDir, "config.json"), JSON.stringify(config, null, 2));
  return runDir;
}

/** Writes an h5 file holding one dataset `name` of `shape` with `values` (float64 unless `dtype` says). */
export async function writeH5(
  path: string,
  name: string,
  shape: number[],
  value: (i: number) => number = (i) => Math.sin(i / 7) * 1e-12,
  dtype = "<d",
): Promise<void> {
  await h5wasm.ready;
  const n = shape.reduce((a, b) => a * b, 1);
  const data = dtype === "<i2" ? Int16Array.from({ length: n }, (_, i) => value(i)) : Float64Array.from(
    { length: n },
    (_, i) => value(i),
  );
  const file = new h5wasm.File(path, "w");
  file.create_dataset({ name, data, shape, dtype });
  file.close();
}

/** The names in a folder (empty when it does not exist). */
export async function listDir(dir: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return names.sort();
}
