/**
 * `Sum` and `Mean` for the tfjs `wasm` backend with a fast path for reductions over leading or
 * middle axes.
 *
 * Why it exists: the stock wasm reductions only reduce innermost axes, so for any other axes they
 * first transpose the whole tensor. BatchNormalization reduces `[N, H, W, C]` over `[0, 1, 2]`
 * (twice in `moments`, several times in its gradient): on an EEGNet activation
 * `[32, 248, 250, 8]` each took ~140 ms, mostly the transpose. When the reduced axes are one
 * contiguous block with kept axes after it, the tensor is viewed as the image
 * `[outer, reduced, 1, inner]` and averaged by the wasm `AvgPool` kernel (XNNPACK) with a
 * `[reduced, 1]` window, which reads the data once and needs no transpose (~10 ms); a sum is
 * the average times the count. (A matrix product with a row of ones would be as fast on a warm
 * operand but XNNPACK repacks the large operand as weights on every call: ~400 ms.) Everything
 * else (non-float32, innermost or scattered axes, or more than `MAX_POOL_CHANNELS` kept inner
 * values: XNNPACK's multipass average pooling then writes out of bounds of the wasm memory,
 * e.g. summing a `[8, 248 * 10 * 32]` position-embedding gradient over the batch) goes to the
 * stock kernel. Both paths accumulate in float32.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { callKernel, disposeInfo, fill, type KernelArgs, multiply, reshape, runWasmKernel, WASM } from "./_wasm_ops.ts";

/**
 * Most kept inner values (channels of the `AvgPool` image) for the fast path: windows of 8 or
 * more rows failed with "memory access out of bounds" from about 16340 channels on (tfjs-backend-wasm
 * 4.22), so half of that.
 */
const MAX_POOL_CHANNELS = 8192;

/** Reduced axes as one contiguous block `[first, last]` with inner axes left, or null. */
function middleBlock(shape: number[], axis: number | number[]): [number, number] | null {
  const axes = tf.util.parseAxisParam(axis, shape).slice().sort((p, q) => p - q);
  if (axes.length === 0) return null;
  for (let i = 1; i < axes.length; i++) if (axes[i] !== axes[i - 1] + 1) return null;
  const first = axes[0];
  const last = axes[axes.length - 1];
  const inner = tf.util.sizeFromShape(shape.slice(last + 1));
  if (last === shape.length - 1 || inner === 1 || inner > MAX_POOL_CHANNELS) return null;
  return [first, last];
}

function reduceByMatMul(
  backend: tf.KernelBackend,
  x: tf.TensorInfo,
  [first, last]: [number, number],
  keepDims: boolean,
  mean: boolean,
): tf.TensorInfo {
  const outer = tf.util.sizeFromShape(x.shape.slice(0, first));
  const reduced = tf.util.sizeFromShape(x.shape.slice(first, last + 1));
  const inner = tf.util.sizeFromShape(x.shape.slice(last + 1));
  const outShape = keepDims
    ? x.shape.map((size, i) => (i >= first && i <= last ? 1 : size))
    : [...x.shape.slice(0, first), ...x.shape.slice(last + 1)];
  const image = reshape(backend, x, [outer, reduced, 1, inner]);
  if (reduced === 1) {
    const out = reshape(backend, image, outShape);
    disposeInfo(backend, image);
    return out;
  }
  const averages = runWasmKernel(backend, tf.AvgPool, { x: image }, {
    filterSize: [reduced, 1],
    strides: [1, 1],
    pad: "valid",
  });
  disposeInfo(backend, image);
  let result = averages;
  if (!mean) {
    const count = fill(backend, [], reduced, "float32");
    result = multiply(backend, averages, count);
    disposeInfo(backend, averages, count);
  }
  const out = reshape(backend, result, outShape);
  disposeInfo(backend, result);
  return out;
}

function fastReduceConfig(stock: tf.KernelConfig, kernelName: string, mean: boolean): tf.KernelConfig {
  function reduce(args: KernelArgs): tf.TensorInfo {
    const x = args.inputs.x as tf.TensorInfo;
    const { axis, keepDims } = args.attrs as unknown as tf.SumAttrs;
    if (x.dtype !== "float32" || tf.util.sizeFromShape(x.shape) === 0) return callKernel(stock, args);
    const block = middleBlock(x.shape, axis);
    if (block === null) return callKernel(stock, args);
    return reduceByMatMul(args.backend, x, block, keepDims, mean);
  }
  return { ...stock, kernelName, backendName: WASM, kernelFunc: reduce as unknown as tf.KernelFunc };
}

/**
 * Kernel config for the fast `Sum`, falling back to `stock`.
 *
 * @param stock the stock wasm `Sum` kernel config
 * @returns the replacement config
 */
export function fastSumConfig(stock: tf.KernelConfig): tf.KernelConfig {
  return fastReduceConfig(stock, tf.Sum, false);
}

/**
 * Kernel config for the fast `Mean`, falling back to `stock`.
 *
 * @param stock the stock wasm `Mean` kernel config
 * @returns the replacement config
 */
export function fastMeanConfig(stock: tf.KernelConfig): tf.KernelConfig {
  return fastReduceConfig(stock, tf.Mean, true);
}
