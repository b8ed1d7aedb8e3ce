/**
 * Validation metrics of a run that validated on held-out training chunks
 * (intra-subject runs): the run's best model evaluated on the same held-out
 * recordings `trainRun` chose, per window and per recording.
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
import { holdOut, stepsForModel } from "../orchestration/train_run.ts";
import { LABELS } from "../core/types.ts";

/**
 * Evaluates the best model of a finished run (`runDir/model`) on the
 * recordings `holdOut` held out of its training splits (same chunks, same
 * seed), under the split name `validation`.
 *
 * @param config The run's configuration (its `holdoutChunks` must be positive).
 * @param runDir The run folder.
 * @returns The metrics of the held-out recordings.
 * @throws {RangeError} when the config holds nothing out; errors of reading the model or the data.
 */
export async function validateHoldout(config: RunConfig, runDir: string): Promise<SplitMetrics> {
  if (!(config.holdoutChunks > 0)) {
    throw new RangeError(
      `Cannot validate on held-out chunks: holdoutChunks must be positive, got ${config.holdoutChunks}`,
    );
  }
  const recordings = recordingsOf(await catalog(config.data, { splits: config.trainSplits }));
  const { validation } = holdOut(recordings, config.holdoutChunks, config.seed);
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
      split: "validation",
    });
    return evaluatePredictions(predictions.rows).validation;
  } finally {
    model.dispose();
  }
}
