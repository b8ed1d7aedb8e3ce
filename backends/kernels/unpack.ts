/**
 * `Unpack` for the tfjs `wasm` backend that copies each slice straight from the heap.
 *
 * Why it exists: the stock wasm `Unpack` (`tf.unstack`, which tfjs-layers' recurrent layers call
 * on the time axis every step) takes each slice with the stock `Slice`, which first copies the
 * whole input out of the heap: unstacking `[32, 125, 64]` into 125 steps copied the tensor 125
 * times (~125 ms of a GRU training step). Here every slice is copied directly (`slice.ts`).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { type KernelArgs, WASM } from "./_wasm_ops.ts";
import { canSliceOnHeap, sliceOnHeap } from "./slice.ts";

/**
 * Kernel config for the heap-copy `Unpack`, falling back to `stock` for strings.
 *
 * @param stock the stock wasm `Unpack` kernel config
 * @returns the replacement config
 */
export function fastUnpackConfig(stock: tf.KernelConfig): tf.KernelConfig {
  function unpack(args: KernelArgs): tf.TensorInfo[] {
    const value = args.inputs.value as tf.TensorInfo;
    if (!canSliceOnHeap(args.backend, value)) {
      return stock.kernelFunc(args as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo[];
    }
    const rank = value.shape.length;
    let axis = (args.attrs as unknown as tf.UnpackAttrs).axis;
    if (axis < 0) axis += rank;
    const outShape = value.shape.filter((_, i) => i !== axis);
    const begin = new Array<number>(rank).fill(0);
    const size = value.shape.slice();
    size[axis] = 1;
    const outs: tf.TensorInfo[] = [];
    for (let i = 0; i < value.shape[axis]; i++) {
      begin[axis] = i;
      const part = sliceOnHeap(args.backend, value, begin, size);
      outs.push({ dataId: part.dataId, dtype: part.dtype, shape: outShape });
    }
    return outs;
  }
  return { ...stock, kernelName: tf.Unpack, backendName: WASM, kernelFunc: unpack as unknown as tf.KernelFunc };
}
