/**
 * EEGNet's first block (temporal convolution, BatchNorm, depthwise spatial convolution),
 * computed spatial filter first.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { knownDim, layerInt, singleShape, singleTensor } from "./_layer.ts";
import type { LayerArgs } from "../types.ts";

/** Arguments of {@linkcode TemporalSpatialBlock}. */
export interface TemporalSpatialBlockArgs extends LayerArgs {
  /** Temporal filters (EEGNet's F1). @default 8 */
  filters?: number;
  /** Temporal kernel length in samples (same padding). @default 64 */
  kernLength?: number;
  /** Spatial filters per temporal filter (EEGNet's D). @default 2 */
  depthMultiplier?: number;
  /** BatchNorm momentum (`moving = momentum * moving + (1 - momentum) * batch`). @default 0.9 */
  momentum?: number;
  /** BatchNorm epsilon (Keras' default). @default 0.001 */
  epsilon?: number;
  /** Max norm of each spatial filter over the sensors; 0 turns the constraint off. @default 1 */
  spatialMaxNorm?: number;
}

/**
 * EEGNet's first block as one layer, input `[batch, nChans, nTimes]`, output
 * `[batch, 1, nTimes, filters * depthMultiplier]`, with exactly the function, weights and
 * gradients of the textbook layers
 * `conv2d([1, kernLength], same, no bias) -> batchNormalization -> depthwiseConv2d([nChans, 1], no bias)`.
 *
 * Why: the textbook order makes an activation of `[batch, nChans, nTimes, filters]`
 * (32 x 248 x 250 x 8 = 16 M floats for the reference network) and spends most of a
 * training step on it: the temporal convolution, its filter gradient and BatchNorm over that
 * tensor. All three steps are linear per temporal filter `f`, so the spatial filter `w_fd`
 * (sensors -> 1) commutes with the temporal kernel `k_f` and with BatchNorm's affine map:
 *
 * `sum_c w_fd[c] * BN_f(k_f * x_c) = a_f * (k_f * (w_fd . x)) + (beta_f - a_f * mean_f) * sum_c w_fd[c]`,
 * with `a_f = gamma_f / sqrt(var_f + epsilon)`.
 *
 * So the layer mixes the sensors first (one `[batch * nTimes, nChans] x [nChans, F1 * D]`
 * matMul), then convolves F1 * D single time series. In training, BatchNorm needs the
 * mean and variance of `k_f * x` over batch, sensors and time; both are quadratic forms of
 * the kernel over statistics of the data alone: `mean_f = m . k_f` and
 * `E[(k_f * x)^2] = k_f^T G k_f`, where `m[i]` is the mean of the zero-padded input shifted
 * by `i` and `G[i, j]` the mean product of the input shifted by `i` and by `j`. `G` comes
 * from one `[nTimes, nTimes]` Gram matrix of the batch's time series. Neither needs a
 * gradient (they depend on the input only), and the kernel's gradient flows through the
 * quadratic forms.
 *
 * Weights, in the textbook's shapes: `temporal_kernel` `[1, kernLength, 1, filters]`,
 * `gamma`, `beta`, `moving_mean`, `moving_variance` `[filters]`, `spatial_kernel`
 * `[nChans, 1, filters, depthMultiplier]` (max-norm constrained over the sensors).
 * Serialisable (registered with `tf.serialization.registerClass`).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { TemporalSpatialBlock } from "./temporal_spatial_block.ts";
 * import { assertEquals } from "@std/assert";
 *
 * await tf.setBackend("cpu");
 * const block = new TemporalSpatialBlock({ filters: 4, kernLength: 8, depthMultiplier: 2 });
 * const out = block.apply(tf.randomNormal([3, 16, 40]), { training: true }) as tf.Tensor;
 * assertEquals(out.shape, [3, 1, 40, 8]);
 * ```
 */
export class TemporalSpatialBlock extends tfl.layers.Layer {
  /** Name under which the class is registered for serialisation. */
  static className = "TemporalSpatialBlock";
  /** Temporal filters (F1). */
  readonly filters: number;
  /** Temporal kernel length in samples. */
  readonly kernLength: number;
  /** Spatial filters per temporal filter (D). */
  readonly depthMultiplier: number;
  /** BatchNorm momentum. */
  readonly momentum: number;
  /** BatchNorm epsilon. */
  readonly epsilon: number;
  /** Max norm of each spatial filter; 0 for none. */
  readonly spatialMaxNorm: number;
  private temporalKernel?: tfl.LayerVariable;
  private gamma?: tfl.LayerVariable;
  private beta?: tfl.LayerVariable;
  private movingMean?: tfl.LayerVariable;
  private movingVariance?: tfl.LayerVariable;
  private spatialKernel?: tfl.LayerVariable;

