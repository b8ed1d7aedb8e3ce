/**
 * TensorFlow.js backends: choosing one (`auto`, `webgpu`, `wasm`, `cpu`) and the training
 * kernels megflow adds to the `wasm` backend, which tfjs ships without them.
 *
 * @module
 */
export * from "./backend.ts";
export { registerWasmTrainingKernels } from "./kernels/mod.ts";
export * from "./register_webgpu_backend.ts";
