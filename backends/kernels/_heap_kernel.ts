/**
 * One instance of megflow's WebAssembly kernels (`core/_wasm_gemm.ts`'s products,
 * `core/_wasm_tanh.ts`'s `tanh`) per tfjs `wasm` backend, working in that backend's memory: the
 * instance imports it, so the kernels read and write tensors where they lie on the heap.
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

let compiled: WebAssembly.Module | undefined;
const kernels = new WeakMap<object, WasmKernel | null>();

/**
 * The kernels over `backend`'s heap (`gemm`, `gemmTN`, and `exports.tanh`), or null when its
 * memory cannot be imported (another build of the backend).
 */
export function heapKernel(backend: WasmHeapBackend): WasmKernel | null {
  let kernel = kernels.get(backend);
  if (kernel === undefined) {
    const memory = backend.wasm?.asm?.memory;
    kernel = null;
    if (memory instanceof WebAssembly.Memory && typeof backend.typedArrayFromHeap === "function") {
      compiled ??= compileWithFallback((relaxed) => [...gemmFunctions(relaxed), tanhFunction()]);
      try {
        kernel = new WasmKernel(compiled, memory);
      } catch {
        kernel = null; // e.g. a shared memory (the threaded build): the stock kernels run
      }
    }
    kernels.set(backend, kernel);
  }
  return kernel;
}

/** The float32 offset of a tensor's data on the heap. */
export function heapOffset(backend: WasmHeapBackend, x: tf.TensorInfo): number {
  return backend.typedArrayFromHeap(x).byteOffset / 4;
}
