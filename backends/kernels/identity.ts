/**
 * `Identity` for the tfjs `wasm` backend that shares data instead of copying it.
 *
 * Why it exists: tfjs-core clones every tensor it saves for the backward pass (`engine.clone`
 * runs `Identity`), and the stock wasm `Identity` copies the whole buffer. In an EEGNet training
 * step that is ~9 copies of the `[32, 248, 250, 8]` activation (64 MB each). Tensors are
 * immutable and no wasm kernel writes into its inputs, so, like the cpu backend's `Identity` and
 * the wasm `Reshape`, this one returns the same data with one more reference. String tensors go
 * to the stock kernel.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { callKernel, type KernelArgs, WASM } from "./_wasm_ops.ts";

/**
 * Kernel config for the sharing `Identity`, falling back to `stock` for strings.
 *
 * @param stock the stock wasm `Identity` kernel config
 * @returns the replacement config
 */
export function sharedIdentityConfig(stock: tf.KernelConfig): tf.KernelConfig {
  function identity(args: KernelArgs): tf.TensorInfo {
    const x = args.inputs.x as tf.TensorInfo;
    if (x.dtype === "string") return callKernel(stock, args);
    args.backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  }
  return { ...stock, kernelName: tf.Identity, backendName: WASM, kernelFunc: identity as unknown as tf.KernelFunc };
}
