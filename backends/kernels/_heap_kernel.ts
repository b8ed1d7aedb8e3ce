/**
 * The tfjs `wasm` backend's heap for megflow's WebAssembly kernels, which work in that backend's
 * memory: they import it, so they read and write tensors where they lie on the heap.
 * `heapMemory` finds the memory (for the modules that import it themselves: `_gemm_wasm.ts`,
 * `_erf_wasm.ts`); `heapKernel` is one instance of `core/_wasm_gemm.ts`'s products and
 * `core/_wasm_tanh.ts`'s `tanh` per backend.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs-core";
import { compileWithFallback, gemmFunctions, WasmKernel } from "../../core/_wasm_gemm.ts";
import { tanhFunction } from "../../core/_wasm_tanh.ts";

/** What the kernels use of the wasm backend (not part of its typed API). */
export interface WasmHeapBackend extends tf.KernelBackend {
  wasm?: { asm?: { memory?: unknown } };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/**
 * The backend's memory when these kernels can import it: a plain (not shared: tfjs's threaded
 * build, which Deno does not run) `WebAssembly.Memory` at `backend.wasm.asm.memory`
 * (tfjs-backend-wasm 4.22's emscripten module); else null, and the caller uses the stock kernel.
 */
export function heapMemory(backend: tf.KernelBackend): WebAssembly.Memory | null {
  const memory = (backend as WasmHeapBackend).wasm?.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory)) return null;
  if (typeof SharedArrayBuffer !== "undefined" && memory.buffer instanceof SharedArrayBuffer) return null;
  return memory;
}

let compiled: WebAssembly.Module | undefined;
const kernels = new WeakMap<object, WasmKernel | null>();

/**
 * The kernels over `backend`'s heap (`gemm`, `gemmTN`, and `exports.tanh`), or null when its
 * memory cannot be imported ({@linkcode heapMemory} is null) or its tensors not found on the heap.
 */
export function heapKernel(backend: WasmHeapBackend): WasmKernel | null {
  let kernel = kernels.get(backend);
  if (kernel === undefined) {
    const memory = heapMemory(backend);
    kernel = null;
    if (memory !== null && typeof backend.typedArrayFromHeap === "function") {
      compiled ??= compileWithFallback((relaxed) => [...gemmFunctions(relaxed), tanhFunction()]);
      try {
        kernel = new WasmKernel(compiled, memory);
      } catch {
        kernel = null; // a memory the module cannot import: the stock kernels run
      }
    }
    kernels.set(backend, kernel);
  }
  return kernel;
}

/**
 * What the kernels that find tensors by byte offset use of the wasm backend: its float32 heap
 * and `dataIdMap` (whose lookup also runs a deferred computation first, `_deferred.ts`).
 */
export interface WasmHeapInternals extends tf.KernelBackend {
  wasm: { HEAPF32: Float32Array };
  dataIdMap: { get(dataId: object): { memoryOffset: number } };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
}

/** The byte offset of a tensor's data on the heap. */
export function heapByteOffset(backend: WasmHeapInternals, x: tf.TensorInfo): number {
  return backend.dataIdMap.get(x.dataId).memoryOffset;
}

/**
 * An elementwise float32 kernel over the heap: `simd(src, dst, n)` (byte offsets) computes the
 * values up to the last multiple of 4, `scalar` the last `size % 4`; returns the new output.
 */
export function elementwiseInHeap(
  backend: WasmHeapInternals,
  x: tf.TensorInfo,
  simd: (src: number, dst: number, n: number) => void,
  scalar: (value: number) => number,
): tf.TensorInfo {
  const out = backend.makeOutput(x.shape, "float32");
  const size = x.shape.reduce((product, n) => product * n, 1);
  const src = heapByteOffset(backend, x);
  const dst = heapByteOffset(backend, out);
  const whole = size - (size % 4);
  if (whole > 0) simd(src, dst, whole);
  const heap = backend.wasm.HEAPF32;
  for (let i = whole; i < size; i++) heap[(dst >> 2) + i] = scalar(heap[(src >> 2) + i]);
  return out;
}

/** The float32 offset of a tensor's data on the heap. */
export function heapOffset(backend: WasmHeapBackend, x: tf.TensorInfo): number {
  return backend.typedArrayFromHeap(x).byteOffset / 4;
}
