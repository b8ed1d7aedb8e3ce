/**
 * Kernels for the tfjs `wasm` backend that make it megflow's fast CPU path for training: the
 * gradient kernels tfjs-backend-wasm 4.22 lacks, built from its existing (XNNPACK) kernels, and
 * replacements for stock kernels that are slow on training shapes. One kernel (or kernel wrapper)
 * per file; each file says why it exists. Call {@linkcode registerWasmTrainingKernels} once
 * (`setupBackend("wasm")` in `models/backend.ts` does).
 *
 * @module
 */
export { registerWasmTrainingKernels } from "./register_wasm_training_kernels.ts";
