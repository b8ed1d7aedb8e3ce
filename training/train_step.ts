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

/** Mean categorical cross-entropy of softmax `probs` against integer `labels`. */
function crossEntropy(probs: tf.Tensor, labels: tf.Tensor, nClasses: number): tf.Scalar {
  const oneHot = tf.oneHot(labels as tf.Tensor1D, nClasses);
  return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.log(tf.clipByValue(probs, EPSILON, 1))), -1)));
}

/**
 * Trains `model` on one batch: forward pass in training mode (dropout on,
 * batch statistics), mean cross-entropy (for a mixed batch, `lambda` of it
 * against `ys` plus `1 - lambda` against `mix.ys`), gradients for the trainable weights
 * only (never for the input), one `optimizer` update, then each weight's constraint
 * (e.g. EEGNet's max-norm): tfjs-layers applies constraints only when a weight is written
 * through its layer, never after an optimizer update, so without this they would be ignored.
 *
 * @param model A model whose output is softmax probabilities.
 * @param optimizer E.g. `tf.train.adam(1e-3)`.
 * @param batch The batch; `batch.shape` must match the model input.
 * @param nClasses Number of classes (the model's output width).
 * @returns Loss and accuracy counts, read back asynchronously (works on webgpu).
 */
export async function trainStep(
  model: tfl.LayersModel,
  optimizer: tf.Optimizer,
  batch: Batch,
  nClasses: number,
): Promise<StepResult> {
  const xs = tf.tensor(batch.xs, batch.shape);
  const ys = tf.tensor1d(batch.ys, "int32");
  const mate = batch.mix ? tf.tensor1d(batch.mix.ys, "int32") : undefined;
  const lambda = batch.mix?.lambda ?? 1;
  const variables = model.trainableWeights.map((weight) => weight.read() as tf.Variable);
  let correct: tf.Tensor | undefined;
  const loss = optimizer.minimize(
    () => {
      const probs = model.apply(xs, { training: true }) as tf.Tensor;
      correct = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(probs, -1), ys), "int32")));
      const own = crossEntropy(probs, ys, nClasses);
      // Mixup: the same convex combination of the two labels' losses as of the two samples.
      return mate ? tf.add(tf.mul(own, lambda), tf.mul(crossEntropy(probs, mate, nClasses), 1 - lambda)) : own;
    },
    true,
    variables,
  )!;
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
