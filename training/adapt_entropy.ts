/**
 * Label-free test-time adaptation of a model's normalisation gains and offsets to one subject by
 * entropy minimisation (TENT, Wang et al., ICLR 2021, "Tent: Fully test-time adaptation by entropy
 * minimization"): the counterpart of AdaBN (`adapt_batch_norm.ts`) for models normalised by
 * LayerNorm, whose statistics are per window and so cannot be re-estimated on a subject; on a
 * BatchNorm model it adapts the BatchNorm gains and offsets too (after AdaBN when that runs).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { consume } from "../pipeline/consume.ts";
import { PullGate } from "../core/pull_gate.ts";
import { streamBatches, type StreamBatchesOptions } from "../pipeline/stream_batches.ts";
import { hashSeed } from "../core/random.ts";
import type { Recording } from "../core/types.ts";
import { adam } from "./fused_adam.ts";

/** Test-time adaptations a run may ask for (`RunConfig.testTimeAdaptation`). */
export const TEST_TIME_ADAPTATIONS = ["none", "entropy", "im"] as const;

/**
 * A test-time adaptation: `"none"`; `"entropy"` (TENT: the normalisation gains and offsets
 * minimise the mean prediction entropy); `"im"` (the same steps on SHOT's information
 * maximisation: mean entropy minus the entropy of the mean prediction, `diversity` 1).
 */
export type TestTimeAdaptation = typeof TEST_TIME_ADAPTATIONS[number];

/**
 * The {@linkcode adaptEntropy} options of a test-time adaptation other than `"none"`.
 *
 * @param kind `"entropy"` or `"im"`.
 * @returns Its `diversity`.
 */
export function testTimeOptions(kind: Exclude<TestTimeAdaptation, "none">): { diversity: number } {
  return { diversity: kind === "im" ? 1 : 0 };
}

/** Options of {@linkcode adaptEntropy}. */
export interface EntropyAdaptationOptions extends Omit<StreamBatchesOptions, "shuffleBuffer" | "gate" | "epoch"> {
  /** Passes over the subject's windows, one Adam step per batch. Default: {@linkcode ENTROPY_DEFAULTS}. */
  passes?: number;
  /** Learning rate of the Adam steps. Default: {@linkcode ENTROPY_DEFAULTS}. */
  learningRate?: number;
  /**
   * Weight of the diversity term: the loss becomes the mean entropy minus `diversity` times the
   * entropy of the batch's mean prediction (SHOT's information maximisation, Liang et al. 2020, at
   * 1), which keeps the adapted model from piling every window onto one class. Default: 0 (TENT).
   */
  diversity?: number;
}

/**
 * The defaults of {@linkcode adaptEntropy}: 2 passes over the subject's windows in batches of the
 * run's batch size (32: 4 steps a pass for a 128-window test subject), Adam at 1e-3 (TENT's
 * rate for Adam, whose first steps move each parameter by about the rate whatever the gradient's
 * scale), windows shuffled through a 128-window buffer, seeded per pass (never by the subject's
 * order among others).
 */
export const ENTROPY_DEFAULTS = { passes: 2, learningRate: 1e-3, shuffleBuffer: 128 } as const;

const NORM_CLASSES = new Set(["LayerNorm", "LayerNormalization", "BatchNormalization", "TemporalSpatialBlock"]);
const EPSILON = 1e-7;

/**
 * The variables {@linkcode adaptEntropy} changes: the gains and offsets (`gamma`, `beta`) of every
 * normalisation layer of `model`: megflow's `LayerNorm`, tfjs' `LayerNormalization` and
 * `BatchNormalization`, and the BatchNorm inside EEGNet's `TemporalSpatialBlock`. Nothing else:
 * no kernel, bias, embedding or moving statistic.
 *
 * @param model A model.
 * @returns The variables, empty for a model without normalisation layers.
 */
export function normAffineVariables(model: tfl.LayersModel): tf.Variable[] {
  return model.layers.filter((layer) => NORM_CLASSES.has(layer.getClassName())).flatMap((layer) =>
    layer.trainableWeights.filter((w) => /(^|\/)(gamma|beta)$/.test(w.originalName)).map((w) => w.read() as tf.Variable)
  );
}

/** Whether `model` has normalisation gains or offsets that {@linkcode adaptEntropy} would change. */
export function hasNormAffine(model: tfl.LayersModel): boolean {
  return normAffineVariables(model).length > 0;
}

