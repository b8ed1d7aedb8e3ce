/**
 * Test-time adaptation of BatchNorm statistics to one subject (AdaBN, Li et al. 2016,
 * "Revisiting batch normalization for practical domain adaptation").
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { consume } from "../pipeline/consume.ts";
import { PullGate } from "../core/pull_gate.ts";
import { streamBatches, type StreamBatchesOptions } from "../pipeline/stream_batches.ts";
import type { Recording } from "../core/types.ts";

/** A layer whose moving statistics AdaBN replaces: tfjs `BatchNormalization` or megflow's `TemporalSpatialBlock`. */
interface NormLayer {
  layer: tfl.layers.Layer;
  /** `moving_mean` and `moving_variance`. */
  moving: tfl.LayerVariable[];
}

const NORM_CLASSES = new Set(["BatchNormalization", "TemporalSpatialBlock"]);

function normLayers(model: tfl.LayersModel): NormLayer[] {
  return model.layers.filter((layer) => NORM_CLASSES.has(layer.getClassName())).map((layer) => ({
    layer,
    moving: layer.nonTrainableWeights.filter((w) => /moving_(mean|variance)/.test(w.originalName)),
  }));
}

/** Whether `model` has BatchNorm statistics that {@linkcode adaptBatchNorm} would change. */
export function hasBatchNorm(model: tfl.LayersModel): boolean {
  return normLayers(model).some((n) => n.moving.length > 0);
}

/**
 * Replaces the moving statistics of every BatchNorm in `model` by statistics of the windows
 * of `recordings` (one subject's, typically a test subject's, labels unused), and returns a
 * function that restores the trained statistics.
 *
 * Why: a model trained on a few subjects maps an unseen subject's windows to features
 * shifted as a whole, so its predictions pile onto one or two classes. Normalising each
 * BatchNorm's input with the new subject's own mean and variance removes that shift
 * (unsupervised: it needs the subject's recordings, not their labels).
 *
 * How: one pass over the windows in training mode (batch statistics) with dropout off, each
 * BatchNorm accumulating the window-weighted mean of its batch means and variances (the
 * usual single-pass AdaBN; later layers see inputs normalised with batch statistics). Trainable
 * weights do not change.
 *
 * @param model A trained model.
 * @param recordings The recordings to adapt to (all windows are used once, in order).
 * @param options Preprocessing (as in training) and batch size.
 * @returns `restore()`, which puts the trained statistics back.
 * @throws {RangeError} when the recordings yield no window.
 *
 * @example
 * ```ts ignore
 * // A trained model, the unseen subject's recordings, the run's preprocessing:
 * const restore = await adaptBatchNorm(model, subjectRecordings, { steps, batchSize: 32 });
 * const predictions = await predictRecordings(model, subjectRecordings, { steps, nClasses: 4 });
 * restore();
 * // Or in one call, subject by subject: predictRecordings(model, recordings, { ..., adaptBatchNorm: true }).
 * ```
 */
export async function adaptBatchNorm(
  model: tfl.LayersModel,
  recordings: readonly Recording[],
  options: Omit<StreamBatchesOptions, "shuffleBuffer" | "gate" | "epoch">,
): Promise<() => void> {
  const norms = normLayers(model);
  const saved = norms.flatMap((n) => n.moving.map((w) => [w, tf.clone(w.read())] as const));
  const restore = () => {
    for (const [weight, value] of saved) {
      weight.write(value);
      value.dispose();
    }
    saved.length = 0;
  };
  // Dropout off, momentum set per batch; both restored below.
  type Mutable = { rate?: number; momentum?: number };
  const dropouts = model.layers.filter((layer) => layer.getClassName() === "Dropout") as unknown as Mutable[];
  const rates = dropouts.map((layer) => layer.rate);
  const layers = norms.map((n) => n.layer as unknown as Mutable);
  const momenta = layers.map((layer) => layer.momentum);
  let seen = 0;
  try {
    for (const layer of dropouts) layer.rate = 0;
    const gate = new PullGate(2);
    await consume(streamBatches(recordings, { ...options, shuffleBuffer: 0, gate }), (batch) => {
      const count = batch.ys.length;
      // moving <- moving * seen / (seen + count) + batch * count / (seen + count)
      for (const layer of layers) layer.momentum = seen / (seen + count);
      tf.tidy(() => {
        model.apply(tf.tensor(batch.xs, batch.shape), { training: true });
      });
      seen += count;
    }, { gate });
  } catch (error) {
    restore();
    throw error;
  } finally {
    dropouts.forEach((layer, i) => (layer.rate = rates[i]));
    layers.forEach((layer, i) => (layer.momentum = momenta[i]));
  }
  if (seen === 0) {
    restore();
    throw new RangeError(`Cannot adapt BatchNorm: ${recordings.length} recordings gave no window`);
  }
  return restore;
}
