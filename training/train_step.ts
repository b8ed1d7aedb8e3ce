/**
 * One optimisation step and one inference pass on a {@linkcode Batch}: the
 * model boundary, where typed arrays become tensors and every tensor made is
 * disposed before returning.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import type { Batch } from "../core/types.ts";
import { applyConstraints } from "../models/constraints.ts";
import { decayedVariables, decayVariables } from "./weight_decay.ts";

/** Loss and correct count of one batch. */
export interface StepResult {
  /** Mean cross-entropy of the batch. */
  loss: number;
  /** Windows whose argmax equals the label. */
  correct: number;
  /** Windows in the batch. */
  count: number;
}

const EPSILON = 1e-7;

/**
 * Mean categorical cross-entropy of softmax `probs` against integer `labels`, whose one-hot
 * targets are smoothed by `smoothing` (target `(1 - smoothing) * oneHot + smoothing / nClasses`).
 */
function crossEntropy(probs: tf.Tensor, labels: tf.Tensor, nClasses: number, smoothing = 0): tf.Scalar {
  const oneHot = tf.oneHot(labels as tf.Tensor1D, nClasses);
  const target = smoothing > 0 ? tf.add(tf.mul(oneHot, 1 - smoothing), smoothing / nClasses) : oneHot;
  return tf.neg(tf.mean(tf.sum(tf.mul(target, tf.log(tf.clipByValue(probs, EPSILON, 1))), -1)));
}

/** Options of {@linkcode trainStep}. */
export interface TrainStepOptions {
  /**
   * Label smoothing of the training loss: each one-hot target becomes
   * `(1 - labelSmoothing) * oneHot + labelSmoothing / nClasses` (Szegedy et al. 2016). Default: 0.
   */
  labelSmoothing?: number;
  /**
   * Decoupled weight decay (AdamW): each kernel is multiplied by `1 - lr * weightDecay` before
   * the update, `lr` the optimizer's current `learningRate` (see `training/weight_decay.ts`).
   * Default: 0.
   */
  weightDecay?: number;
}

/**
 * Trains `model` on one batch: forward pass in training mode (dropout on,
 * batch statistics), mean cross-entropy (for a mixed batch, `lambda` of it
 * against `ys` plus `1 - lambda` against `mix.ys`; with label smoothing, against the
 * smoothed targets of both), gradients for the trainable weights only (never for the input),
 * decoupled weight decay of the kernels (if asked), one `optimizer` update, then each weight's constraint
 * (e.g. EEGNet's max-norm): tfjs-layers applies constraints only when a weight is written
 * through its layer, never after an optimizer update, so without this they would be ignored.
 *
 * @param model A model whose output is softmax probabilities.
 * @param optimizer E.g. `tf.train.adam(1e-3)`.
 * @param batch The batch; `batch.shape` must match the model input.
 * @param nClasses Number of classes (the model's output width).
 * @param options Label smoothing and weight decay (both off by default).
 * @returns Loss (of the smoothed targets, when smoothing) and accuracy counts, read back
 *   asynchronously (works on webgpu).
 */
export async function trainStep(
  model: tfl.LayersModel,
  optimizer: tf.Optimizer,
  batch: Batch,
  nClasses: number,
  options: TrainStepOptions = {},
): Promise<StepResult> {
  const { labelSmoothing = 0, weightDecay = 0 } = options;
  const xs = tf.tensor(batch.xs, batch.shape);
  const ys = tf.tensor1d(batch.ys, "int32");
  const mate = batch.mix ? tf.tensor1d(batch.mix.ys, "int32") : undefined;
  const lambda = batch.mix?.lambda ?? 1;
  const variables = model.trainableWeights.map((weight) => weight.read() as tf.Variable);
  let correct: tf.Tensor | undefined;
  const { value: loss, grads } = optimizer.computeGradients(() => {
    const probs = model.apply(xs, { training: true }) as tf.Tensor;
    correct = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(probs, -1), ys), "int32")));
    const own = crossEntropy(probs, ys, nClasses, labelSmoothing);
    // Mixup: the same convex combination of the two labels' losses as of the two samples
    // (the loss is linear in the target, so this is the loss of the mixed smoothed targets).
    return mate
      ? tf.add(tf.mul(own, lambda), tf.mul(crossEntropy(probs, mate, nClasses, labelSmoothing), 1 - lambda))
      : own;
  }, variables);
  // AdamW (as PyTorch's): the gradients are those of the undecayed weights; decay, then update.
  if (weightDecay > 0) {
    const rate = (optimizer as unknown as { learningRate: number }).learningRate * weightDecay;
    decayVariables(decayedVariables(model), rate);
  }
  // In `variables` order, as `minimize` applies them (Adam keys its moments by position).
  optimizer.applyGradients(variables.map((v) => ({ name: v.name, tensor: grads[v.name] })));
  tf.dispose(grads);
  applyConstraints(model);
  const [lossValue, correctValue] = await Promise.all([loss.data(), correct!.data()]);
  tf.dispose([xs, ys, loss, correct!, ...(mate ? [mate] : [])]);
  return { loss: lossValue[0], correct: correctValue[0], count: batch.ys.length };
}

/** Probabilities and loss of one batch in inference mode. */
export interface PredictResult extends StepResult {
  /** Softmax probabilities, `[count, nClasses]` row-major. */
  probs: Float32Array;
}

/**
 * Runs `model` in inference mode on one batch.
 *
 * @param model A model whose output is softmax probabilities.
 * @param batch The batch.
 * @param nClasses Number of classes.
 * @returns Probabilities, loss and accuracy counts.
 */
export async function predictBatch(model: tfl.LayersModel, batch: Batch, nClasses: number): Promise<PredictResult> {
  const [probs, loss, correct] = tf.tidy(() => {
    const xs = tf.tensor(batch.xs, batch.shape);
    const ys = tf.tensor1d(batch.ys, "int32");
    const probs = model.predict(xs) as tf.Tensor;
    const correct = tf.sum(tf.cast(tf.equal(tf.argMax(probs, -1), ys), "int32"));
    return [probs, crossEntropy(probs, ys, nClasses), correct];
  });
  const [probValues, lossValue, correctValue] = await Promise.all([probs.data(), loss.data(), correct.data()]);
  tf.dispose([probs, loss, correct]);
  return {
    probs: new Float32Array(probValues),
    loss: lossValue[0],
    correct: correctValue[0],
    count: batch.ys.length,
  };
}
