/**
 * `BatchMatMul` for the tfjs `wasm` backend that transposes operands explicitly.
 *
 * Why it exists: the stock wasm `BatchMatMul` runs XNNPACK only when neither operand is
 * transposed; with `transposeA` or `transposeB` it falls back to a plain loop nest that was 8-12x
 * slower (`[10, 198400]^T`-style products: ~720 ms against ~60 ms). Every dense layer's gradient
 * asks for `x^T @ dy` (weights) and `dy @ W^T` (inputs), and attention asks for `q @ k^T`: in a
 * ViViT training step these products took most of the time. This kernel transposes the marked
 * operands with the wasm `Transpose` kernel (one memory pass) and runs the XNNPACK product.
 *
 * XNNPACK packs the second operand as "weights" on every call (tfjs caches the packing per tensor,
 * but a gradient is a new tensor each step), and packing costs more than a transpose: a
 * `[4000, 192]` operand ~13 ms. So `a^T @ b` (a dense layer's weight gradient `x^T @ dy`) with
 * `a` narrower than `b` is computed as `(b^T @ a)^T`, packing the smaller `a`: gru's recurrence
 * and projection gradients (`[4000, 64]^T x [4000, 192]`).
 *
 * A product `a @ b^T` (`transposeB` only: the shape of a dense layer's input gradient
 * `dy @ W^T`) is deferred (`_deferred.ts`): computed when something first reads it, never when
 * it is disposed unread. tfjs-core's fused `matMul` (which every tfjs-layers `Dense` calls) has a
 * custom gradient that computes both operands' gradients, even when the input is the model's data
 * and its gradient is thrown away: gru's sensor projection (`[4000, 64] x [64, 248]`, ~30 ms of a
 * step), cascade's first frame convolution, vivit's tubelet and tsa's segment embeddings.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { deferOutput } from "./_deferred.ts";
import { callKernel, disposeInfo, type KernelArgs, transpose, WASM } from "./_wasm_ops.ts";

/** `x` with its last two axes swapped. */
function swapLast(backend: tf.KernelBackend, x: tf.TensorInfo): tf.TensorInfo {
  const rank = x.shape.length;
  const perm = x.shape.map((_, i) => i);
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return transpose(backend, x, perm);
}

/** Whether `a` and `b` have the same batch dimensions (no broadcasting). */
function sameBatch(a: tf.TensorInfo, b: tf.TensorInfo): boolean {
  if (a.shape.length !== b.shape.length) return false;
  return a.shape.slice(0, -2).every((n, i) => n === b.shape[i]);
}

/**
 * Kernel config for `BatchMatMul` with explicit transposes, falling back to `stock` when no
 * operand is transposed or the dtype is not float32.
 *
 * @param stock the stock wasm `BatchMatMul` kernel config
 * @returns the replacement config
 */
export function transposingBatchMatMulConfig(stock: tf.KernelConfig): tf.KernelConfig {
  function batchMatMul(args: KernelArgs): tf.TensorInfo {
    const { backend } = args;
    const a = args.inputs.a as tf.TensorInfo;
    const b = args.inputs.b as tf.TensorInfo;
    const { transposeA, transposeB } = args.attrs as unknown as tf.BatchMatMulAttrs;
    if ((!transposeA && !transposeB) || a.dtype !== "float32" || b.dtype !== "float32") {
      return callKernel(stock, args);
    }
    if (a.shape.length < 2 || b.shape.length < 2) return callKernel(stock, args);
    if (transposeB && !transposeA && sameBatch(a, b)) {
      const shape = [...a.shape.slice(0, -1), b.shape[b.shape.length - 2]];
      return deferOutput(backend, shape, [a, b], () => product(backend, a, b, false, true));
    }
    if (transposeA && !transposeB && sameBatch(a, b) && a.shape[a.shape.length - 1] < b.shape[b.shape.length - 1]) {
      // a^T b = (b^T a)^T: XNNPACK then packs `a` (the smaller) as the weights operand.
      const swapped = product(backend, b, a, true, false);
      const out = swapLast(backend, swapped);
      disposeInfo(backend, swapped);
      return out;
    }
    return product(backend, a, b, transposeA, transposeB);
  }
  function product(
    backend: tf.KernelBackend,
    a: tf.TensorInfo,
    b: tf.TensorInfo,
    transposeA: boolean,
    transposeB: boolean,
  ): tf.TensorInfo {
    const aPlain = transposeA ? swapLast(backend, a) : a;
    const bPlain = transposeB ? swapLast(backend, b) : b;
    const out = callKernel(stock, {
      inputs: { a: aPlain, b: bPlain },
      backend,
      attrs: { transposeA: false, transposeB: false },
    });
    if (aPlain !== a) disposeInfo(backend, aPlain);
    if (bPlain !== b) disposeInfo(backend, bPlain);
    return out;
  }
  return {
    ...stock,
    kernelName: tf.BatchMatMul,
    backendName: WASM,
    kernelFunc: batchMatMul as unknown as tf.KernelFunc,
  };
}
