/**
 * Thin wrappers that call kernels of the tfjs `wasm` backend directly from inside another wasm
 * kernel. The training kernels in this folder are compositions of these: the data stays on the
 * wasm heap, no tape is recorded and no tensor is created in the engine. Every wrapper returns a
 * new `TensorInfo` that the caller must release with {@linkcode disposeInfo} (reshape results
 * share the data of their input but hold their own reference).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";

/** The backend name all kernels in this folder are registered for. */
export const WASM = "wasm";

/** The arguments tfjs hands a kernel function, with the backend typed. */
export interface KernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: tf.KernelBackend;
  attrs?: tf.NamedAttrMap;
}

/** Calls a (stock) kernel config's function with typed arguments; returns its first output. */
export function callKernel(config: tf.KernelConfig, args: KernelArgs): tf.TensorInfo {
  const out = config.kernelFunc(args as unknown as Parameters<tf.KernelFunc>[0]);
  return Array.isArray(out) ? out[0] : out;
}

/** Conv2D-style padding accepted by the wasm conv kernels: named, or explicit NHWC pairs. */
export type ConvPad = "valid" | "same" | number | [
  [number, number],
  [number, number],
  [number, number],
  [number, number],
];

/**
 * Runs the kernel `kernelName` registered for the wasm backend on `backend`.
 *
 * @param backend the wasm backend instance handed to the calling kernel
 * @param kernelName the tfjs kernel name, e.g. "Conv2D"
 * @param inputs named inputs of that kernel
 * @param attrs attributes of that kernel
 * @returns the single output of the kernel
 * @throws {Error} when the kernel is not registered for wasm
 */
export function runWasmKernel(
  backend: tf.KernelBackend,
  kernelName: string,
  inputs: tf.NamedTensorInfoMap,
  attrs: tf.NamedAttrMap = {},
): tf.TensorInfo {
  const config = tf.getKernel(kernelName, WASM);
  if (config === undefined) {
    throw new Error(`Cannot run kernel '${kernelName}' on wasm: it is not registered for that backend`);
  }
  const out = config.kernelFunc({ inputs, backend, attrs });
  return Array.isArray(out) ? out[0] : out;
}

/** Releases the data of intermediate results (one reference each). */
export function disposeInfo(backend: tf.KernelBackend, ...infos: tf.TensorInfo[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

/** Transposes `x` by `perm`. */
export function transpose(backend: tf.KernelBackend, x: tf.TensorInfo, perm: number[]): tf.TensorInfo {
  return runWasmKernel(backend, "Transpose", { x }, { perm });
}

/** Reshapes `x` to `shape` (shares the data, adds a reference). */
export function reshape(backend: tf.KernelBackend, x: tf.TensorInfo, shape: number[]): tf.TensorInfo {
  return runWasmKernel(backend, "Reshape", { x }, { shape });
}

/** Copies the box `[begin, begin + size)` out of `x`. */
export function slice(backend: tf.KernelBackend, x: tf.TensorInfo, begin: number[], size: number[]): tf.TensorInfo {
  return runWasmKernel(backend, "Slice", { x }, { begin, size });
}

/** Sums `x` over `axis` (dropping the reduced axes). */
export function sum(backend: tf.KernelBackend, x: tf.TensorInfo, axis: number[]): tf.TensorInfo {
  return runWasmKernel(backend, "Sum", { x }, { axis, keepDims: false });
}

/** Element-wise product with broadcasting. */
export function multiply(backend: tf.KernelBackend, a: tf.TensorInfo, b: tf.TensorInfo): tf.TensorInfo {
  return runWasmKernel(backend, "Multiply", { a, b });
}

/** Element-wise sum with broadcasting. */
export function add(backend: tf.KernelBackend, a: tf.TensorInfo, b: tf.TensorInfo): tf.TensorInfo {
  return runWasmKernel(backend, "Add", { a, b });
}

/**
 * Adds `part` to a running sum of tensors: `part` itself when there is no sum yet, else
 * `total + part`, releasing both. Returns the new sum.
 */
export function addInto(backend: tf.KernelBackend, total: tf.TensorInfo | null, part: tf.TensorInfo): tf.TensorInfo {
  if (total === null) return part;
  const next = add(backend, total, part);
  disposeInfo(backend, total, part);
  return next;
}

/** Reverses `x` along `dims`. */
export function reverse(backend: tf.KernelBackend, x: tf.TensorInfo, dims: number[]): tf.TensorInfo {
  return runWasmKernel(backend, "Reverse", { x }, { dims });
}

/** Pads `x` with zeros: `paddings[i] = [before, after]` for every axis. */
export function padZeros(backend: tf.KernelBackend, x: tf.TensorInfo, paddings: [number, number][]): tf.TensorInfo {
  return runWasmKernel(backend, "PadV2", { x }, { paddings, constantValue: 0 });
}

/** NHWC 2-D convolution, `filter` `[fh, fw, inChannels, outChannels]`. */
export function conv2d(
  backend: tf.KernelBackend,
  x: tf.TensorInfo,
  filter: tf.TensorInfo,
  strides: [number, number],
  dilations: [number, number],
  pad: ConvPad,
): tf.TensorInfo {
  return runWasmKernel(backend, "Conv2D", { x, filter }, {
    strides,
    dilations,
    pad,
    dataFormat: "NHWC",
  } as unknown as tf.NamedAttrMap);
}

/** NHWC depthwise 2-D convolution, `filter` `[fh, fw, inChannels, multiplier]`. */
export function depthwiseConv2d(
  backend: tf.KernelBackend,
  x: tf.TensorInfo,
  filter: tf.TensorInfo,
  strides: [number, number],
  dilations: [number, number],
  pad: ConvPad,
): tf.TensorInfo {
  return runWasmKernel(backend, "DepthwiseConv2dNative", { x, filter }, {
    strides,
    dilations,
    pad,
  } as unknown as tf.NamedAttrMap);
}

/** Batched matrix product `[b, m, k] x [b, k, n]` with optional transposes. */
export function batchMatMul(
  backend: tf.KernelBackend,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
): tf.TensorInfo {
  return runWasmKernel(backend, "BatchMatMul", { a, b }, { transposeA, transposeB });
}

/** Casts `x` to `dtype`. */
export function cast(backend: tf.KernelBackend, x: tf.TensorInfo, dtype: tf.DataType): tf.TensorInfo {
  return runWasmKernel(backend, "Cast", { x }, { dtype });
}

/** A new tensor of `shape` filled with `value`. */
export function fill(backend: tf.KernelBackend, shape: number[], value: number, dtype: tf.DataType): tf.TensorInfo {
  return runWasmKernel(backend, "Fill", {}, { shape, value, dtype });
}

/** Normalises a `number | [number, number]` conv parameter to a pair. */
export function pair(value: number | [number, number] | undefined, fallback = 1): [number, number] {
  if (value === undefined || value === null) return [fallback, fallback];
  return typeof value === "number" ? [value, value] : [value[0], value[1]];
}
