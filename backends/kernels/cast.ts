/**
 * `Cast` for the tfjs `wasm` backend that shares data when the dtype does not change.
 *
 * Why it exists: tfjs-core casts to float32 tensors that are already float32 (in `moments`, used
 * by every BatchNormalization layer in training, and in `avgPool`), and the stock wasm `Cast`
 * always copies the buffer: two to three 64 MB copies per EEGNet step. A same-dtype cast returns
 * the input's data with one more reference (tensors are immutable). A cast to bool is computed
 * as `x != 0`: the stock kernel copies the values into a byte array, so -2.7 became 254 where
 * tfjs (and the cpu backend) give true (1). Other conversions go to the stock kernel.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { callKernel, disposeInfo, fill, type KernelArgs, runWasmKernel, WASM } from "./_wasm_ops.ts";

/**
 * Kernel config for the sharing `Cast`, falling back to `stock` for real conversions.
 *
 * @param stock the stock wasm `Cast` kernel config
 * @returns the replacement config
 */
export function sharedCastConfig(stock: tf.KernelConfig): tf.KernelConfig {
  function cast(args: KernelArgs): tf.TensorInfo {
    const x = args.inputs.x as tf.TensorInfo;
    const dtype = (args.attrs as unknown as tf.CastAttrs).dtype;
    if (dtype === "bool" && (x.dtype === "float32" || x.dtype === "int32")) {
      const zero = fill(args.backend, [], 0, x.dtype);
      const out = runWasmKernel(args.backend, tf.NotEqual, { a: x, b: zero });
      disposeInfo(args.backend, zero);
      return out;
    }
    if (x.dtype !== dtype || dtype === "string" || dtype === "complex64") return callKernel(stock, args);
    args.backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  }
  return { ...stock, kernelName: tf.Cast, backendName: WASM, kernelFunc: cast as unknown as tf.KernelFunc };
}
