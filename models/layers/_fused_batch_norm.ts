/**
 * BatchNormalization's training pass as one op: tfjs-layers runs `moments` (mean, a
 * difference, a square, another mean), `batchNorm` and two moving-average updates of four
 * kernels each in the forward pass, and about twenty kernels in the backward pass (the
 * gradients through `batchNorm` and back through `moments`), each a dispatch, a tape entry and
 * a pass over memory. For the layers marked with {@linkcode fuseBatchNormTraining}, on the
 * synchronous backends (cpu, wasm), the forward pass is one loop that takes the batch
 * statistics (float64 sums, two passes) and normalises, and the backward pass one loop with
 * the textbook BatchNorm gradient (`dx = gamma / sigma * (dy - mean(dy) - xhat * mean(dy *
 * xhat))`, `dgamma = sum(dy * xhat)`, `dbeta = sum(dy)`); the moving mean and variance get
 * tfjs's update (`moving - (moving - batch) * (1 - momentum)`, in float32). Same function,
 * same weights and names (the layer is still a tfjs `BatchNormalization`, so AdaBN and
 * saved models see no difference); the values differ from tfjs's float32 kernels by rounding.
 * Layers not marked, inference, a normalised axis other than the last, `center`/`scale` off,
 * and the webgpu backend run tfjs's own code.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { onSynchronousBackend } from "../../core/_synchronous_backend.ts";
import { computeTensor } from "./_tensor_values.ts";
import {
  type ChannelKernels,
  channelKernels,
  channelLayout,
  RECORD,
  recordsOf,
  scratchFor,
  type WasmBackend,
} from "./_channel_kernels_wasm.ts";
import { deferInPlace } from "../../core/_deferred.ts";

/** The fields of tfjs-layers' `BatchNormalization` the fused pass reads. */
interface BatchNormLayer {
  axis: number;
  momentum: number;
  epsilon: number;
  center: boolean;
  scale: boolean;
  gamma: tfl.LayerVariable | null;
  beta: tfl.LayerVariable | null;
  movingMean: tfl.LayerVariable;
  movingVariance: tfl.LayerVariable;
  invokeCallHook(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): void;
}

type Call = (this: BatchNormLayer, inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>) => tf.Tensor;

const FUSED = new WeakSet<object>();
let fusedCalls = 0;

/**
 * Marks a tfjs `BatchNormalization` layer so that its training pass runs as one op (see the
 * module's doc); returns the layer.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import * as tfl from "@tensorflow/tfjs-layers";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { fuseBatchNormTraining } from "./_fused_batch_norm.ts";
 * import { assertAlmostEquals } from "@std/assert";
 *
 * await tf.setBackend("cpu");
 * const norm = fuseBatchNormTraining(tfl.layers.batchNormalization({ axis: -1 }));
 * const y = norm.apply(tf.tensor2d([[1, 2], [3, 6]]), { training: true }) as tf.Tensor;
 * assertAlmostEquals(y.dataSync()[0], -1, 1e-3); // (1 - 2) / sqrt(1 + 0.001)
 * ```
 */
export function fuseBatchNormTraining<T extends tfl.layers.Layer>(layer: T): T {
  FUSED.add(layer);
  return layer;
}

/** How many fused BatchNorm training passes have run since the process started (tests). */
export function fusedBatchNormCalls(): number {
  return fusedCalls;
}

/** Per-channel batch statistics of `x` (`rows` rows of `channels` values), in float64. */
function statistics(x: Float32Array, rows: number, channels: number, epsilon: number) {
  const mean = new Float64Array(channels);
  const invStd = new Float64Array(channels);
  const variance = new Float64Array(channels);
  for (let r = 0, i = 0; r < rows; r++) {
    for (let c = 0; c < channels; c++, i++) mean[c] += x[i];
  }
  for (let c = 0; c < channels; c++) mean[c] /= rows;
  for (let r = 0, i = 0; r < rows; r++) {
    for (let c = 0; c < channels; c++, i++) {
      const d = x[i] - mean[c];
      variance[c] += d * d;
    }
  }
  for (let c = 0; c < channels; c++) {
    variance[c] /= rows;
    invStd[c] = 1 / Math.sqrt(variance[c] + epsilon);
  }
  return { mean, variance, invStd };
}

