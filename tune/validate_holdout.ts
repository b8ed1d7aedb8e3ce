/**
 * Validation metrics of a run that validated on recordings drawn from its training
 * folders (held-out chunks, or a left-out subject): the run's best model evaluated on
 * the same recordings `trainRun` chose, per window and per recording, with the same
 * BatchNorm adaptation (AdaBN) as the validation it early-stopped on.
 *
 * Runs written now hold these metrics in `results.json` (split `validation`, role
 * `validation`); this re-evaluation serves trial folders finished before that.
 *
 * @module
 */
import { join } from "node:path";
import { setupBackend } from "../backends/backend.ts";
import { catalog, recordingsOf } from "../sources/catalog.ts";
import { loadModel } from "../training/checkpoint.ts";
import { evaluatePredictions, type SplitMetrics } from "../evaluation/metrics.ts";
import { predictRecordings } from "../evaluation/predict.ts";
import type { RunConfig } from "../training/run_config.ts";
import { stepsForModel } from "../orchestration/train_run.ts";
import { planSplits, validationOf } from "../training/validation_plan.ts";
import { LABELS } from "../core/types.ts";

/**
 * Evaluates the best model of a finished run (`runDir/model`) on the
 * recordings its validation drew from the training splits (the same held-out chunks
 * or left-out subject, same seed), under the split name `validation`, adapting
 * BatchNorm per subject when the run did (`adaptBatchNorm`), as its early stopping did.
 *
 * @param config The run's configuration (validation `holdout` with positive `holdoutChunks`, or `loso`).
 * @param runDir The run folder.
 * @returns The metrics of the validation recordings.
 * @throws {RangeError} when the config draws no validation from its training splits;
 *   errors of reading the model or the data.
 */
export async function validateHoldout(config: RunConfig, runDir: string): Promise<SplitMetrics> {
  const spec = validationOf(config);
  if (spec.kind === "splits" || (spec.kind === "holdout" && spec.chunks === 0)) {
    throw new RangeError(
      `Cannot validate on held-out chunks: holdoutChunks must be positive, got ${config.holdoutChunks}`,
    );
  }
  const recordings = recordingsOf(await catalog(config.data, { splits: config.trainSplits }));
  const bySplit = new Map(config.trainSplits.map((split) => [split, recordings.filter((r) => r.split === split)]));
  const { validation } = planSplits({ ...config, testSplits: [] }, bySplit);
  await setupBackend(config.backend);
  const model = await loadModel(join(runDir, "model"));
  try {
    const predictions = await predictRecordings(model, validation, {
      steps: stepsForModel(config.preprocess, config.model),
      batchSize: config.batchSize,
      concurrency: config.concurrency,
      cacheDir: config.cacheDir ?? undefined,
      maxSamples: config.maxSamples ?? undefined,
      nClasses: LABELS.length,
      // As the run's early stopping validated (config.json of older runs lacks the option).
      adaptBatchNorm: config.adaptBatchNorm ?? false,
      testTimeAdaptation: config.testTimeAdaptation ?? "none",
      split: "validation",
    });
    return evaluatePredictions(predictions.rows).validation;
  } finally {
    model.dispose();
  }
}
