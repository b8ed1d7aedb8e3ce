/**
 * Input tensors whose copy into the wasm heap waits until something reads them: a large float32 batch
 * (cascade's `[32, 250, 20, 20]` frames, 12.8 MB) is copied by tfjs's `tf.tensor` into the heap at once, and
 * the first layer then reads it back once more. With {@linkcode lazyInputTensor} the heap buffer is allocated
 * but the copy is a deferred computation (`core/_deferred.ts`): the first kernel, `dataSync` or heap view
 * that touches the data runs it (so every other reader sees the same values as before), and an op that can
 * read the caller's array itself ({@linkcode pendingUpload}; cascade's frame gather, a stack at a time) leaves
 * it to be dropped with the tensor, never made.
 *
 * The caller's array must not change while the tensor lives (`trainStep` creates and disposes its batch
 * tensor within the step, and every read of it happens synchronously in the forward pass). Other backends,
 * small arrays and other dtypes get `tf.tensor` as before.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { deferInPlace, isDeferred } from "./_deferred.ts";

/** The wasm backend's internals used here. */
interface WasmUploadBackend extends tf.KernelBackend {
  dataIdMap?: unknown;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/** Arrays of at least this many values are uploaded lazily (1 Mi: the copies that cost about a millisecond). */
export const LAZY_UPLOAD_MIN = 1 << 20;

const uploads = new WeakMap<object, Float32Array>();
let enabled = true;
let made = 0;

/**
 * Turns lazy uploads on (the default) or off (`tf.tensor`: A/B runs and tests).
 *
 * @param on Upload lazily.
 * @returns The previous setting.
 */
export function setLazyUpload(on: boolean): boolean {
  const previous = enabled;
  enabled = on;
  return previous;
}

/** How many copies of lazily uploaded arrays have run since the process started (tests). */
export function lazyUploadsCopied(): number {
  return made;
}

/**
 * `tf.tensor(values, shape, "float32")`, with the copy into the wasm heap deferred (see the module's doc).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { lazyInputTensor } from "./_lazy_upload.ts";
 * import { assertEquals } from "@std/assert";
 *
 * await tf.setBackend("cpu");
 * const x = lazyInputTensor(new Float32Array([1, 2, 3, 4]), [2, 2]);
 * assertEquals(Array.from(x.dataSync()), [1, 2, 3, 4]);
 * ```
 *
 * @param values The values (not copied now: they must not change while the tensor lives).
 * @param shape The tensor's shape.
 * @returns The tensor.
 */
export function lazyInputTensor(values: Float32Array, shape: number[]): tf.Tensor {
  const backend = tf.backend() as WasmUploadBackend;
  if (
    !enabled || tf.getBackend() !== "wasm" || values.length < LAZY_UPLOAD_MIN || backend.dataIdMap === undefined ||
    typeof backend.makeOutput !== "function" || shape.reduce((a, b) => a * b, 1) !== values.length
  ) {
    return tf.tensor(values, shape, "float32");
  }
  const info = backend.makeOutput(shape, "float32");
  uploads.set(info.dataId, values);
  deferInPlace(backend, info, [], (out) => {
    (backend.typedArrayFromHeap(out) as Float32Array).set(values);
    made++;
  }, () => uploads.delete(info.dataId));
  return tf.engine().makeTensorFromTensorInfo(info);
}

/**
 * The caller's array behind `dataId` while its copy into the heap is still pending (reading it here does not
 * make the copy), else `null`.
 *
 * @param backend The wasm backend.
 * @param dataId A tensor's data.
 * @returns The values, or `null`.
 */
export function pendingUpload(backend: tf.KernelBackend, dataId: object): Float32Array | null {
  return isDeferred(backend, dataId) ? uploads.get(dataId) ?? null : null;
}