/** The backward pass: writes `dx` for upstream `dy`, returns `[dgamma, dbeta]`. */
function backward(
  dy: Float32Array,
  x: Float32Array,
  dx: Float32Array,
  gamma: Float32Array,
  stats: { mean: Float64Array; invStd: Float64Array },
  rows: number,
): [Float32Array, Float32Array] {
  const channels = gamma.length;
  const { mean, invStd } = stats;
  const sumDy = new Float64Array(channels);
  const sumDyXhat = new Float64Array(channels);
  for (let r = 0, i = 0; r < rows; r++) {
    for (let c = 0; c < channels; c++, i++) {
      sumDy[c] += dy[i];
      sumDyXhat[c] += dy[i] * (x[i] - mean[c]) * invStd[c];
    }
  }
  const k = new Float64Array(channels);
  const meanDy = new Float64Array(channels);
  const meanDyXhat = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    k[c] = gamma[c] * invStd[c];
    meanDy[c] = sumDy[c] / rows;
    meanDyXhat[c] = sumDyXhat[c] / rows;
  }
  for (let r = 0, i = 0; r < rows; r++) {
    for (let c = 0; c < channels; c++, i++) {
      dx[i] = k[c] * (dy[i] - meanDy[c] - (x[i] - mean[c]) * invStd[c] * meanDyXhat[c]);
    }
  }
  return [Float32Array.from(sumDyXhat), Float32Array.from(sumDy)];
}

/** The forward pass: writes `y`, returns the batch statistics. */
function forward(x: Float32Array, y: Float32Array, gamma: Float32Array, beta: Float32Array, epsilon: number) {
  const channels = gamma.length;
  const rows = x.length / channels;
  const stats = statistics(x, rows, channels, epsilon);
  const scale = new Float64Array(channels);
  const shift = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    scale[c] = gamma[c] * stats.invStd[c];
    shift[c] = beta[c] - stats.mean[c] * scale[c];
  }
  for (let r = 0, i = 0; r < rows; r++) {
    for (let c = 0; c < channels; c++, i++) y[i] = x[i] * scale[c] + shift[c];
  }
  return stats;
}

/** {@linkcode forward} in the wasm heap (`x`, `y` heap views). */
function forwardWasm(
  kernels: ChannelKernels,
  scratch: tf.Tensor,
  x: Float32Array,
  y: Float32Array,
  gamma: Float32Array,
  beta: Float32Array,
  epsilon: number,
) {
  const channels = gamma.length;
  const rows = x.length / channels;
  const { records, address } = recordsOf(scratch, channels);
  const [mean, variance, invStd] = [new Float64Array(channels), new Float64Array(channels), new Float64Array(channels)];
  const k = channelLayout(kernels, channels);
  k.sums(x.byteOffset, x.length, channels, address);
  const f = k.field;
  for (let c = 0; c < channels; c++) {
    const b = k.base(c);
    mean[c] = records[b + f.sum] / rows;
    records[b + f.mean] = mean[c];
  }
  k.squares(x.byteOffset, x.length, channels, address);
  for (let c = 0; c < channels; c++) {
    const b = k.base(c);
    variance[c] = records[b + f.squares] / rows;
    invStd[c] = 1 / Math.sqrt(variance[c] + epsilon);
    const scale = gamma[c] * invStd[c];
    records[b + f.scale] = scale;
    records[b + f.shift] = beta[c] - mean[c] * scale;
  }
  k.normalise(x.byteOffset, y.byteOffset, x.length, channels, address);
  return { mean, variance, invStd };
}

