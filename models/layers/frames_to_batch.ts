/**
 * Frames to a batch of frame stacks: lets one 2-D convolution run over every time step of
 * a sequence of sensor-grid frames at once (shared weights, no per-step loop).
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { knownDim, layerInt, singleShape, singleTensor } from "./_layer.ts";
import { frameStacks, frameStacksShape } from "./_frame_stacks.ts";
import type { LayerArgs } from "../types.ts";

/** Arguments of {@linkcode FramesToBatch}. */
export interface FramesToBatchArgs extends LayerArgs {
  /** Consecutive frames stacked as the channels of one image. @default 1 */
  depth?: number;
  /**
   * Frames before each stack added to it (overlapping the previous stack; zeros before the
   * first frame). @default 0
   */
  before?: number;
  /**
   * Frames after each stack added to it (the dropped frames after the last full stack where
   * there are some, zeros after the last frame). @default 0
   */
  after?: number;
  /**
   * Frames averaged into one before stacking (as an `averagePooling1d` over time with
   * `poolSize = strides = pool`; the last `nTimes mod pool` frames are dropped). Not with
   * `before`/`after`. @default 1
   */
  pool?: number;
  /**
   * Space-to-depth of each stack with blocks of `blockSize` x `blockSize` cells (as
   * {@linkcode SpaceToDepth} after this layer: `[rows / k, cols / k, k * k * depth]`, rounded up,
   * zeros beyond the grid). Not with `before`/`after`. @default 1
   */
  blockSize?: number;
}

/**
 * Cuts a sequence of frames into stacks of `depth` consecutive frames and puts every stack
 * in the batch axis, its frames as image channels (channels last).
 *
 * Input layout `[batch, nTimes, rows, cols]`; output `[batch * nSteps, rows, cols, depth]`
 * with `nSteps = floor(nTimes / depth)`: example `b`'s stack `s` (frames
 * `s * depth .. s * depth + depth - 1`) is row `b * nSteps + s`. The last
 * `nTimes - nSteps * depth` frames (fewer than `depth`) are dropped. A convolution applied to
 * the output is a convolution applied to every stack with shared weights;
 * {@linkcode BatchToSequence} with the same `nSteps` turns its per-stack features back into
 * `[batch, nSteps, features]`. With `before` or `after`, each stack also has the `before`
 * frames before it and the `after` frames after it (`before + depth + after` channels, frame
 * `s * depth - before + c` in channel `c`, zero outside the sequence): stacks that overlap, so
 * that a filter over time can be folded into the convolution that follows. With `pool` or
 * `blockSize`, the frames are first averaged `pool` at a time and each stack then goes through
 * a space-to-depth (`[rows / blockSize, cols / blockSize, blockSize^2 * depth]`): the pooling,
 * the stacks and the blocks are one gather, where the separate layers take a pass over the frames
 * each. No weights.
 *
 * Serialisable: registered with `tf.serialization.registerClass`.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { FramesToBatch } from "./frames_to_batch.ts";
 * import { assertEquals } from "@std/assert";
 *
 * await tf.setBackend("cpu");
 * const frames = tf.randomNormal([2, 25, 20, 20]); // [batch, nTimes, rows, cols]
 * const stacks = new FramesToBatch({ depth: 10 }).apply(frames) as tf.Tensor;
 * assertEquals(stacks.shape, [4, 20, 20, 10]); // 2 stacks per example, the last 5 frames dropped
 * ```
 */
export class FramesToBatch extends tfl.layers.Layer {
  /** Name under which the class is registered for serialisation. */
  static className = "FramesToBatch";
  /** Consecutive frames per stack. */
  readonly depth: number;
  /** Frames before each stack added to it. */
  readonly before: number;
  /** Frames after each stack added to it. */
  readonly after: number;
  /** Frames averaged into one before stacking. */
  readonly pool: number;
  /** Height and width of the space-to-depth blocks of each stack. */
  readonly blockSize: number;

  /**
   * Creates the layer.
   *
   * @param args Layer arguments; see {@linkcode FramesToBatchArgs}.
   * @throws {RangeError} when `depth`, `pool` or `blockSize` is not a positive integer, or
   * `pool` or `blockSize` is above 1 with `before` or `after`.
   */
  constructor(args: FramesToBatchArgs = {}) {
    super(args);
    this.depth = layerInt("FramesToBatch", "depth", args.depth ?? 1, 1);
    this.before = layerInt("FramesToBatch", "before", args.before ?? 0, 0);
    this.after = layerInt("FramesToBatch", "after", args.after ?? 0, 0);
    this.pool = layerInt("FramesToBatch", "pool", args.pool ?? 1, 1);
    this.blockSize = layerInt("FramesToBatch", "blockSize", args.blockSize ?? 1, 1);
    if ((this.pool > 1 || this.blockSize > 1) && this.before + this.after > 0) {
      throw new RangeError("FramesToBatch: pool and blockSize cannot be combined with before or after");
    }
  }

