/**
 * A bank of learned FIR filters applied to every channel's time series, computed as one
 * matMul with a banded (Toeplitz) matrix instead of a convolution.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { knownDim, layerInt, singleShape, singleTensor } from "./_layer.ts";
import { directFilterBankOp, isDirectFilterBank } from "./_direct_filter_bank.ts";
import type { LayerArgs } from "../types.ts";

/** How {@linkcode TemporalFilterBank} cuts a series into blocks (see its `plan`). */
interface FilterPlan {
  nTimes: number;
  block: number;
  window: number;
  nBlocks: number;
  before: number;
  after: number;
  band: Int32Array;
}

/** Arguments of {@linkcode TemporalFilterBank}. */
export interface TemporalFilterBankArgs extends LayerArgs {
  /** Number of filters. @default 4 */
  filters?: number;
  /** Taps of each filter. @default 32 */
  kernelSize?: number;
}

/**
 * `[batch, nTimes, channels]` -> `[batch, nTimes, channels, filters]`: every channel's series
 * through the same `filters` FIR filters of `kernelSize` taps, with exactly the function and
 * weight of `conv2d({ filters, kernelSize: [kernelSize, 1], padding: "same", useBias: false })`
 * on `[batch, nTimes, channels, 1]` (kernel `[kernelSize, 1, 1, filters]`, same initialiser).
 *
 * Why: that convolution on the wasm backend (one input channel, `batch * nTimes * channels`
 * outputs of a few filters) is slow and memory-hungry in training (for `cascade`'s 32 x 125 x
 * 400 series: 2.2 s a step and 0.5 GB more peak memory). Here every filter is a banded
 * matrix (Toeplitz, built from the taps by a gather, zero outside the band), cut into blocks of
 * `kernelSize` output frames: every block of every filter is the same `[2 * kernelSize - 1,
 * kernelSize]` band applied to the block's input window, so the filters are laid side by side
 * (`[2 * kernelSize - 1, kernelSize * filters]`), the windows of every series stacked, and one
 * matMul filters all of them (about twice the multiply-adds of the convolution, none
 * of its slow paths); its gradients are matMuls too, and the taps' gradient flows back
 * through the gather. No bias. A layer marked with `directFilterBank` (`_direct_filter_bank.ts`;
 * vivit's) runs the same values on wasm as a direct convolution, one kernel forward and one backward
 * (`backends/kernels/fir_filter_bank.ts`: the band's nonzero entries only, in the product's order).
 *
 * Serialisable: registered with `tf.serialization.registerClass`.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { TemporalFilterBank } from "./temporal_filter_bank.ts";
 * import { assertEquals } from "@std/assert";
 *
 * await tf.setBackend("cpu");
 * const bank = new TemporalFilterBank({ filters: 1, kernelSize: 3 });
 * const x = tf.tensor3d([0, 1, 0, 0], [1, 4, 1]); // one channel, an impulse at time 1
 * bank.apply(x); // builds the layer
 * bank.setWeights([tf.tensor4d([1, 2, 3], [3, 1, 1, 1])]);
 * const y = bank.apply(x) as tf.Tensor;
 * assertEquals(y.shape, [1, 4, 1, 1]);
 * assertEquals(Array.from(y.dataSync()), [3, 2, 1, 0]); // correlation, 'same' padding
 * ```
 */
export class TemporalFilterBank extends tfl.layers.Layer {
  /** Name under which the class is registered for serialisation. */
  static className = "TemporalFilterBank";
  /** Number of filters. */
  readonly filters: number;
  /** Taps of each filter. */
  readonly kernelSize: number;
  private kernel: tfl.LayerVariable | null = null;
  private cached: FilterPlan | null = null;

  /**
   * Creates the layer.
   *
   * @param args Layer arguments; see {@linkcode TemporalFilterBankArgs}.
   * @throws {RangeError} when `filters` or `kernelSize` is not a positive integer.
   */
  constructor(args: TemporalFilterBankArgs = {}) {
    super(args);
    this.filters = layerInt("TemporalFilterBank", "filters", args.filters ?? 4, 1);
    this.kernelSize = layerInt("TemporalFilterBank", "kernelSize", args.kernelSize ?? 32, 1);
  }

