/**
 * `SplitV` for the tfjs `wasm` backend that copies each part straight from the heap.
 *
 * Why it exists: the stock wasm `SplitV` (`tf.split`, e.g. a GRU cell splitting its gates every
 * time step) takes each part with the stock `Slice`, which first copies the whole input out of
 * the heap, once per part. Here every part is copied directly (`slice.ts`).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { type KernelArgs, WASM } from "./_wasm_ops.ts";
import { canSliceOnHeap, sliceOnHeap } from "./slice.ts";

/**
 * Kernel config for the heap-copy `SplitV`, falling back to `stock` for strings.
 *
 * @param stock the stock wasm `SplitV` kernel config
 * @returns the replacement config
 */
export function fastSplitVConfig(stock: tf.KernelConfig): tf.KernelConfig {
  function splitV(args: KernelArgs): tf.TensorInfo[] {
    const x = args.inputs.x as tf.TensorInfo;
    if (!canSliceOnHeap(args.backend, x)) {
      return stock.kernelFunc(args as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo[];
    }
    const { numOrSizeSplits, axis } = args.attrs as unknown as tf.SplitVAttrs;
    const $axis = tf.util.parseAxisParam(axis, x.shape)[0];
    const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, $axis);
    const begin = new Array<number>(x.shape.length).fill(0);
    return sizes.map((s) => {
      const size = x.shape.slice();
      size[$axis] = s;
      const part = sliceOnHeap(args.backend, x, begin, size);
      begin[$axis] += s;
      return part;
    });
  }
  return { ...stock, kernelName: tf.SplitV, backendName: WASM, kernelFunc: splitV as unknown as tf.KernelFunc };
}
