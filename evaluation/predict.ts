/**
 * The evaluation sink: streams the windows of some recordings through a model
 * in inference mode and returns one {@linkcode PredictionRow} per window.
 *
 * @module
 */
import type * as tfl from "@tensorflow/tfjs-layers";
import { basename } from "node:path";
import { consume } from "../pipeline/consume.ts";
import type { PredictionRow, RunAdaptation } from "./metrics.ts";
import { PullGate } from "../core/pull_gate.ts";
import { streamBatches, type StreamBatchesOptions } from "../pipeline/stream_batches.ts";
import { predictBatch } from "../training/train_step.ts";
import { adaptBatchNorm, hasBatchNorm } from "../training/adapt_batch_norm.ts";
import { adaptEntropy, hasNormAffine, type TestTimeAdaptation, testTimeOptions } from "../training/adapt_entropy.ts";
import type { Recording } from "../core/types.ts";

/** What {@linkcode predictRecordings} returns. */
export interface Predictions {
  /** One row per window, in catalogue order. */
  rows: PredictionRow[];
  /** Mean cross-entropy per window. */
  loss: number;
  /** Accuracy per window. */
  accuracy: number;
  /** Seconds the pass took. */
  seconds: number;
}

/** Options of {@linkcode predictRecordings}. */
export interface PredictOptions extends Omit<StreamBatchesOptions, "shuffleBuffer" | "gate" | "epoch"> {
  /** Number of classes. */
  nClasses: number;
  /** Name written in each row's `split`. Default: each recording's own `split`. */
  split?: string;
  /**
   * Predict each subject with BatchNorm statistics of its own windows (see
   * {@linkcode adaptBatchNorm}); the trained statistics are restored afterwards. Default: false.
   */
  adaptBatchNorm?: boolean;
  /**
   * Adapt each subject's normalisation gains and offsets to its own windows by entropy minimisation
   * (`"entropy"`, or `"im"` with a diversity term, see {@linkcode adaptEntropy}; after AdaBN when
   * both apply) before predicting it;
   * the trained values are restored afterwards. Default: `"none"`.
   */
  testTimeAdaptation?: TestTimeAdaptation;
}

/** Which per-subject adaptations `options` make on `model` (those the model has the layers for). */
export function adaptationsOf(
  model: tfl.LayersModel,
  options: Pick<PredictOptions, "adaptBatchNorm" | "testTimeAdaptation">,
): RunAdaptation {
  const testTime = options.testTimeAdaptation ?? "none";
  return {
    batchNorm: (options.adaptBatchNorm ?? false) && hasBatchNorm(model),
    testTime: testTime !== "none" && hasNormAffine(model) ? testTime : "none",
  };
}

/**
 * Predicts every window of `recordings` (no shuffling) with `model`.
 *
 * @param model A trained model (softmax output).
 * @param recordings Recordings to evaluate.
 * @param options Preprocessing (must match training), batch size, classes.
 * @returns Rows, mean loss, accuracy and time.
 * @throws {RangeError} when the recordings yield no window.
 */
export async function predictRecordings(
  model: tfl.LayersModel,
  recordings: readonly Recording[],
  options: PredictOptions,
): Promise<Predictions> {
  const adapt = adaptationsOf(model, options);
  if (adapt.batchNorm || adapt.testTime !== "none") return predictEachSubject(model, recordings, options, adapt);
  const { nClasses } = options;
  const gate = new PullGate(2);
  const rows: PredictionRow[] = [];
  let lossSum = 0;
  const started = performance.now();
  await consume(streamBatches(recordings, { ...options, shuffleBuffer: 0, gate }), async (batch) => {
    const result = await predictBatch(model, batch, nClasses);
    lossSum += result.loss * result.count;
    for (let i = 0; i < result.count; i++) {
      const probs = Array.from(result.probs.subarray(i * nClasses, (i + 1) * nClasses));
      let predicted = 0;
      for (let k = 1; k < nClasses; k++) if (probs[k] > probs[predicted]) predicted = k;
      const recording = batch.recordings[i];
      rows.push({
        split: options.split ?? recording.split,
        subject: recording.subject,
        recording: basename(recording.path),
        startSample: batch.startSamples[i],
        label: batch.ys[i],
        predicted,
        probs,
      });
    }
  }, { gate });
  if (rows.length === 0) throw new RangeError(`Cannot evaluate: ${recordings.length} recordings gave no window`);
  return summarise(rows, lossSum, started);
}

/** {@linkcode predictRecordings} one subject at a time, adapting the model to each; rows in catalogue order. */
async function predictEachSubject(
  model: tfl.LayersModel,
  recordings: readonly Recording[],
  options: PredictOptions,
  adapt: RunAdaptation,
): Promise<Predictions> {
  const started = performance.now();
  const subjects = [...new Set(recordings.map((r) => r.subject))];
  const order = new Map(recordings.map((r, i) => [basename(r.path), i]));
  const rows: PredictionRow[] = [];
  let lossSum = 0;
  for (const subject of subjects) {
    const own = recordings.filter((r) => r.subject === subject);
    const restores: Array<() => void> = [];
    try {
      if (adapt.batchNorm) restores.push(await adaptBatchNorm(model, own, options));
      const testTime = adapt.testTime;
      if (testTime !== "none") {
        restores.push(await adaptEntropy(model, own, { ...options, ...testTimeOptions(testTime) }));
      }
      const part = await predictRecordings(model, own, {
        ...options,
        adaptBatchNorm: false,
        testTimeAdaptation: "none",
      });
      rows.push(...part.rows);
      lossSum += part.loss * part.rows.length;
    } finally {
      for (const restore of restores.reverse()) restore();
    }
  }
  // Stable: windows of one recording keep their order.
  rows.sort((a, b) => order.get(a.recording)! - order.get(b.recording)!);
  return summarise(rows, lossSum, started);
}

/** Rows with their mean loss, accuracy and the seconds since `started`. */
function summarise(rows: PredictionRow[], lossSum: number, started: number): Predictions {
  const correct = rows.filter((row) => row.predicted === row.label).length;
  return {
    rows,
    loss: lossSum / rows.length,
    accuracy: correct / rows.length,
    seconds: (performance.now() - started) / 1000,
  };
}
