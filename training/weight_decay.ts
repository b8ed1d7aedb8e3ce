/**
 * Decoupled weight decay (AdamW, Loshchilov & Hutter, ICLR 2019): after the gradients of a step
 * are computed and before the optimizer applies them, every kernel shrinks by the factor
 * `1 - learningRate * weightDecay` (PyTorch's `AdamW` convention: the decay follows the
 * learning-rate schedule). Biases, LayerNorm and BatchNorm gains and offsets, positional
 * embeddings and other vectors are left alone.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";

/**
 * Whether a weight decays: its name (the part after the layer's `/`) ends with `kernel`
 * (`kernel`, `recurrent_kernel`, `depthwise_kernel`, `pointwise_kernel`, `qkv_kernel`, EEGNet's
 * `temporal_kernel` and `spatial_kernel`, ...). Not decayed: `bias`, `*_bias`, `gamma`, `beta`,
 * `embeddings`, moving statistics, attention pooling's `context`.
 *
 * @param name A weight's `originalName`, e.g. `"classifier/kernel"`.
 * @returns True for a kernel.
 *
 * @example
 * ```ts
 * import { isDecayedWeight } from "./weight_decay.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(
 *   ["classifier/kernel", "gru/recurrent_kernel", "classifier/bias", "head_norm/gamma", "spatial_position/embeddings"]
 *     .map(isDecayedWeight),
 *   [true, true, false, false, false],
 * );
 * ```
 */
export function isDecayedWeight(name: string): boolean {
  return /kernel$/.test(name.split("/").at(-1) ?? "");
}

/**
 * The trainable variables of `model` that decay (see {@linkcode isDecayedWeight}).
 *
 * @param model A model.
 * @returns Its kernels' variables.
 */
export function decayedVariables(model: tfl.LayersModel): tf.Variable[] {
  return model.trainableWeights.filter((w) => isDecayedWeight(w.originalName)).map((w) => w.read() as tf.Variable);
}

/**
 * Multiplies each of `variables` by `1 - rate` in place (`rate` = learning rate x weight decay).
 *
 * @param variables The variables to shrink.
 * @param rate The fraction each loses, in [0, 1).
 * @throws {RangeError} for a rate outside [0, 1).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { decayVariables } from "./weight_decay.ts";
 * import { assertEquals } from "@std/assert";
 *
 * await tf.setBackend("cpu");
 * const v = tf.variable(tf.tensor1d([2, -4]));
 * decayVariables([v], 0.25);
 * assertEquals(Array.from(v.dataSync()), [1.5, -3]);
 * v.dispose();
 * ```
 */
export function decayVariables(variables: readonly tf.Variable[], rate: number): void {
  if (!(rate >= 0 && rate < 1)) {
    throw new RangeError(`Cannot decay weights: learning rate x weight decay must be in [0, 1), got ${rate}`);
  }
  if (rate === 0) return;
  for (const variable of variables) tf.tidy(() => variable.assign(tf.mul(variable, 1 - rate)));
}
