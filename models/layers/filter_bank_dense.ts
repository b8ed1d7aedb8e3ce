/**
 * A dense layer over blocks of frame stacks whose kernel is a temporal filter bank followed
 * by a dense map of the filtered stacks: the filter bank folded into the layer that follows
 * it, so that its band images are never computed.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { knownDim, layerInt, singleShape, singleTensor } from "./_layer.ts";
import type { LayerArgs } from "../types.ts";

/** Arguments of {@linkcode FilterBankDense}. */
export interface FilterBankDenseArgs extends LayerArgs {
  /** Output features. */
  units: number;
  /** Temporal filters. @default 4 */
  filters?: number;
  /** Taps of each temporal filter. @default 32 */
  kernelSize?: number;
  /** Filtered frames per stack. */
  depth: number;
  /** Blocks (cells) per input row, each with its own stack. @default 1 */
  blocks?: number;
}

/**
 * `[..., blocks * (depth + kernelSize - 1)]` -> `[..., units]`, no bias: for every block, a
 * stack of `depth + kernelSize - 1` frames (the `depth` frames with `floor((kernelSize - 1) / 2)`
 * before and the rest after: {@linkcode FramesToBatch} with `before` and `after`) goes through
 * the same `filters` FIR filters of `kernelSize` taps (valid part: the `depth` filtered frames),
 * and a dense map (no bias) takes the `blocks * filters * depth` filtered values to `units`.
 *
 * That is exactly `conv2d([kernelSize, 1], same, no bias)` on every cell's whole series
 * (`temporal_kernel` `[kernelSize, 1, 1, filters]`, its initialiser too), stacks of `depth`
 * band frames with channel `f * depth + d`, then a dense layer without bias (`kernel`
 * `[blocks * filters * depth, units]`, Glorot uniform; block `b`'s channels first), computed
 * the other way round: both maps are linear, so the layer multiplies them into one
 * `[blocks * (depth + kernelSize - 1), units]` kernel (a few thousand numbers) and applies
 * that to the raw stacks. The band images (`filters` times the input, and their gradients:
 * 0.3 GB per training step for `cascade`'s batch of 32) never exist, and the work does not
 * grow with `filters`. Nothing can sit between the two maps (no BatchNorm on the bands).
 *
 * Serialisable: registered with `tf.serialization.registerClass`.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { FilterBankDense } from "./filter_bank_dense.ts";
 * import { assertEquals } from "@std/assert";
 *
 * await tf.setBackend("cpu");
 * // one block, one filter of 3 taps [1, 2, 3], stacks of 2 frames (4 with the context)
 * const layer = new FilterBankDense({ units: 1, filters: 1, kernelSize: 3, depth: 2 });
 * const x = tf.tensor2d([[0, 1, 0, 0]], [1, 4]); // an impulse at the stack's first frame
 * layer.apply(x); // builds the layer
 * layer.setWeights([tf.tensor4d([1, 2, 3], [3, 1, 1, 1]), tf.tensor2d([[1], [10]])]);
 * const y = layer.apply(x) as tf.Tensor;
 * assertEquals(Array.from(y.dataSync()), [2 * 1 + 1 * 10]); // filtered frames [2, 1]
 * ```
 */
export class FilterBankDense extends tfl.layers.Layer {
  /** Name under which the class is registered for serialisation. */
  static className = "FilterBankDense";
  /** Output features. */
  readonly units: number;
  /** Temporal filters. */
  readonly filters: number;
  /** Taps of each temporal filter. */
  readonly kernelSize: number;
  /** Filtered frames per stack. */
  readonly depth: number;
  /** Blocks per input row. */
  readonly blocks: number;
  private temporalKernel: tfl.LayerVariable | null = null;
  private kernel: tfl.LayerVariable | null = null;
  private taps: Int32Array;