  /** `[batch, nTimes, rows, cols]` -> `[batch * nSteps, rows, cols, depth]`. */
  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const shape = singleShape("FramesToBatch", inputShape);
    const nSteps = this.steps(shape);
    if (this.gathers()) {
      const [, rows, cols, channels] = frameStacksShape([0, ...shape.slice(1) as number[]], this.dims());
      return [shape[0] === null ? null : shape[0] * nSteps, rows, cols, channels];
    }
    const batch = shape[0] === null ? null : shape[0] * nSteps;
    return [batch, shape[2], shape[3], this.before + this.depth + this.after];
  }

  /** Stacks the frames. */
  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Record<string, unknown>): tf.Tensor {
    return tf.tidy(() => {
      let x = singleTensor("FramesToBatch", inputs);
      const nSteps = this.steps(x.shape);
      const [batch, nTimes, rows, cols] = x.shape;
      if (this.gathers()) return frameStacks(x, this.dims());
      if (this.before + this.after > 0) return this.overlapping(x, nSteps);
      if (nSteps * this.depth < nTimes) x = tf.slice(x, [0, 0, 0, 0], [batch, nSteps * this.depth, rows, cols]);
      if (this.depth === 1) return tf.reshape(x, [batch * nSteps, rows, cols, 1]);
      const stacks = tf.transpose(tf.reshape(x, [batch * nSteps, this.depth, rows * cols]), [0, 2, 1]);
      return tf.reshape(stacks, [batch * nSteps, rows, cols, this.depth]);
    });
  }

  /** The layer's configuration, merged with the base layer's. */
  override getConfig(): tf.serialization.ConfigDict {
    const gather: tf.serialization.ConfigDict = this.gathers() ? { pool: this.pool, blockSize: this.blockSize } : {};
    return { ...super.getConfig(), depth: this.depth, before: this.before, after: this.after, ...gather };
  }

  private gathers(): boolean {
    return this.pool > 1 || this.blockSize > 1;
  }

  private dims() {
    return { pool: this.pool, depth: this.depth, block: this.blockSize };
  }

  /** Stacks with `before` and `after` frames: slices of the zero-padded sequence, frames last. */
  private overlapping(x: tf.Tensor, nSteps: number): tf.Tensor {
    const [batch, nTimes, rows, cols] = x.shape;
    const width = this.before + this.depth + this.after;
    const end = Math.max(0, (nSteps - 1) * this.depth + width - this.before - nTimes);
    const padded = tf.pad(tf.reshape(x, [batch, nTimes, rows * cols]), [[0, 0], [this.before, end], [0, 0]]);
    const stacks = Array.from({ length: nSteps }, (_, s) => tf.slice(padded, [0, s * this.depth, 0], [-1, width, -1]));
    const frames = tf.reshape(nSteps === 1 ? stacks[0] : tf.concat(stacks, 1), [batch * nSteps, width, rows * cols]);
    return tf.reshape(tf.transpose(frames, [0, 2, 1]), [batch * nSteps, rows, cols, width]);
  }

  /** `nSteps` of an input shape, or an error naming what is wrong. */
  private steps(shape: tfl.Shape | number[]): number {
    if (shape.length !== 4) {
      throw new TypeError(`FramesToBatch expects [batch, nTimes, rows, cols], got shape [${shape.join(", ")}]`);
    }
    const nTimes = Math.floor(knownDim("FramesToBatch", shape as tfl.Shape, 1, "nTimes") / this.pool);
    knownDim("FramesToBatch", shape as tfl.Shape, 2, "rows");
    knownDim("FramesToBatch", shape as tfl.Shape, 3, "cols");
    if (nTimes < this.depth) {
      const pooled = this.pool > 1 ? ` (pooled ${this.pool} to 1)` : "";
      throw new RangeError(`FramesToBatch: nTimes ${nTimes}${pooled} is shorter than one stack of depth ${this.depth}`);
    }
    return Math.floor(nTimes / this.depth);
  }
}
tf.serialization.registerClass(FramesToBatch);
