/**
 * Small helpers shared by megflow's custom layers.
 *
 * @module
 */

import type * as tfl from "@tensorflow/tfjs-layers";
import type * as tf from "@tensorflow/tfjs-core";

/** The one shape of a single-input layer. */
export function singleShape(layer: string, inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
  if (inputShape.length > 0 && Array.isArray(inputShape[0])) {
    if (inputShape.length !== 1) {
      throw new TypeError(`${layer} expects exactly one input, got ${inputShape.length}`);
    }
    return inputShape[0] as tfl.Shape;
  }
  return inputShape as tfl.Shape;
}

/** The one tensor of a single-input layer. */
export function singleTensor(layer: string, inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
  if (Array.isArray(inputs)) {
    if (inputs.length !== 1) throw new TypeError(`${layer} expects exactly one input, got ${inputs.length}`);
    return inputs[0];
  }
  return inputs;
}

/** Throws a RangeError unless `value` is an integer >= `min`. */
export function layerInt(layer: string, name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`${layer}: ${name} must be an integer >= ${min}, got ${value}`);
  }
  return value;
}

/** The size of a known (non-null) axis, or a TypeError naming the layer and the shape. */
export function knownDim(layer: string, shape: tfl.Shape, axis: number, what: string): number {
  const size = shape[axis < 0 ? shape.length + axis : axis];
  if (size === null || size === undefined) {
    throw new TypeError(`${layer} needs a known ${what}, got input shape [${shape.join(", ")}]`);
  }
  return size;
}