  /**
   * Creates the layer.
   *
   * @param args Layer arguments; see {@linkcode FilterBankDenseArgs}.
   * @throws {RangeError} when a size is not a positive integer.
   */
  constructor(args: FilterBankDenseArgs) {
    super(args);
    this.units = layerInt("FilterBankDense", "units", args.units, 1);
    this.filters = layerInt("FilterBankDense", "filters", args.filters ?? 4, 1);
    this.kernelSize = layerInt("FilterBankDense", "kernelSize", args.kernelSize ?? 32, 1);
    this.depth = layerInt("FilterBankDense", "depth", args.depth, 1);
    this.blocks = layerInt("FilterBankDense", "blocks", args.blocks ?? 1, 1);
    this.taps = this.tapIndices();
  }

  /** Frames per block in the input: `depth + kernelSize - 1`. */
  get window(): number {
    return this.depth + this.kernelSize - 1;
  }

  /** Creates `temporal_kernel` and `kernel`. */
  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    this.checkShape(singleShape("FilterBankDense", inputShape));
    this.temporalKernel = this.addWeight(
      "temporal_kernel",
      [this.kernelSize, 1, 1, this.filters],
      "float32",
      tfl.initializers.glorotUniform({}),
    );
    this.kernel = this.addWeight(
      "kernel",
      [this.blocks * this.filters * this.depth, this.units],
      "float32",
      tfl.initializers.glorotUniform({}),
    );
    this.built = true;
  }

  /** `[..., blocks * window]` -> `[..., units]`. */
  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const shape = singleShape("FilterBankDense", inputShape);
    this.checkShape(shape);
    return [...shape.slice(0, -1), this.units];
  }

  /** Multiplies the two maps into one kernel and applies it. */
  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Record<string, unknown>): tf.Tensor {
    return tf.tidy(() => {
      const x = singleTensor("FilterBankDense", inputs);
      this.checkShape(x.shape);
      const [f, d, window, blocks, units] = [this.filters, this.depth, this.window, this.blocks, this.units];
      const taps = tf.concat([tf.reshape(this.temporalKernel!.read(), [this.kernelSize * f]), tf.zeros([1])]);
      // filtering: frame tau of a stack -> filtered frame d of filter f, [window, filters * depth]
      const filtering = tf.reshape(tf.gather(taps, tf.tensor1d(this.taps, "int32")), [window, f * d]);
      // [blocks * filters * depth, units] -> [filters * depth, blocks * units]
      const dense = tf.reshape(tf.transpose(tf.reshape(this.kernel!.read(), [blocks, f * d, units]), [1, 0, 2]), [
        f * d,
        blocks * units,
      ]);
      const combined = tf.reshape(
        tf.transpose(tf.reshape(tf.matMul(filtering, dense), [window, blocks, units]), [1, 0, 2]),
        [blocks * window, units],
      );
      const rows = tf.reshape(x, [-1, blocks * window]);
      return tf.reshape(tf.matMul(rows, combined), [...x.shape.slice(0, -1), units]);
    });
  }

  /** The layer's configuration, merged with the base layer's. */
  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      units: this.units,
      filters: this.filters,
      kernelSize: this.kernelSize,
      depth: this.depth,
      blocks: this.blocks,
    };
  }

  /**
   * Row `tau`, column `f * depth + d` of the filtering matrix: the index into the flattened
   * temporal kernel (`k * filters + f`) of tap `k = tau - d`, or the trailing zero outside
   * `0 <= k < kernelSize`.
   */
  private tapIndices(): Int32Array {
    const [k, f, d] = [this.kernelSize, this.filters, this.depth];
    const indices = new Int32Array(this.window * f * d).fill(k * f);
    for (let tap = 0; tap < k; tap++) {
      for (let filter = 0; filter < f; filter++) {
        for (let frame = 0; frame < d; frame++) indices[(frame + tap) * f * d + filter * d + frame] = tap * f + filter;
      }
    }
    return indices;
  }

  private checkShape(shape: tfl.Shape | number[]): void {
    const size = knownDim("FilterBankDense", shape as tfl.Shape, -1, "feature axis");
    if (size !== this.blocks * this.window) {
      throw new RangeError(
        `FilterBankDense: the last axis must hold blocks x (depth + kernelSize - 1) = ${
          this.blocks * this.window
        } values, got ${size}`,
      );
    }
  }
}
tf.serialization.registerClass(FilterBankDense);
