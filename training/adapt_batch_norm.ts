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
 * How: one pass over the windows in training mode (batch statistics) with dropout off; each
 * BatchNorm's batch mean and variance are pooled over the batches (Chan et al.'s parallel
 * variance), so its moving mean and variance end as the mean and (biased) variance of its
 * input over all the windows, whatever the batch size (later layers see inputs normalised
 * with batch statistics, as in single-pass AdaBN). Trainable weights do not change.
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
  // Dropout off, momentum 0 (the moving statistics then hold each batch's); both restored below.
  type Mutable = { rate?: number; momentum?: number };
  const dropouts = model.layers.filter((layer) => layer.getClassName() === "Dropout") as unknown as Mutable[];
  const rates = dropouts.map((layer) => layer.rate);
  const layers = norms.map((n) => n.layer as unknown as Mutable);
  const momenta = layers.map((layer) => layer.momentum);
  const pooled = norms.map((n) => new PooledMoments(n.moving));
  let seen = 0;
  try {
    for (const layer of dropouts) layer.rate = 0;
    for (const layer of layers) layer.momentum = 0;
    const gate = new PullGate(2);
    await consume(streamBatches(recordings, { ...options, shuffleBuffer: 0, gate }), (batch) => {
      const count = batch.ys.length;
      tf.tidy(() => {
        model.apply(tf.tensor(batch.xs, batch.shape), { training: true });
      });
      for (const moments of pooled) moments.add(seen, count);
      seen += count;
    }, { gate });
    for (const moments of pooled) moments.write(seen);
  } catch (error) {
    restore();
    throw error;
  } finally {
    for (const moments of pooled) moments.dispose();
    dropouts.forEach((layer, i) => (layer.rate = rates[i]));
    layers.forEach((layer, i) => (layer.momentum = momenta[i]));
  }
  if (seen === 0) {
    restore();
    throw new RangeError(`Cannot adapt BatchNorm: ${recordings.length} recordings gave no window`);
  }
  return restore;
}

/**
 * The mean and variance of one BatchNorm's input over every window seen, pooled batch by batch
 * from the batch statistics its moving variables hold after each batch (momentum 0): Chan et
 * al.'s update `M2 = M2_a + M2_b + delta^2 n_a n_b / n`, stable in float32.
 */
class PooledMoments {
  private readonly meanVariable?: tfl.LayerVariable;
  private readonly varianceVariable?: tfl.LayerVariable;
  private mean?: tf.Tensor;
  private m2?: tf.Tensor;

  constructor(moving: readonly tfl.LayerVariable[]) {
    this.meanVariable = moving.find((w) => /moving_mean/.test(w.originalName));
    this.varianceVariable = moving.find((w) => /moving_variance/.test(w.originalName));
  }

  /** Pools the batch statistics now in the moving variables: `count` windows after `seen`. */
  add(seen: number, count: number): void {
    if (!this.meanVariable || !this.varianceVariable) return;
    const batchMean = this.meanVariable.read(), batchVariance = this.varianceVariable.read();
    const [mean, m2] = tf.tidy(() => {
      if (this.mean === undefined || this.m2 === undefined) return [tf.clone(batchMean), tf.mul(batchVariance, count)];
      const n = seen + count;
      const delta = tf.sub(batchMean, this.mean);
      return [
        tf.add(this.mean, tf.mul(delta, count / n)),
        tf.add(tf.add(this.m2, tf.mul(batchVariance, count)), tf.mul(tf.square(delta), (seen * count) / n)),
      ];
    });
    this.dispose();
    [this.mean, this.m2] = [mean, m2];
  }

  /** Writes the pooled mean and variance of `seen` windows into the moving variables. */
  write(seen: number): void {
    if (!this.mean || !this.m2 || seen === 0) return;
    this.meanVariable!.write(this.mean);
    const variance = tf.tidy(() => tf.div(this.m2!, seen));
    this.varianceVariable!.write(variance);
    variance.dispose();
  }

  /** Frees the pooled tensors. */
  dispose(): void {
    this.mean?.dispose();
    this.m2?.dispose();
    this.mean = this.m2 = undefined;
  }
}
