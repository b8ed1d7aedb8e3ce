/**
 * Layer normalisation over the last axis as one JavaScript loop forward and one backward on the
 * synchronous backends (cpu, wasm), instead of ~9 tfjs kernels forward and ~20 backward; on wasm
 * with a feature axis that is a multiple of 4, as the SIMD kernels of
 * `backends/kernels/simd_layer_norm.ts` instead.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";

/** The kernels' names, as `backends/kernels/simd_layer_norm.ts` registers them for wasm. */
const LAYER_NORM_KERNEL = "MegflowLayerNorm";
const LAYER_NORM_GRAD_KERNEL = "MegflowLayerNormGrad";

/** LayerNorms run on the kernels since the process started (tests). */
let kernelRuns = 0;

/** How many LayerNorms have run on megflow's SIMD kernels since the process started. */
export function layerNormKernelRuns(): number {
  return kernelRuns;
}

/**
 * The same function on the backend's `MegflowLayerNorm` kernel (float32 sums, SIMD), which keeps
 * each row's mean and `1 / std` for `MegflowLayerNormGrad`.
 */
function kernelLayerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon: number): tf.Tensor {
  kernelRuns++;
  const op = tf.customGrad((...args: (tf.Tensor | ((tensors: tf.Tensor[]) => void))[]) => {
    const [input, g, b] = args as tf.Tensor[];
    const save = args[3] as (tensors: tf.Tensor[]) => void;
    const [y, mean, rstd] = tf.engine().runKernel(LAYER_NORM_KERNEL, { x: input, gamma: g, beta: b }, {
      epsilon,
    }) as tf.Tensor[];
    save([input, g, mean, rstd]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [xs, gs, m, r] = saved;
        return tf.engine().runKernel(LAYER_NORM_GRAD_KERNEL, {
          dy: dy as tf.Tensor,
          x: xs,
          gamma: gs,
          mean: m,
          rstd: r,
        }) as tf.Tensor[];
      },
    };
  });
  return op(x, gamma, beta);
}

/**
 * `(x - mean) / sqrt(var + epsilon) * gamma + beta` over the last axis of `x`, with the closed-form
 * gradients of `x`, `gamma` and `beta` (a `tf.customGrad`). Statistics are accumulated in float64
 * and every output rounded once to float32. Only for cpu and wasm (`onSynchronousBackend()`).
 * Where the backend has megflow's `MegflowLayerNorm` kernel (wasm) and the feature axis is a
 * multiple of 4, that kernel computes it instead (float32 sums, four values at a time).
 */
export function fusedLayerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon: number): tf.Tensor {
  const n = x.shape[x.rank - 1];
  if (n % 4 === 0 && x.size > 0 && tf.getKernel(LAYER_NORM_KERNEL, tf.getBackend()) !== undefined) {
    return kernelLayerNorm(x, gamma, beta, epsilon);
  }
  const op = tf.customGrad((...args: (tf.Tensor | ((tensors: tf.Tensor[]) => void))[]) => {
    const [input, g, b] = args as tf.Tensor[];
    const n = input.shape[input.rank - 1];
    const gammaValues = g.dataSync() as Float32Array;
    const forward = layerNormForward(
      input.dataSync() as Float32Array,
      gammaValues,
      b.dataSync() as Float32Array,
      n,
      epsilon,
    );
    return {
      value: tf.tensor(forward.y, input.shape, "float32"),
      gradFunc: (dy: tf.Tensor | tf.Tensor[]) => {
        const grads = layerNormBackward((dy as tf.Tensor).dataSync() as Float32Array, forward, gammaValues, n);
        return [
          tf.tensor(grads.dx, input.shape, "float32"),
          tf.tensor(grads.dgamma, [n], "float32"),
          tf.tensor(grads.dbeta, [n], "float32"),
        ];
      },
    };
  });
  return op(x, gamma, beta);
}

/** The forward outputs and what the backward pass needs: normalised values and `1 / std` per row. */
interface ForwardValues {
  y: Float32Array;
  normed: Float32Array;
  rstd: Float64Array;
}

/** One pass per row: mean, variance, normalise, scale and shift. */
function layerNormForward(
  x: Float32Array,
  gamma: Float32Array,
  beta: Float32Array,
  n: number,
  epsilon: number,
): ForwardValues {
  const rows = x.length / n;
  const y = new Float32Array(x.length);
  const normed = new Float32Array(x.length);
  const rstd = new Float64Array(rows);
  for (let r = 0, o = 0; r < rows; r++, o += n) {
    let sum = 0;
    for (let j = 0; j < n; j++) sum += x[o + j];
    const mean = sum / n;
    let squares = 0;
    for (let j = 0; j < n; j++) {
      const d = x[o + j] - mean;
      squares += d * d;
    }
    const s = 1 / Math.sqrt(squares / n + epsilon);
    rstd[r] = s;
    for (let j = 0; j < n; j++) {
      const h = (x[o + j] - mean) * s;
      normed[o + j] = h;
      y[o + j] = h * gamma[j] + beta[j];
    }
  }
  return { y, normed, rstd };
}

/**
 * `dx = rstd * (g - mean(g) - xhat * mean(g * xhat))` with `g = dy * gamma`, per row;
 * `dgamma = sum over rows of dy * xhat`, `dbeta = sum over rows of dy`.
 */
function layerNormBackward(
  dy: Float32Array,
  forward: ForwardValues,
  gamma: Float32Array,
  n: number,
): { dx: Float32Array; dgamma: Float32Array; dbeta: Float32Array } {
  const { normed, rstd } = forward;
  const rows = dy.length / n;
  const dx = new Float32Array(dy.length);
  const dgamma = new Float64Array(n);
  const dbeta = new Float64Array(n);
  for (let r = 0, o = 0; r < rows; r++, o += n) {
    let sumG = 0;
    let sumGH = 0;
    for (let j = 0; j < n; j++) {
      const d = dy[o + j];
      const h = normed[o + j];
      const g = d * gamma[j];
      sumG += g;
      sumGH += g * h;
      dgamma[j] += d * h;
      dbeta[j] += d;
    }
    const meanG = sumG / n;
    const meanGH = sumGH / n;
    const s = rstd[r];
    for (let j = 0; j < n; j++) dx[o + j] = s * (dy[o + j] * gamma[j] - meanG - normed[o + j] * meanGH);
  }
  return { dx, dgamma: Float32Array.from(dgamma), dbeta: Float32Array.from(dbeta) };
}
