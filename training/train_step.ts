/**
 * One optimisation step and one inference pass on a {@linkcode Batch}: the
 * model boundary, where typed arrays become tensors and every tensor made is
 * disposed before returning.
 *
 * @module
 */
import { lazyInputTensor } from "../core/_lazy_upload.ts";
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import type { Batch } from "../core/types.ts";
import { applyConstraints } from "../models/constraints.ts";
import { onSynchronousBackend } from "../core/_synchronous_backend.ts";
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
/** `EPSILON` as the float32 scalar tfjs compares with. */
const EPSILON_F32 = Math.fround(EPSILON);

/** The loss's targets: one-hot `labels`, smoothed by `smoothing` when positive. */
function targets(labels: tf.Tensor, nClasses: number, smoothing: number): tf.Tensor {
  const oneHot = tf.oneHot(labels as tf.Tensor1D, nClasses);
  return smoothing > 0 ? tf.add(tf.mul(oneHot, 1 - smoothing), smoothing / nClasses) : oneHot;
}

/** `-mean(sum(target * log(clip(probs, EPSILON, 1)), -1))`, tfjs's ops (and so its gradient chain). */
function crossEntropyOf(probs: tf.Tensor, target: tf.Tensor): tf.Scalar {
  return tf.neg(tf.mean(tf.sum(tf.mul(target, tf.log(tf.clipByValue(probs, EPSILON, 1))), -1)));
}

/**
 * Mean categorical cross-entropy of softmax `probs` against integer `labels`, whose one-hot
 * targets are smoothed by `smoothing` (target `(1 - smoothing) * oneHot + smoothing / nClasses`).
 */
function crossEntropy(probs: tf.Tensor, labels: tf.Tensor, nClasses: number, smoothing = 0): tf.Scalar {
  return crossEntropyOf(probs, targets(labels, nClasses, smoothing));
}

/**
 * {@linkcode crossEntropy} as one node of the gradient tape: the same value from the same tfjs ops
 * (run untaped), and as gradient one pass over the `[batch, nClasses]` values that does what tfjs's
 * chain of ~15 gradient kernels (`Neg`, `Mean`, `Sum`, `Multiply`, `Log`, `ClipByValue`) does, each
 * float32 operation in the same order: with `g` the incoming gradient and `n` the batch,
 * `d = ((-g * 1) / n * 1) * target`, then `d / p` where `clipByValue` kept `p` (`EPSILON <= p <= 1`,
 * where the clip's output is `p` itself) and `0` where it clipped. Each step is one IEEE float32
 * multiplication or division, which a float64 operation rounded once to float32 (`Math.fround`)
 * reproduces exactly, so the gradient is bit for bit tfjs's (tests/training/train_step_test.ts
 * compares losses and weights of whole Adam steps bitwise). Used on backends whose tensors live in
 * host memory (cpu, wasm: `onSynchronousBackend()`); elsewhere {@linkcode crossEntropy}.
 */
function crossEntropyOneOp(probs: tf.Tensor, labels: tf.Tensor, nClasses: number, smoothing = 0): tf.Scalar {
  const loss = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const p = args[0] as tf.Tensor, save = args[1] as tf.GradSaveFunc;
    const target = targets(labels, nClasses, smoothing);
    save([p, target]);
    return {
      value: crossEntropyOf(p, target),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [pValues, tValues] = [saved[0].dataSync(), saved[1].dataSync()];
        const scale = Math.fround(-(dy as tf.Tensor).dataSync()[0] / p.shape[0]);
        const dp = new Float32Array(pValues.length);
        for (let i = 0; i < dp.length; i++) {
          const value = pValues[i];
          dp[i] = value >= EPSILON_F32 && value <= 1 ? Math.fround(scale * tValues[i]) / value : 0;
        }
        return tf.tensor(dp, p.shape, "float32");
      },
    };
  });
  return loss(probs) as tf.Scalar;
}

/**
 * How many rows of `probs` (`[batch, nClasses]`, row-major) have their largest value at the
 * index `labels` holds: tfjs's `argMax` (the first index of the largest value; a `NaN` is never
 * larger, and a row starting with `NaN` gives 0) compared with the labels.
 */
function correctCount(probs: Float32Array | Int32Array | Uint8Array, labels: Int32Array, nClasses: number): number {
  let correct = 0;
  for (let row = 0; row < labels.length; row++) {
    const offset = row * nClasses;
    let best = 0, max = probs[offset];
    for (let j = 1; j < nClasses; j++) {
      if (probs[offset + j] > max) {
        max = probs[offset + j];
        best = j;
      }
    }
    if (best === labels[row]) correct++;
  }
  return correct;
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
  // copied into the wasm heap when first read (cascade's frame gather reads the array itself)
  const xs = lazyInputTensor(batch.xs, batch.shape);
  const ys = tf.tensor1d(batch.ys, "int32");
  const mate = batch.mix ? tf.tensor1d(batch.mix.ys, "int32") : undefined;
  const lambda = batch.mix?.lambda ?? 1;
  const variables = model.trainableWeights.map((weight) => weight.read() as tf.Variable);
  // On host backends the loss is one tape node and the accuracy is counted from the kept
  // probabilities after the step (off the tape: it has no gradient); elsewhere tfjs's ops.
  const host = onSynchronousBackend();
  const lossOf = host ? crossEntropyOneOp : crossEntropy;
  let probs: tf.Tensor | undefined;
  let correct: tf.Tensor | undefined;
  const { value: loss, grads } = optimizer.computeGradients(() => {
    const out = model.apply(xs, { training: true }) as tf.Tensor;
    if (host) probs = tf.keep(out);
    else correct = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(out, -1), ys), "int32")));
    const own = lossOf(out, ys, nClasses, labelSmoothing);
    // Mixup: the same convex combination of the two labels' losses as of the two samples
    // (the loss is linear in the target, so this is the loss of the mixed smoothed targets).
    return mate ? tf.add(tf.mul(own, lambda), tf.mul(lossOf(out, mate, nClasses, labelSmoothing), 1 - lambda)) : own;
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
  const counted = probs ?? correct!;
  const [lossValue, countedValue] = await Promise.all([loss.data(), counted.data()]);
  tf.dispose([xs, ys, loss, counted, ...(mate ? [mate] : [])]);
  const correctValue = probs ? correctCount(countedValue, batch.ys, nClasses) : countedValue[0];
  return { loss: lossValue[0], correct: correctValue, count: batch.ys.length };
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
