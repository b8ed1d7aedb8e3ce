/**
 * `Erf` for the tfjs `wasm` backend on the SIMD kernel of `_erf_wasm.ts` (tfjs's cpu formula in
 * float32, four values at a time) instead of libm's `erf` per value: GELU (tsa's and vivit's
 * MLPs) calls it on every hidden activation, `[32, 32, 10, 64]` in tsa (~17 ms of CPU per call
 * in the stock kernel).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { erfKernel, erfScalar } from "./_erf_wasm.ts";
import { elementwiseInHeap, heapMemory, type WasmHeapInternals } from "./_heap_kernel.ts";
import { callKernel, type KernelArgs, WASM } from "./_wasm_ops.ts";

let computed = 0;

/** How many `Erf` kernels the SIMD path has run since the process started (tests). */
export function simdErfCount(): number {
  return computed;
}

/**
 * Kernel config for `Erf` on the SIMD kernel, falling back to `stock` for other dtypes.
 *
 * @param stock the stock wasm `Erf` kernel config
 * @returns the replacement config
 */
export function simdErfConfig(stock: tf.KernelConfig): tf.KernelConfig {
  function erf(args: KernelArgs): tf.TensorInfo {
    const backend = args.backend as WasmHeapInternals;
    const x = args.inputs.x as tf.TensorInfo;
    const memory = heapMemory(backend);
    if (x.dtype !== "float32" || memory === null) return callKernel(stock, args);
    const out = elementwiseInHeap(backend, x, erfKernel(memory), erfScalar);
    computed++;
    return out;
  }
  return { ...stock, kernelName: tf.Erf, backendName: WASM, kernelFunc: erf as unknown as tf.KernelFunc };
}