/**
 * Adapts the normalisation gains and offsets of `model` (see {@linkcode normAffineVariables}) to
 * the windows of `recordings` (one subject's; their labels are never read) and returns a function
 * that restores the trained values.
 *
 * Why: a model trained on a few subjects sees an unseen subject's windows shifted as a whole
 * and spreads its predictions thinly or piles them onto one class. AdaBN re-estimates BatchNorm
 * statistics on the subject; a LayerNorm model has no such statistics, but its per-feature gains
 * and offsets can be re-fitted: TENT takes a few gradient steps that make the model's
 * predictions on the subject's own windows confident (low entropy), changing only these
 * affine parameters (a few hundred numbers), so the features the model learnt stay as they were.
 *
 * How: a fresh Adam optimizer; `passes` passes over the windows (shuffled, seeded per pass), each
 * batch one step on the mean entropy `-sum p log p` of the model's softmax output in inference
 * mode (dropout off; BatchNorm with its moving statistics, the subject's own after AdaBN), gradients
 * for the normalisation gains and offsets only. The result depends only on the subject's windows and
 * the options, not on any subject adapted before (`restore()` undoes everything). A model without
 * normalisation layers is left as it is.
 *
 * @param model A trained model (softmax output).
 * @param recordings The recordings to adapt to.
 * @param options Preprocessing (as in training), batch size, passes, learning rate.
 * @returns `restore()`, which puts the trained gains and offsets back.
 * @throws {RangeError} when the recordings yield no window, or for passes or a learning rate that
 *   is not positive.
 *
 * @example
 * ```ts ignore
 * // A trained vivit, the unseen subject's recordings, the run's preprocessing:
 * const restore = await adaptEntropy(model, subjectRecordings, { steps, batchSize: 32 });
 * const predictions = await predictRecordings(model, subjectRecordings, { steps, nClasses: 4 });
 * restore();
 * // Or in one call, subject by subject: predictRecordings(model, recordings, { ..., testTimeAdaptation: "entropy" }).
 * ```
 */
export async function adaptEntropy(
  model: tfl.LayersModel,
  recordings: readonly Recording[],
  options: EntropyAdaptationOptions,
): Promise<() => void> {
  const { passes = ENTROPY_DEFAULTS.passes, learningRate = ENTROPY_DEFAULTS.learningRate, ...stream } = options;
  const diversity = options.diversity ?? 0;
  if (!(Number.isInteger(passes) && passes > 0)) {
    throw new RangeError(`Cannot adapt by entropy: passes must be a positive integer, got ${passes}`);
  }
  if (!(learningRate > 0 && Number.isFinite(learningRate))) {
    throw new RangeError(`Cannot adapt by entropy: the learning rate must be a positive number, got ${learningRate}`);
  }
  const variables = normAffineVariables(model);
  if (variables.length === 0) return () => {};
  const saved = variables.map((v) => [v, tf.clone(v)] as const);
  const restore = () => {
    for (const [variable, value] of saved) {
      variable.assign(value);
      value.dispose();
    }
    saved.length = 0;
  };
  const optimizer = adam(learningRate);
  let seen = 0;
  try {
    for (let pass = 1; pass <= passes; pass++) {
      const gate = new PullGate(2);
      // A seed per pass, but no `epoch`: training-only steps (augment) stay off.
      const batches = streamBatches(recordings, {
        ...stream,
        shuffleBuffer: ENTROPY_DEFAULTS.shuffleBuffer,
        seed: hashSeed(stream.seed ?? 0, pass, "entropy"),
        gate,
      });
      await consume(batches, (batch) => {
        entropyStep(model, optimizer, tf.tensor(batch.xs, batch.shape), variables, diversity);
        seen += batch.ys.length;
      }, { gate });
    }
  } catch (error) {
    restore();
    throw error;
  } finally {
    optimizer.dispose();
  }
  if (seen === 0) {
    restore();
    throw new RangeError(`Cannot adapt by entropy: ${recordings.length} recordings gave no window`);
  }
  return restore;
}

/** Entropy of each row of `probs` (clipped away from 0). */
function entropyOf(probs: tf.Tensor): tf.Tensor {
  const clipped = tf.clipByValue(probs, EPSILON, 1);
  return tf.neg(tf.sum(tf.mul(clipped, tf.log(clipped)), -1));
}

/**
 * One Adam step of `variables` on the mean prediction entropy of `xs` (disposed here), less
 * `diversity` times the entropy of the mean prediction.
 */
function entropyStep(
  model: tfl.LayersModel,
  optimizer: tf.Optimizer,
  xs: tf.Tensor,
  variables: tf.Variable[],
  diversity: number,
): void {
  try {
    const cost = optimizer.minimize(
      () => {
        const probs = model.apply(xs, { training: false }) as tf.Tensor;
        const mean = tf.mean(entropyOf(probs)) as tf.Scalar;
        return diversity > 0 ? tf.sub(mean, tf.mul(entropyOf(tf.mean(probs, 0)), diversity)) as tf.Scalar : mean;
      },
      false,
      variables,
    );
    cost?.dispose();
  } finally {
    xs.dispose();
  }
}
