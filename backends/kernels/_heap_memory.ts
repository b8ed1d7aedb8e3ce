/**
 * The WebAssembly memory of the tfjs `wasm` backend, for the kernels in this folder that are
 * their own WebAssembly modules importing it (`_gemm_wasm.ts`, `_erf_wasm.ts`).
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs-core";

/**
 * The backend's memory when these kernels can import it: a plain (not shared: tfjs's threaded
 * build, which Deno does not run) `WebAssembly.Memory` at `backend.wasm.asm.memory`
 * (tfjs-backend-wasm 4.22's emscripten module); else null, and the caller uses the stock kernel.
 */
export function heapMemory(backend: tf.KernelBackend): WebAssembly.Memory | null {
  const memory = (backend as unknown as { wasm?: { asm?: { memory?: unknown } } }).wasm?.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory)) return null;
  if (typeof SharedArrayBuffer !== "undefined" && memory.buffer instanceof SharedArrayBuffer) return null;
  return memory;
}