  /** Creates `kernel` `[kernelSize, 1, 1, filters]` (Glorot uniform, as conv2d's). */
  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    this.dims(singleShape("TemporalFilterBank", inputShape));
    this.kernel = this.addWeight(
      "kernel",
      [this.kernelSize, 1, 1, this.filters],
      "float32",
      tfl.initializers.glorotUniform({}),
    );
    this.built = true;
  }

  /** `[batch, nTimes, channels]` -> `[batch, nTimes, channels, filters]`. */
  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const shape = singleShape("TemporalFilterBank", inputShape);
    const [nTimes, channels] = this.dims(shape);
    return [shape[0], nTimes, channels, this.filters];
  }

  /** Filters every channel's series. */
  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Record<string, unknown>): tf.Tensor {
    return tf.tidy(() => {
      const x = singleTensor("TemporalFilterBank", inputs);
      const [nTimes, channels] = this.dims(x.shape);
      // layers marked by directFilterBank: one direct convolution kernel where the backend has it
      const direct = isDirectFilterBank(this) ? directFilterBankOp(x, this.kernel!.read()) : null;
      if (direct !== null) return direct;
      const batch = x.shape[0];
      const { block, window, nBlocks, before, after } = this.plan(nTimes);
      const f = this.filters;
      // taps, then a zero that every entry outside the band reads
      const taps = tf.concat([tf.reshape(this.kernel!.read(), [this.kernelSize * f]), tf.zeros([1])]);
      const band = tf.reshape(tf.gather(taps, tf.tensor1d(this.cached!.band, "int32")), [window, block * f]);
      // every series, zero-padded, cut into its overlapping windows: [batch * channels * nBlocks, window]
      const series = tf.reshape(tf.pad(tf.transpose(x, [0, 2, 1]), [[0, 0], [0, 0], [before, after]]), [
        batch * channels,
        before + nTimes + after,
      ]);
      const pieces = Array.from({ length: nBlocks }, (_, j) => tf.slice(series, [0, j * block], [-1, window]));
      const windows = tf.reshape(nBlocks === 1 ? pieces[0] : tf.stack(pieces, 1), [-1, window]);
      // [batch, channels, nBlocks * block, filters] -> [batch, nBlocks * block, channels, filters]
      const y = tf.reshape(tf.matMul(windows, band), [batch, channels, nBlocks * block, f]);
      const frames = tf.transpose(y, [0, 2, 1, 3]);
      return nBlocks * block === nTimes ? frames : tf.slice(frames, [0, 0, 0, 0], [batch, nTimes, channels, f]);
    });
  }

  /** The layer's configuration, merged with the base layer's. */
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), filters: this.filters, kernelSize: this.kernelSize };
  }

  /**
   * How `nTimes` frames are filtered: in `nBlocks` blocks of `block` output frames (the
   * kernel's length, at most `nTimes`), block `j` from the `window = block + kernelSize - 1`
   * input frames that start at frame `j * block - before` of the series padded with
   * `before = floor((kernelSize - 1) / 2)` zeros ('same' padding) and `after` zeros after.
   * `band` indexes the flattened kernel (`k * filters + f`) for row `w` and column
   * `t * filters + f` of the one banded matrix every block shares: tap `k = w - t`, or the
   * trailing zero outside the band.
   */
  private plan(nTimes: number): FilterPlan {
    if (this.cached?.nTimes === nTimes) return this.cached;
    const [k, f] = [this.kernelSize, this.filters];
    const block = Math.min(k, nTimes);
    const window = block + k - 1;
    const nBlocks = Math.ceil(nTimes / block);
    const before = Math.floor((k - 1) / 2);
    const band = new Int32Array(window * block * f).fill(k * f);
    for (let t = 0; t < block; t++) {
      for (let tap = 0; tap < k; tap++) {
        for (let filter = 0; filter < f; filter++) band[(t + tap) * block * f + t * f + filter] = tap * f + filter;
      }
    }
    const after = nBlocks * block + window - block - before - nTimes;
    this.cached = { nTimes, block, window, nBlocks, before, after, band };
    return this.cached;
  }

  private dims(shape: tfl.Shape | number[]): [number, number] {
    if (shape.length !== 3) {
      throw new TypeError(
        `TemporalFilterBank expects [batch, nTimes, channels], got shape [${shape.join(", ")}]`,
      );
    }
    return [
      knownDim("TemporalFilterBank", shape as tfl.Shape, 1, "nTimes"),
      knownDim("TemporalFilterBank", shape as tfl.Shape, 2, "channels"),
    ];
  }
}
tf.serialization.registerClass(TemporalFilterBank);