  /**
   * Creates the block; its weights are made on first use.
   *
   * @param args See {@linkcode TemporalSpatialBlockArgs}.
   * @throws {RangeError} for a non-positive size, a momentum outside [0, 1], a negative
   * epsilon or max norm.
   */
  constructor(args: TemporalSpatialBlockArgs = {}) {
    super(args);
    this.filters = layerInt("TemporalSpatialBlock", "filters", args.filters ?? 8, 1);
    this.kernLength = layerInt("TemporalSpatialBlock", "kernLength", args.kernLength ?? 64, 1);
    this.depthMultiplier = layerInt("TemporalSpatialBlock", "depthMultiplier", args.depthMultiplier ?? 2, 1);
    this.momentum = args.momentum ?? 0.9;
    this.epsilon = args.epsilon ?? 1e-3;
    this.spatialMaxNorm = args.spatialMaxNorm ?? 1;
    if (!(this.momentum >= 0 && this.momentum <= 1)) {
      throw new RangeError(`TemporalSpatialBlock: momentum must be in [0, 1], got ${this.momentum}`);
    }
    if (!(this.epsilon >= 0)) throw new RangeError(`TemporalSpatialBlock: epsilon must be >= 0, got ${this.epsilon}`);
    if (!(this.spatialMaxNorm >= 0)) {
      throw new RangeError(`TemporalSpatialBlock: spatialMaxNorm must be >= 0, got ${this.spatialMaxNorm}`);
    }
  }

  /** Creates the weights for an input of layout `[batch, nChans, nTimes]`. */
  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shape = checkRank3(singleShape("TemporalSpatialBlock", inputShape));
    const nChans = knownDim("TemporalSpatialBlock", shape, 1, "sensor axis");
    const f1 = this.filters;
    // The textbook layers' shapes and initialisers (Keras defaults), so both start alike.
    this.temporalKernel = this.addWeight(
      "temporal_kernel",
      [1, this.kernLength, 1, f1],
      "float32",
      tfl.initializers.glorotUniform({}),
    );
    this.gamma = this.addWeight("gamma", [f1], "float32", tfl.initializers.ones());
    this.beta = this.addWeight("beta", [f1], "float32", tfl.initializers.zeros());
    this.movingMean = this.addWeight("moving_mean", [f1], "float32", tfl.initializers.zeros(), undefined, false);
    this.movingVariance = this.addWeight(
      "moving_variance",
      [f1],
      "float32",
      tfl.initializers.ones(),
      undefined,
      false,
    );
    this.spatialKernel = this.addWeight(
      "spatial_kernel",
      [nChans, 1, f1, this.depthMultiplier],
      "float32",
      tfl.initializers.glorotUniform({}),
      undefined,
      true,
      this.spatialMaxNorm > 0 ? tfl.constraints.maxNorm({ maxValue: this.spatialMaxNorm, axis: 0 }) : undefined,
    );
    this.built = true;
  }

  /** `[batch, nChans, nTimes]` -> `[batch, 1, nTimes, filters * depthMultiplier]`. */
  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const shape = checkRank3(singleShape("TemporalSpatialBlock", inputShape));
    return [shape[0], 1, shape[2], this.filters * this.depthMultiplier];
  }

  /** Applies the block; `kwargs.training` selects batch statistics (and updates the moving ones). */
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    return tf.tidy(() => {
      const x = singleTensor("TemporalSpatialBlock", inputs) as tf.Tensor3D;
      const [batch, nChans, nTimes] = checkRank3(x.shape);
      const f1 = this.filters;
      const depth = this.depthMultiplier;
      const k = this.kernLength;
      const spatial = tf.reshape(this.spatialKernel!.read(), [nChans, f1 * depth]);
      const kernel = tf.reshape(this.temporalKernel!.read(), [k, f1]) as tf.Tensor2D;

      // Sensors first: [batch * nTimes, nChans] x [nChans, F1 * D].
      const rows = tf.reshape(tf.transpose(x, [0, 2, 1]), [batch * nTimes, nChans]);
      const mixed = tf.reshape(tf.matMul(rows, spatial), [batch, 1, nTimes, f1 * depth]);
      // Then each spatial filter's series through its temporal filter's kernel.
      const perChannel = tf.reshape(repeatColumns(kernel, depth), [1, k, f1 * depth, 1]) as tf.Tensor4D;
      const filtered = tf.depthwiseConv2d(mixed as tf.Tensor4D, perChannel, 1, "same");

      let mean: tf.Tensor1D;
      let variance: tf.Tensor1D;
      if (kwargs?.training === true) {
        const { shifted, products } = paddedMoments(x, k);
        mean = tf.reshape(tf.matMul(tf.reshape(shifted, [1, k]), kernel), [f1]);
        const second = tf.sum(tf.mul(kernel, tf.matMul(products, kernel)), 0);
        variance = tf.relu(tf.sub(second, tf.square(mean))) as tf.Tensor1D;
        this.updateMovingAverage(this.movingMean!, mean);
        this.updateMovingAverage(this.movingVariance!, variance);
      } else {
        mean = this.movingMean!.read() as tf.Tensor1D;
        variance = this.movingVariance!.read() as tf.Tensor1D;
      }
      const scale = tf.mul(this.gamma!.read(), tf.rsqrt(tf.add(variance, this.epsilon)));
      const shift = tf.sub(this.beta!.read(), tf.mul(scale, mean));
      const filterSums = tf.sum(spatial, 0);
      const scaleRep = tf.reshape(repeatColumns(tf.reshape(scale, [1, f1]), depth), [f1 * depth]);
      const shiftRep = tf.reshape(repeatColumns(tf.reshape(shift, [1, f1]), depth), [f1 * depth]);
      return tf.add(tf.mul(filtered, scaleRep), tf.mul(shiftRep, filterSums));
    });
  }

  /** The layer's configuration, merged with the base layer's. */
  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      filters: this.filters,
      kernLength: this.kernLength,
      depthMultiplier: this.depthMultiplier,
      momentum: this.momentum,
      epsilon: this.epsilon,
      spatialMaxNorm: this.spatialMaxNorm,
    };
  }

  /** Keras' moving average: `moving -= (moving - value) * (1 - momentum)`. */
  private updateMovingAverage(variable: tfl.LayerVariable, value: tf.Tensor): void {
    tf.tidy(() => {
      const current = variable.read();
      variable.write(tf.sub(current, tf.mul(tf.sub(current, value), 1 - this.momentum)));
    });
  }
}
tf.serialization.registerClass(TemporalSpatialBlock);