/**
 * The first half of {@linkcode backward} in the wasm heap: the per-channel sums of `dy` and
 * `dy * xhat` (returned as `[dgamma, dbeta]`), leaving in the records at `address` what the
 * `gradient` loop needs for `dx` (`mean`, `invStd`, `k`, `meanDy`, `meanDyXhat`).
 */
function gradientSumsWasm(
  kernels: ChannelKernels,
  records: Float64Array,
  address: number,
  at: { dy: number; x: number; n: number },
  gamma: Float32Array,
  stats: { mean: Float64Array; invStd: Float64Array },
  rows: number,
): [Float32Array, Float32Array] {
  const channels = gamma.length;
  const k = channelLayout(kernels, channels);
  const f = k.field;
  for (let c = 0; c < channels; c++) {
    const b = k.base(c);
    records[b + f.mean] = stats.mean[c];
    records[b + f.invStd] = stats.invStd[c];
  }
  k.gradientSums(at.dy, at.x, at.n, channels, address);
  const [sumDy, sumDyXhat] = [new Float32Array(channels), new Float32Array(channels)];
  for (let c = 0; c < channels; c++) {
    const b = k.base(c);
    sumDy[c] = records[b + f.sumDy];
    sumDyXhat[c] = records[b + f.sumDyXhat];
    records[b + f.k] = gamma[c] * stats.invStd[c];
    records[b + f.meanDy] = records[b + f.sumDy] / rows;
    records[b + f.meanDyXhat] = records[b + f.sumDyXhat] / rows;
  }
  return [sumDyXhat, sumDy];
}

const inputGradients = { deferred: 0, computed: 0 };

/** How many input gradients the wasm backward pass has deferred, and how many of them were computed (tests). */
export function deferredBatchNormInputGradients(): { deferred: number; computed: number } {
  return { ...inputGradients };
}

/**
 * {@linkcode backward} in the wasm heap with `dx` deferred (`core/_deferred.ts`): the sums for
 * `dgamma` and `dbeta` now, in records of their own; `dx` by the `gradient` loop over those
 * records when something first reads it, and never where nothing does: the tape drops the
 * gradient of an input that comes from no weight, as spectral's BatchNorm of the model's input.
 * (The eager wasm backward pass and its switch, `setDeferredBatchNormInputGradient`, were
 * removed in session 20.)
 */
function backwardWasmDeferred(
  kernels: ChannelKernels,
  dy: tf.Tensor,
  x: tf.Tensor,
  gamma: Float32Array,
  stats: { mean: Float64Array; invStd: Float64Array },
  rows: number,
): { dx: tf.Tensor; grads: [Float32Array, Float32Array] } {
  const backend = tf.backend() as WasmBackend;
  const channels = gamma.length;
  const scratch = backend.makeOutput([(channels * RECORD) / 4 + 2], "float32");
  const out = backend.makeOutput(x.shape, "float32");
  const heap = backend.typedArrayFromHeap(scratch); // views after every allocation
  const address = Math.ceil(heap.byteOffset / 8) * 8;
  const records = new Float64Array(heap.buffer, address, (channels * RECORD) / 8).fill(0);
  const offset = (t: tf.TensorInfo) => backend.typedArrayFromHeap(t).byteOffset;
  const at = { dy: offset(dy), x: offset(x), n: dy.size };
  const grads = gradientSumsWasm(kernels, records, address, at, gamma, stats, rows);
  const gradient = channelLayout(kernels, channels).gradient; // the layout the sums used
  deferInPlace(
    backend,
    out,
    [dy, x],
    (dx) => {
      gradient(offset(dy), offset(x), offset(dx), dy.size, channels, address);
      inputGradients.computed++;
    },
    () => backend.disposeData(scratch.dataId),
  );
  inputGradients.deferred++;
  return { dx: tf.engine().makeTensorFromTensorInfo(out), grads };
}

