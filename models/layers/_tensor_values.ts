/**
 * New float32 tensors computed by a JavaScript loop straight from their inputs' values: on
 * the wasm backend the loop reads the inputs and writes the output in the wasm heap (no copy
 * out with `dataSync`, none back in with `tf.tensor`, each a pass over the values and a
 * fresh allocation); on cpu it reads `dataSync()` (the backend's own array) and hands the
 * new array to `tf.tensor`. For ops that run on the synchronous backends only.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";

/** What this module uses of the wasm backend (not part of its typed API). */
interface WasmHeapBackend extends tf.KernelBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/**
 * A new float32 tensor of `shape` whose values `fill(out, values)` writes, `values` those of
 * `inputs` (float32). `out` may hold old values: `fill` writes every element. The arrays are
 * valid during `fill` only (a wasm heap that grows detaches them).
 */
export function computeTensor(
  shape: number[],
  inputs: tf.Tensor[],
  fill: (out: Float32Array, values: Float32Array[]) => void,
): tf.Tensor {
  const backend = tf.backend() as WasmHeapBackend;
  if (tf.getBackend() === "wasm" && typeof backend.typedArrayFromHeap === "function") {
    const info = backend.makeOutput(shape, "float32");
    const out = backend.typedArrayFromHeap(info) as Float32Array;
    fill(out, inputs.map((x) => backend.typedArrayFromHeap(x) as Float32Array));
    return tf.engine().makeTensorFromTensorInfo(info);
  }
  const out = new Float32Array(shape.reduce((a, b) => a * b, 1));
  fill(out, inputs.map((x) => x.dataSync() as Float32Array));
  return tf.tensor(out, shape, "float32");
}
