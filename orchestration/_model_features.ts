/**
 * The features of `embed --features model:RUN_DIR`: a trained run's model's
 * penultimate-layer activations over windows preprocessed as the run was.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { join, resolve } from "node:path";
import "../models/mod.ts";
import type { Batch } from "../core/types.ts";
import type { PreprocessStep } from "../pipeline/preprocess.ts";
import { loadModel } from "../training/checkpoint.ts";
import type { RunConfig } from "../training/run_config.ts";
import { penultimateFeatures } from "../evaluation/penultimate_features.ts";

/** A run's model as a feature extractor. */
export interface ModelFeatures {
  /** `model:<absolute run folder>`. */
  name: string;
  /** The run's preprocessing (its training-only steps, e.g. `augment`, do nothing when streaming for evaluation). */
  steps: PreprocessStep[];
  /** Features of every window of a batch, `[batch, size]` row-major. */
  of(batch: Batch): Float32Array;
  /** Frees the model. */
  dispose(): void;
}

/**
 * Loads a run folder's best model (`model/`) and its `config.json` preprocessing. Call after
 * the tfjs backend is set.
 *
 * @param runDir A run folder written by `trainRun`.
 * @returns The extractor.
 * @throws {RangeError} when the folder has no readable `config.json` or `model/model.json`.
 */
export async function loadModelFeatures(runDir: string): Promise<ModelFeatures> {
  const dir = resolve(runDir);
  const config: RunConfig = await Deno.readTextFile(join(dir, "config.json")).then(JSON.parse, () => {
    throw new RangeError(`Cannot embed with model:${dir}: no readable config.json (not a megflow run folder)`);
  });
  const model = await loadModel(join(dir, "model")).catch(() => {
    throw new RangeError(`Cannot embed with model:${dir}: no loadable model/model.json (not a finished run)`);
  });
  const features = penultimateFeatures(model);
  return {
    name: `model:${dir}`,
    steps: config.preprocess,
    of: (batch) => tf.tidy(() => features.apply(tf.tensor(batch.xs, batch.shape)).dataSync() as Float32Array),
    dispose: () => model.dispose(),
  };
}
