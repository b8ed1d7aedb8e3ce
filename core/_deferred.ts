/**
 * Deferred kernel outputs for the tfjs `wasm` backend: the output buffer is allocated at once,
 * but its values are computed only when something first touches its data; when the tensor is
 * disposed untouched, the computation never runs.
 *
 * Why: tfjs-core's fused conv2d (which tfjs-layers' `Conv2D` always calls) has a custom gradient
 * that computes the gradient for the layer input and for the filter together, even when the
 * input is the model's data and its gradient is thrown away. The tape cannot prune it. On
 * EEGNet's first layer that unused gradient was the most expensive kernel of the training step.
 * Deferring `Conv2DBackpropInput` removes the waste without changing any model.
 *
 * How: every wasm kernel, `readSync` and `typedArrayFromHeap` find a tensor's memory through
 * `backend.dataIdMap.get(dataId)`; that lookup runs a pending computation first (once). The
 * pending computation holds a reference to each of its inputs, released when it has run or when
 * `backend.disposeData` drops the last reference to the untouched output. The two hooks are
 * installed on the backend instance the first time an output is deferred. This relies on the
 * internals of tfjs-backend-wasm 4.22 (pinned in deno.json); the tests of `Conv2DBackpropInput`
 * check both paths.
 *
 * The references taken on the inputs are the backend's, not the engine's: tfjs-core counts a data buffer
 * (`tf.memory().numDataBuffers`) until an engine dispose frees it. When every tensor of an input was disposed
 * while the job was pending, the job's release is what frees the data, so the release tells the engine too
 * (`engine.removeDataId`); without it each such input stayed counted for ever (1-3 per training step of gru,
 * vivit, spectral and tsa; tests/core/_deferred_test.ts).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";

/** The internals of the wasm backend this module hooks into. */
interface WasmInternals extends tf.KernelBackend {
  dataIdMap: { get(dataId: object): { refCount: number } | undefined };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

interface Pending {
  run(): void;
  release(): void;
  /** A reference taken by `backend.incRef` (a `Reshape` sharing the data) leaves the job pending. */
  survivesIncRef: boolean;
}

/**
 * Drops a reference the backend holds on `dataId` (taken with `backend.incRef`, no tensor of the engine's); when
 * that frees the data, the engine forgets it as its own dispose would (it counts the buffer until then).
 */
function dropReference(backend: tf.KernelBackend, dataId: object): void {
  if (backend.disposeData(dataId)) tf.engine().removeDataId(dataId, backend);
}

/** Pending computations per hooked backend, by output dataId. */
const pendingByBackend = new WeakMap<object, Map<object, Pending>>();

/** Counts of deferred outputs, for tests and diagnostics. */
export interface DeferredStats {
  /** Outputs created deferred. */
  deferred: number;
  /** Deferred outputs whose values were computed because something used them. */
  computed: number;
  /** Deferred outputs disposed without ever being computed. */
  dropped: number;
}

const stats: DeferredStats = { deferred: 0, computed: 0, dropped: 0 };

/** A copy of the counts since the process started. */
export function deferredStats(): DeferredStats {
  return { ...stats };
}

function hook(backend: WasmInternals): Map<object, Pending> {
  const existing = pendingByBackend.get(backend);
  if (existing !== undefined) return existing;
  const pending = new Map<object, Pending>();
  const storage = backend.dataIdMap;
  const get = storage.get.bind(storage);
  storage.get = (dataId: object) => {
    const job = pending.get(dataId);
    if (job !== undefined) {
      pending.delete(dataId);
      job.run();
    }
    return get(dataId);
  };
  // Only for jobs that ask for it (see deferInPlace's `survivesIncRef`): a new reference is counted
  // without computing, so a reshape of the output stays deferred; every other job runs as before.
  const incRef = backend.incRef.bind(backend);
  backend.incRef = (dataId: object) => {
    const entry = pending.get(dataId)?.survivesIncRef ? get(dataId) : undefined;
    if (entry !== undefined) {
      entry.refCount++;
      return;
    }
    return incRef(dataId);
  };
  const disposeData = backend.disposeData.bind(backend);
  backend.disposeData = (dataId: object, force = false) => {
    const job = pending.get(dataId);
    if (job !== undefined) {
      const entry = get(dataId);
      if (force || entry === undefined || entry.refCount <= 1) {
        pending.delete(dataId);
        job.release();
      } else if (job.survivesIncRef) {
        // one of several references (a reshape's) goes: count it without the backend's own lookup,
        // which would compute the values
        entry.refCount--;
        return false;
      }
    }
    return disposeData(dataId, force);
  };
  pendingByBackend.set(backend, pending);
  return pending;
}

/**
 * Returns an output of `shape` whose values `compute` produces on first use.
 *
 * @param kernelBackend the wasm backend running the kernel
 * @param shape the output shape (what `compute` returns)
 * @param inputs the tensors `compute` reads; they are kept alive until it has run or is dropped
 * @param compute computes the output (a new tensor, disposed after copying)
 * @returns the (not yet computed) output
 */
export function deferOutput(
  kernelBackend: tf.KernelBackend,
  shape: number[],
  inputs: tf.TensorInfo[],
  compute: () => tf.TensorInfo,
): tf.TensorInfo {
  const backend = kernelBackend as WasmInternals;
  if (typeof backend.makeOutput !== "function" || backend.dataIdMap === undefined) return compute();
  const out = backend.makeOutput(shape, "float32");
  return deferInPlace(kernelBackend, out, inputs, (target) => {
    const result = compute();
    backend.typedArrayFromHeap(target).set(backend.typedArrayFromHeap(result));
    backend.disposeData(result.dataId);
  });
}

/**
 * As {@linkcode deferOutput}, but `fill(target)` writes the values straight into the output instead of
 * returning a tensor that is then copied into it (a `[1280, 400]` product: one 2 MB copy fewer). Like
 * `deferOutput`'s `compute`, `fill` may make and release scratch tensors on the backend (it must release them).
 *
 * @param kernelBackend the wasm backend running the kernel
 * @param shape the output shape
 * @param inputs the tensors `fill` reads; they are kept alive until it has run or is dropped
 * @param fill writes every value of its target
 * @param survivesIncRef as {@linkcode deferInPlace}'s (default false)
 * @returns the (not yet computed) output
 */
export function deferOutputInPlace(
  kernelBackend: tf.KernelBackend,
  shape: number[],
  inputs: tf.TensorInfo[],
  fill: (target: tf.TensorInfo) => void,
  survivesIncRef = false,
): tf.TensorInfo {
  const backend = kernelBackend as WasmInternals;
  const out = backend.makeOutput(shape, "float32");
  return deferInPlace(kernelBackend, out, inputs, fill, () => {}, survivesIncRef);
}

/**
 * Makes `out` (an output the caller has just made with the backend's `makeOutput`) deferred:
 * `fill(out)` writes its values in place when something first touches its data; when it is
 * disposed untouched, `fill` never runs. `done` runs once either way, after `fill` or instead of
 * it (e.g. to free a scratch buffer `fill` reads). `inputs` are kept alive until then. Where the
 * backend has no `dataIdMap` (not wasm), `fill` and `done` run at once.
 *
 * Used by the fused BatchNorm's gradient (`models/layers/_fused_batch_norm.ts`) for the input's
 * gradient, which is unused where the BatchNorm reads the model's data (spectral).
 *
 * @param kernelBackend the wasm backend that made `out`
 * @param out the output to fill later
 * @param inputs the tensors `fill` reads
 * @param fill writes every value of `out` (it must not allocate on the backend)
 * @param done runs after `fill`, or when `out` is dropped unfilled
 * @param survivesIncRef when true, a new reference to `out`'s data (`backend.incRef`: a `Reshape`, which
 * shares the data) does not compute it; the first read of the data does (default false: it computes)
 * @returns `out`
 */
export function deferInPlace(
  kernelBackend: tf.KernelBackend,
  out: tf.TensorInfo,
  inputs: tf.TensorInfo[],
  fill: (out: tf.TensorInfo) => void,
  done: () => void = () => {},
  survivesIncRef = false,
): tf.TensorInfo {
  const backend = kernelBackend as WasmInternals;
  if (backend.dataIdMap === undefined) {
    fill(out);
    done();
    return out;
  }
  const pending = hook(backend);
  for (const input of inputs) backend.incRef(input.dataId);
  const release = () => {
    for (const input of inputs) dropReference(backend, input.dataId);
    done();
  };
  pending.set(out.dataId, {
    run() {
      fill(out);
      release();
      stats.computed++;
    },
    release() {
      release();
      stats.dropped++;
    },
    survivesIncRef,
  });
  stats.deferred++;
  return out;
}

/**
 * Whether `dataId`'s values on `kernelBackend` are still to be computed (a deferred output nothing has
 * read yet). Asking does not compute them.
 *
 * @param kernelBackend the wasm backend
 * @param dataId the data of a tensor
 * @returns true while the computation is pending
 */
export function isDeferred(kernelBackend: tf.KernelBackend, dataId: object): boolean {
  return pendingByBackend.get(kernelBackend)?.has(dataId) ?? false;
}
