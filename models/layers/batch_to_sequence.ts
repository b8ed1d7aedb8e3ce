/**
 * A batch of per-step features back to sequences: the inverse of {@linkcode FramesToBatch}'s
 * batch layout, after a network has turned every stack of frames into a feature vector.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { knownDim, layerInt, singleShape, singleTensor } from "./_layer.ts";
import type { LayerArgs } from "../types.ts";

/** Arguments of {@linkcode BatchToSequence}. */
export interface BatchToSequenceArgs extends LayerArgs {
  /** Time steps per example: the `nSteps` the batch axis was multiplied by. @default 1 */
  nSteps?: number;
}

/**
 * `[batch * nSteps, features]` -> `[batch, nSteps, features]`: row `b * nSteps + s` becomes
 * step `s` of example `b` (the layout {@linkcode FramesToBatch} makes). No weights, a
 * reshape only.
 *
 * Serialisable: registered with `tf.serialization.registerClass`.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { BatchToSequence } from "./batch_to_sequence.ts";
 * import { assertEquals } from "@std/assert";
 *
 * await tf.setBackend("cpu");
 * const features = tf.randomNormal([6, 8]); // 2 examples x 3 steps, 8 features each
 * const sequences = new BatchToSequence({ nSteps: 3 }).apply(features) as tf.Tensor;
 * assertEquals(sequences.shape, [2, 3, 8]);
 * ```
 */
export class BatchToSequence extends tfl.layers.Layer {
  /** Name under which the class is registered for serialisation. */
  static className = "BatchToSequence";
  /** Time steps per example. */
  readonly nSteps: number;

  /**
   * Creates the layer.
   *
   * @param args Layer arguments; see {@linkcode BatchToSequenceArgs}.
   * @throws {RangeError} when `nSteps` is not a positive integer.
   */
  constructor(args: BatchToSequenceArgs = {}) {
    super(args);
    this.nSteps = layerInt("BatchToSequence", "nSteps", args.nSteps ?? 1, 1);
  }

  /** `[batch * nSteps, features]` -> `[batch, nSteps, features]`. */
  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const shape = singleShape("BatchToSequence", inputShape);
    const features = this.features(shape);
    const batch = shape[0] === null ? null : this.examples(shape[0]);
    return [batch, this.nSteps, features];
  }

  /** Splits the batch axis into examples and steps. */
  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Record<string, unknown>): tf.Tensor {
    return tf.tidy(() => {
      const x = singleTensor("BatchToSequence", inputs);
      const features = this.features(x.shape);
      return tf.reshape(x, [this.examples(x.shape[0]), this.nSteps, features]);
    });
  }

  /** The layer's configuration, merged with the base layer's. */
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), nSteps: this.nSteps };
  }

  private features(shape: tfl.Shape | number[]): number {
    if (shape.length !== 2) {
      throw new TypeError(`BatchToSequence expects [batch * nSteps, features], got shape [${shape.join(", ")}]`);
    }
    return knownDim("BatchToSequence", shape as tfl.Shape, 1, "feature axis");
  }

  private examples(rows: number): number {
    if (rows % this.nSteps !== 0) {
      throw new RangeError(`BatchToSequence: ${rows} rows are not a multiple of nSteps = ${this.nSteps}`);
    }
    return rows / this.nSteps;
  }
}
tf.serialization.registerClass(BatchToSequence);
