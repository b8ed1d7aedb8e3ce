/**
 * tfjs-layers' `Dropout` with its mask drawn by a small integer generator: one multiply kernel
 * per dropout instead of tfjs's `randomUniform` (a seedrandom `alea` draw per value in
 * JavaScript) and four kernels (`Add`, `Floor`, `RealDiv`, `Multiply`).
 *
 * Installed on import by replacing `Dropout.prototype.call` (the class is tfjs-layers' own, so
 * models, configs and saved files are unchanged). The function is tfjs's: in training, each value
 * is kept with probability `1 - rate` and scaled by `1 / (1 - rate)` (float32), else zeroed; the
 * gradient is the same mask times the incoming gradient (a `Multiply` with a constant). Only the
 * random stream differs: each call seeds a xorshift32 generator with one `Math.random()` draw,
 * as tfjs seeds `alea` with one, so `withSeededRandom` runs stay repeatable. A layer given a
 * `seed` or a `noiseShape`, inference, and rates outside (0, 1) keep tfjs's code.
 *
 * Measured: `tf.dropout` of `[32, 1240]` ~4.3 ms against ~1.7 ms for the mask and product
 * (wasm, loaded machine); vivit runs 14 dropouts per training step, tsa 11, spectral 2.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";

/** The fields of tfjs-layers' `Dropout` that the replacement reads. */
interface DropoutLayer {
  rate: number;
  seed?: number;
  noiseShape?: number[];
  invokeCallHook(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): void;
}

type Call = (this: DropoutLayer, inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>) => tf.Tensor;

/** Masks drawn by the replacement since the process started (tests). */
let masks = 0;

/** How many dropout masks megflow's generator has drawn since the process started. */
export function fastDropoutMasks(): number {
  return masks;
}

/**
 * `size` multipliers: `scale` with probability `keep`, else 0, from a xorshift32 stream seeded
 * by one `Math.random()` draw (~5 ns per value; a mulberry32 stream took ~7).
 */
export function dropoutMask(size: number, keep: number): Float32Array {
  const mask = new Float32Array(size);
  let { scale, threshold, state } = maskStream(keep);
  for (let i = 0; i < size; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    mask[i] = (state ^ 0x80000000) >= threshold ? scale : 0;
  }
  masks++;
  return mask;
}

/** The stream's constants and its seed (one `Math.random()` draw). */
function maskStream(keep: number): { scale: number; threshold: number; state: number } {
  const scale = Math.fround(1 / Math.fround(keep));
  // u >= (1 - keep) 2^32 for the unsigned draw u, compared as signed 32-bit integers
  const threshold = (((1 - keep) * 4294967296) | 0) ^ 0x80000000;
  const state = ((Math.random() * 4294967295) >>> 0) | 1;
  return { scale, threshold, state };
}

/** The kernel of `backends/kernels/dropout_mask.ts` (wasm): the same mask, drawn on the heap. */
const MASK_KERNEL = "MegflowDropoutMask";

/**
 * `dropoutMask(size, keep)` as a tensor of `shape`, on the backend's kernel where it has one: the mask a
 * training-mode `Dropout` of rate `1 - keep` multiplies its input by (one `Math.random()` draw, as the layer's).
 */
export function maskTensor(shape: number[], keep: number): tf.Tensor {
  if (tf.getKernel(MASK_KERNEL, tf.getBackend()) === undefined) {
    return tf.tensor(dropoutMask(tf.util.sizeFromShape(shape), keep), shape, "float32");
  }
  masks++;
  return tf.engine().runKernel(MASK_KERNEL, {}, { shape, ...maskStream(keep) }) as tf.Tensor;
}

function install(): void {
  const prototype = Object.getPrototypeOf(tfl.layers.dropout({ rate: 0.5 })) as { call: Call; fastCall?: true };
  if (prototype.fastCall) return;
  const stock = prototype.call;
  prototype.call = function (this: DropoutLayer, inputs, kwargs) {
    const fast = kwargs?.training === true && this.seed == null && this.noiseShape == null &&
      this.rate > 0 && this.rate < 1;
    if (!fast || (Array.isArray(inputs) && inputs.length !== 1)) return stock.call(this, inputs, kwargs);
    return tf.tidy(() => {
      this.invokeCallHook(inputs, kwargs);
      const input = Array.isArray(inputs) ? inputs[0] : inputs;
      return tf.mul(input, maskTensor(input.shape, 1 - this.rate));
    });
  };
  prototype.fastCall = true;
}

install();
