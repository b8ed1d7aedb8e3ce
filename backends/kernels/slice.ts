/**
 * `Slice` for the tfjs `wasm` backend that copies straight between heap views.
 *
 * Why it exists: the stock wasm `Slice` first copies the whole input out of the wasm heap
 * (`readSync`), then slices that copy, and for rank 5 and above goes through a generic
 * element-by-element routine: taking one multiplier's channel out of a `[32, 1, 250, 8, 2]`
 * tensor (64 k values) took ~75 ms. Cropping a convolution's output copied the whole output
 * first as well. This kernel copies the selected box directly from the input's heap view into
 * the output's, one contiguous run at a time (element by element when runs are short). String
 * tensors go to the stock kernel.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { callKernel, type KernelArgs, WASM } from "./_wasm_ops.ts";

/** The heap-access part of the wasm backend used here. */
interface WasmHeapBackend extends tf.KernelBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

type HeapArray = Float32Array | Int32Array | Uint8Array;

/** Runs shorter than this are copied element by element rather than with `set`. */
const SHORT_RUN = 16;

/** Copies the box `[begin, begin + size)` of `src` (of `shape`) into `dst`, row-major. */
export function copyBox(src: HeapArray, shape: number[], begin: number[], size: number[], dst: HeapArray): void {
  const rank = shape.length;
  const strides = new Array<number>(rank);
  let stride = 1;
  for (let d = rank - 1; d >= 0; d--) {
    strides[d] = stride;
    stride *= shape[d];
  }
  // Trailing axes taken whole form one contiguous block with the last partial axis.
  let partial = rank - 1;
  let inner = 1;
  while (partial >= 0 && size[partial] === shape[partial] && begin[partial] === 0) {
    inner *= shape[partial];
    partial--;
  }
  if (partial < 0) {
    dst.set(src.subarray(0, inner));
    return;
  }
  const run = size[partial] * inner;
  const runStart = begin[partial] * strides[partial];
  let out = 0;
  function walk(axis: number, offset: number): void {
    if (axis === partial) {
      const from = offset + runStart;
      if (run < SHORT_RUN) {
        for (let i = 0; i < run; i++) dst[out + i] = src[from + i];
      } else {
        dst.set(src.subarray(from, from + run), out);
      }
      out += run;
      return;
    }
    const end = begin[axis] + size[axis];
    for (let i = begin[axis]; i < end; i++) walk(axis + 1, offset + i * strides[axis]);
  }
  walk(0, 0);
}

/**
 * Copies the box `[begin, begin + size)` of `x` into a new tensor on the wasm heap.
 *
 * @param kernelBackend the wasm backend
 * @param x a numeric (not string) tensor
 * @param begin the box's first index on every axis
 * @param size the box's extent on every axis (no -1)
 * @returns the box as a new tensor of shape `size`
 */
export function sliceOnHeap(
  kernelBackend: tf.KernelBackend,
  x: tf.TensorInfo,
  begin: number[],
  size: number[],
): tf.TensorInfo {
  const backend = kernelBackend as WasmHeapBackend;
  const out = backend.makeOutput(size, x.dtype);
  if (tf.util.sizeFromShape(size) === 0) return out;
  // Views are taken after makeOutput: a heap growth there detaches earlier views.
  copyBox(backend.typedArrayFromHeap(x), x.shape, begin, size, backend.typedArrayFromHeap(out));
  return out;
}

/** Whether `sliceOnHeap` can handle `x` on `backend` (numeric data on a wasm heap). */
export function canSliceOnHeap(backend: tf.KernelBackend, x: tf.TensorInfo): boolean {
  return x.dtype !== "string" && x.dtype !== "complex64" &&
    typeof (backend as WasmHeapBackend).typedArrayFromHeap === "function";
}

/**
 * Kernel config for the heap-view `Slice`, falling back to `stock` for strings.
 *
 * @param stock the stock wasm `Slice` kernel config
 * @returns the replacement config
 */
export function fastSliceConfig(stock: tf.KernelConfig): tf.KernelConfig {
  function sliceKernel(args: KernelArgs): tf.TensorInfo {
    const x = args.inputs.x as tf.TensorInfo;
    if (!canSliceOnHeap(args.backend, x)) return callKernel(stock, args);
    const attrs = args.attrs as unknown as tf.SliceAttrs;
    const [begin, size] = tf.slice_util.parseSliceParams(x as tf.Tensor, attrs.begin, attrs.size);
    return sliceOnHeap(args.backend, x, begin, size);
  }
  return { ...stock, kernelName: tf.Slice, backendName: WASM, kernelFunc: sliceKernel as unknown as tf.KernelFunc };
}
