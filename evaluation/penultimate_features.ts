/**
 * What a trained model makes of a window before it decides: the activations of
 * its penultimate layer (the input of its final softmax layer), one feature
 * vector per window, e.g. for embeddings of what the network learned.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";

/**
 * The penultimate-layer features of a model: the input of its last layer (every
 * registered model ends with a dense softmax layer), flattened to `[batch, nFeatures]`,
 * computed in inference mode (dropout off, BatchNorm on its moving statistics).
 *
 * @param model A model with at least two layers.
 * @returns A function from a batch of model inputs to its features, and the feature count.
 * @throws {RangeError} when the model's last layer takes the model's input directly (no hidden layer).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import * as tfl from "@tensorflow/tfjs-layers";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { penultimateFeatures } from "./penultimate_features.ts";
 * import { assertEquals } from "@std/assert";
 *
 * await tf.setBackend("cpu");
 * const model = tfl.sequential({
 *   layers: [
 *     tfl.layers.dense({ inputShape: [3], units: 5, activation: "relu" }),
 *     tfl.layers.dense({ units: 2, activation: "softmax" }),
 *   ],
 * });
 * const { apply, size } = penultimateFeatures(model);
 * assertEquals(size, 5);
 * assertEquals(apply(tf.ones([4, 3])).shape, [4, 5]);
 * ```
 */
export function penultimateFeatures(
  model: tfl.LayersModel,
): { apply: (x: tf.Tensor) => tf.Tensor2D; size: number } {
  const last = model.layers[model.layers.length - 1];
  const before = last.input as tfl.SymbolicTensor;
  if (model.layers.length < 2 || model.inputs.includes(before)) {
    throw new RangeError(
      `Cannot take penultimate features of model ${model.name}: its last layer takes the model's input directly`,
    );
  }
  const sub = tfl.model({ inputs: model.inputs, outputs: before, name: `${model.name}_penultimate` });
  const size = before.shape.slice(1).reduce((a: number, b) => a * (b ?? 1), 1);
  return {
    apply: (x) =>
      tf.tidy(() => tf.reshape(sub.apply(x, { training: false }) as tf.Tensor, [x.shape[0], size]) as tf.Tensor2D),
    size,
  };
}
