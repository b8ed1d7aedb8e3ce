/**
 * tfjs-core's copies of the tensors a gradient reads, without the `Identity` kernel call, on the `wasm` backend.
 *
 * Why: under a gradient tape every tensor a gradient function will read (inputs and outputs of the forward ops)
 * is "cloned" by `engine.clone`, which runs the `Identity` kernel through `runKernel` and adds a tape node from
 * the tensor to its clone. With megflow's sharing `Identity` (identity.ts) that kernel only adds a reference to the same
 * data, but each call still goes through the engine's kernel dispatch, and the tape node lengthens the tape that
 * every backward pass filters: ~170 clones per vivit cross training step, ~60 after its dense layers became one
 * tape node each. Here, while one gradient tape records (`gradientDepth` 1, a training step), a clone is what
 * that kernel returns, made directly: one more reference to the data (`backend.incRef`, as the kernel) and a
 * tensor tracked in the current scope (as `runKernel` tracks the kernel's output). The tape node is left out:
 * it only carries a gradient from the clone back to the tensor, and a clone is read only by gradient functions,
 * which run after this tape has stopped recording, so no gradient ever flows through it. Under nested tapes
 * (`gradientDepth` 2 or more: gradients of gradients), for strings and on other backends, `engine.clone` is
 * tfjs's own. Nothing computes differently: the same data is shared either way (test:
 * tests/backends/kernels/saved_tensor_clone_test.ts).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { WASM } from "./_wasm_ops.ts";

/** The engine internals the clone reads. */
interface EngineInternals {
  backendName: string;
  backend: tf.KernelBackend;
  state: { gradientDepth: number };
  makeTensorFromTensorInfo(info: tf.TensorInfo): tf.Tensor;
  clone(x: tf.Tensor): tf.Tensor;
}

let enabled = true;
let sharedClones = 0;

/**
 * Turns the kernel-free clone on (the default) or off (tfjs's `engine.clone`; the tests compare the two).
 *
 * @param on Share without the kernel call.
 * @returns The previous setting.
 */
export function setSharedSavedTensors(on: boolean): boolean {
  const previous = enabled;
  enabled = on;
  return previous;
}

/** How many saved tensors were shared without the kernel call since the process started (tests). */
export function sharedSavedTensorCount(): number {
  return sharedClones;
}

/**
 * Installs the clone on tfjs-core's engine (once): see the module's doc. `identity` is the `Identity` kernel
 * function registered for wasm; the clone is used only while it is the registered one (it shares the data).
 *
 * @param identity megflow's sharing `Identity` kernel function (backends/kernels/identity.ts).
 */
export function installSharedSavedTensors(identity: tf.KernelFunc): void {
  const prototype = Object.getPrototypeOf(tf.engine()) as EngineInternals & { sharedClone?: true };
  if (prototype.sharedClone) return;
  const stock = prototype.clone;
  prototype.clone = function (this: EngineInternals, x: tf.Tensor): tf.Tensor {
    const shared = enabled && this.state.gradientDepth === 1 && this.backendName === WASM &&
      (x.dtype === "float32" || x.dtype === "int32" || x.dtype === "bool") &&
      tf.getKernel(tf.Identity, WASM)?.kernelFunc === identity;
    if (!shared) return stock.call(this, x);
    sharedClones++;
    this.backend.incRef(x.dataId);
    return this.makeTensorFromTensorInfo({ dataId: x.dataId, shape: x.shape, dtype: x.dtype });
  };
  prototype.sharedClone = true;
}