/**
 * BatchNorm of `x` over every axis but the last with the batch's statistics, as one op with
 * its gradient for `x`, `gamma` and `beta`; also returns the batch mean and variance.
 */
export function batchNormTraining(
  x: tf.Tensor,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
): { y: tf.Tensor; mean: Float32Array; variance: Float32Array } {
  const rows = x.size / x.shape[x.rank - 1];
  let batchMean = new Float32Array(0);
  let batchVariance = new Float32Array(0);
  const op = tf.customGrad((...args: (tf.Tensor | ((ts: tf.Tensor[]) => void))[]) => {
    const [input, g, b] = args as tf.Tensor[];
    const save = args[3] as (ts: tf.Tensor[]) => void;
    let stats = { mean: new Float64Array(0), variance: new Float64Array(0), invStd: new Float64Array(0) };
    let gs = new Float32Array(0);
    const kernels = channelKernels();
    const scratch = kernels ? scratchFor(g.size) : null;
    const value = computeTensor(input.shape, [input, g, b], (y, [xs, gammas, betas]) => {
      gs = Float32Array.from(gammas);
      stats = kernels ? forwardWasm(kernels, scratch!, xs, y, gs, betas, epsilon) : forward(xs, y, gs, betas, epsilon);
    });
    batchMean = Float32Array.from(stats.mean);
    batchVariance = Float32Array.from(stats.variance);
    save([input]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        let grads: Float32Array[] = [];
        const kernels = channelKernels();
        if (kernels) {
          const { dx, grads } = backwardWasmDeferred(kernels, dy, saved[0], gs, stats, rows);
          return [dx, tf.tensor1d(grads[0]), tf.tensor1d(grads[1])];
        }
        const dx = computeTensor(input.shape, [dy, saved[0]], (dx, [dys, xs]) => {
          grads = backward(dys, xs, dx, gs, stats, rows);
        });
        return [dx, tf.tensor1d(grads[0]), tf.tensor1d(grads[1])];
      },
    };
  });
  const y = op(x, gamma, beta);
  return { y, mean: batchMean, variance: batchVariance };
}

/** tfjs-layers' moving-average update, `moving - (moving - batch) * (1 - momentum)`, in float32. */
function updateMoving(variable: tfl.LayerVariable, batch: Float32Array, momentum: number): void {
  const f = Math.fround;
  const decay = f(1 - momentum);
  const moving = variable.read().dataSync() as Float32Array;
  const next = new Float32Array(moving.length);
  for (let c = 0; c < next.length; c++) next[c] = f(moving[c] - f(f(moving[c] - batch[c]) * decay));
  variable.write(tf.tensor1d(next));
}

function install(): void {
  const prototype = Object.getPrototypeOf(tfl.layers.batchNormalization({})) as { call: Call; fusedCall?: true };
  if (prototype.fusedCall) return;
  const stock = prototype.call;
  prototype.call = function (this: BatchNormLayer, inputs, kwargs) {
    const input = Array.isArray(inputs) ? inputs[0] : inputs;
    const fast = FUSED.has(this) && kwargs?.training === true && onSynchronousBackend() && this.center &&
      this.scale && this.gamma != null && this.beta != null && (!Array.isArray(inputs) || inputs.length === 1) &&
      input.dtype === "float32" && (this.axis === -1 || this.axis === input.rank - 1);
    if (!fast) return stock.call(this, inputs, kwargs);
    return tf.tidy(() => {
      this.invokeCallHook(inputs, kwargs);
      const { y, mean, variance } = batchNormTraining(
        input,
        this.gamma!.read() as tf.Tensor1D,
        this.beta!.read() as tf.Tensor1D,
        this.epsilon,
      );
      updateMoving(this.movingMean, mean, this.momentum);
      updateMoving(this.movingVariance, variance, this.momentum);
      fusedCalls++;
      return y;
    });
  };
  prototype.fusedCall = true;
}

install();