/** `[rows, cols]` -> `[rows, cols * times]`, each column repeated `times` times in place. */
function repeatColumns(matrix: tf.Tensor2D, times: number): tf.Tensor2D {
  const [rows, cols] = matrix.shape;
  if (times === 1) return matrix;
  return tf.reshape(tf.mul(tf.reshape(matrix, [rows, cols, 1]), tf.ones([1, 1, times])), [rows, cols * times]);
}

/**
 * Statistics of the zero-padded input that give the mean and second moment of every
 * same-padded temporal convolution of `x` `[batch, nChans, nTimes]` with a kernel of length
 * `k` (padding `floor((k - 1) / 2)` before, the rest after, as tfjs pads):
 * `shifted[i]` = mean over batch, sensors and output time t of `xpad[t + i]`;
 * `products[i, j]` = mean of `xpad[t + i] * xpad[t + j]`. Depends on the input only.
 */
export function paddedMoments(x: tf.Tensor3D, k: number): { shifted: tf.Tensor1D; products: tf.Tensor2D } {
  return tf.tidy(() => {
    const [batch, nChans, nTimes] = x.shape;
    const count = batch * nChans * nTimes;
    const { band, pairs } = momentIndices(nTimes, k);
    const series = tf.reshape(x, [batch * nChans, nTimes]);
    const sums = tf.reshape(tf.sum(series, 0), [nTimes, 1]);
    const shifted = tf.div(tf.reshape(tf.matMul(tf.tensor2d(band, [k, nTimes]), sums), [k]), count);
    // Gram matrix of the time series; entry (a, b) sums x[.., a] * x[.., b] over batch and sensors.
    const gram = tf.reshape(tf.matMul(series, series, true, false), [nTimes * nTimes]);
    const withZero = tf.concat([gram, tf.zeros([1])]);
    const gathered = tf.gather(withZero, tf.tensor1d(pairs, "int32"));
    const products = tf.div(tf.reshape(tf.sum(tf.reshape(gathered, [k * k, nTimes]), 1), [k, k]), count);
    return { shifted: shifted as tf.Tensor1D, products: products as tf.Tensor2D };
  });
}

const indexCache = new Map<string, { band: Float32Array; pairs: Int32Array }>();

/**
 * Constant index tables for {@linkcode paddedMoments}: `band[i, a]` is 1 when input sample
 * `a` sits at shift `i` of some output time, and `pairs[(i * k + j) * nTimes + t]` is the
 * flat Gram index of the samples at shifts `i` and `j` of output time `t`, or
 * `nTimes * nTimes` (a zero) when either falls in the padding.
 */
function momentIndices(nTimes: number, k: number): { band: Float32Array; pairs: Int32Array } {
  const key = `${nTimes}:${k}`;
  let cached = indexCache.get(key);
  if (cached === undefined) {
    const before = Math.floor((k - 1) / 2);
    const band = new Float32Array(k * nTimes);
    const pairs = new Int32Array(k * k * nTimes);
    const zero = nTimes * nTimes;
    for (let i = 0; i < k; i++) {
      for (let t = 0; t < nTimes; t++) {
        const a = t + i - before;
        if (a >= 0 && a < nTimes) band[i * nTimes + a] = 1;
      }
      for (let j = 0; j < k; j++) {
        const base = (i * k + j) * nTimes;
        for (let t = 0; t < nTimes; t++) {
          const a = t + i - before;
          const b = t + j - before;
          pairs[base + t] = a >= 0 && a < nTimes && b >= 0 && b < nTimes ? a * nTimes + b : zero;
        }
      }
    }
    cached = { band, pairs };
    indexCache.set(key, cached);
  }
  return cached;
}

function checkRank3<S extends tfl.Shape>(shape: S): S {
  if (shape.length !== 3) {
    throw new TypeError(`TemporalSpatialBlock expects [batch, nChans, nTimes], got shape [${shape.join(", ")}]`);
  }
  return shape;
}
