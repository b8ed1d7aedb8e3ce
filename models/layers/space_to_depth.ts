/**
 * Space to depth: every non-overlapping `blockSize` x `blockSize` block of an image becomes
 * one pixel whose channels are the block's values. Followed by a dense layer it is a
 * convolution with kernel = stride = `blockSize`, computed as one matMul (the best optimised
 * kernel of the wasm backend; its gradients are matMuls too, where a strided `conv2d`'s
 * filter gradient is a slow kernel there).
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { knownDim, layerInt, singleShape, singleTensor } from "./_layer.ts";
import type { LayerArgs } from "../types.ts";

/** Arguments of {@linkcode SpaceToDepth}. */
export interface SpaceToDepthArgs extends LayerArgs {
  /** Height and width of a block. @default 2 */
  blockSize?: number;
}

/**
 * `[batch, rows, cols, channels]` (channels last) -> `[batch, ceil(rows / k), ceil(cols / k),
 * k * k * channels]` with `k = blockSize`. Rows and columns that do not fill a last block are
 * padded with zeros at the bottom and the right. Output channel `(i * k + j) * channels + c` of
 * block `(r, s)` is input pixel `(r * k + i, s * k + j)`, channel `c` (the layout of
 * TensorFlow's `space_to_depth`). No weights.
 *
 * Serialisable: registered with `tf.serialization.registerClass`.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { SpaceToDepth } from "./space_to_depth.ts";
 * import { assertEquals } from "@std/assert";
 *
 * await tf.setBackend("cpu");
 * const image = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]); // [[1, 2], [3, 4]]
 * const blocks = new SpaceToDepth({ blockSize: 2 }).apply(image) as tf.Tensor;
 * assertEquals(blocks.shape, [1, 1, 1, 4]);
 * assertEquals(Array.from(blocks.dataSync()), [1, 2, 3, 4]);
 * ```
 */
export class SpaceToDepth extends tfl.layers.Layer {
  /** Name under which the class is registered for serialisation. */
  static className = "SpaceToDepth";
  /** Height and width of a block. */
  readonly blockSize: number;

  /**
   * Creates the layer.
   *
   * @param args Layer arguments; see {@linkcode SpaceToDepthArgs}.
   * @throws {RangeError} when `blockSize` is not a positive integer.
   */
  constructor(args: SpaceToDepthArgs = {}) {
    super(args);
    this.blockSize = layerInt("SpaceToDepth", "blockSize", args.blockSize ?? 2, 1);
  }

  /** `[batch, rows, cols, channels]` -> `[batch, rows / k, cols / k, k * k * channels]` (rounded up). */
  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const shape = singleShape("SpaceToDepth", inputShape);
    const [rows, cols, channels] = this.dims(shape);
    const k = this.blockSize;
    return [shape[0], Math.ceil(rows / k), Math.ceil(cols / k), k * k * channels];
  }

  /** Moves every block into the channels. */
  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Record<string, unknown>): tf.Tensor {
    return tf.tidy(() => {
      let x = singleTensor("SpaceToDepth", inputs);
      const [rows, cols, channels] = this.dims(x.shape);
      const k = this.blockSize;
      const [outRows, outCols] = [Math.ceil(rows / k), Math.ceil(cols / k)];
      if (outRows * k !== rows || outCols * k !== cols) {
        x = tf.pad(x, [[0, 0], [0, outRows * k - rows], [0, outCols * k - cols], [0, 0]]);
      }
      const batch = x.shape[0];
      if (k === 1) return x;
      // [batch * outRows, k, outCols, k * channels] -> [batch * outRows, outCols, k, k * channels]
      const blocks = tf.transpose(tf.reshape(x, [batch * outRows, k, outCols, k * channels]), [0, 2, 1, 3]);
      return tf.reshape(blocks, [batch, outRows, outCols, k * k * channels]);
    });
  }

  /** The layer's configuration, merged with the base layer's. */
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), blockSize: this.blockSize };
  }

  private dims(shape: tfl.Shape | number[]): [number, number, number] {
    if (shape.length !== 4) {
      throw new TypeError(`SpaceToDepth expects [batch, rows, cols, channels], got shape [${shape.join(", ")}]`);
    }
    return [1, 2, 3].map((axis, i) =>
      knownDim("SpaceToDepth", shape as tfl.Shape, axis, ["rows", "cols", "channels"][i])
    ) as [number, number, number];
  }
}
tf.serialization.registerClass(SpaceToDepth);
