/**
 * `Tanh` for the tfjs `wasm` backend in WebAssembly SIMD on the heap (`core/_wasm_tanh.ts`: a
 * rational approximation within 3e-7 of `Math.tanh` relative to the value).
 *
 * Why: the stock wasm `Tanh` calls libm's `tanhf` per value: ~10 ms for the `[4000, 64]` scores
 * of gru's attention pooling (every step, forward), where the SIMD approximation takes about a
 * millisecond. Non-float32 inputs go to the stock kernel.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { callKernel, type KernelArgs, WASM } from "./_wasm_ops.ts";
import { heapKernel, type WasmHeapBackend } from "./_heap_kernel.ts";

let calls = 0;

/** How many `Tanh` kernels the SIMD kernel has computed (for tests). */
export function simdTanhCalls(): number {
  return calls;
}

/**
 * Kernel config for the SIMD `Tanh`, falling back to `stock`.
 *
 * @param stock the stock wasm `Tanh` kernel config
 * @returns the replacement config
 */
export function fastTanhConfig(stock: tf.KernelConfig): tf.KernelConfig {
  function tanh(args: KernelArgs): tf.TensorInfo {
    const backend = args.backend as WasmHeapBackend;
    const x = args.inputs.x as tf.TensorInfo;
    const kernel = x.dtype === "float32" ? heapKernel(backend) : null;
    if (kernel === null) return callKernel(stock, args);
    const out = backend.makeOutput(x.shape, "float32");
    calls++;
    const y = backend.typedArrayFromHeap(out) as Float32Array;
    const xs = backend.typedArrayFromHeap(x) as Float32Array;
    const n = xs.length;
    kernel.exports.tanh(xs.byteOffset, y.byteOffset, n);
    for (let i = n - (n % 4); i < n; i++) y[i] = Math.tanh(xs[i]);
    return out;
  }
  return { ...stock, kernelName: tf.Tanh, backendName: WASM, kernelFunc: tanh as unknown as tf.KernelFunc };
}
