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
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { callKernel, disposeInfo, type KernelArgs, transpose, WASM } from "./_wasm_ops.ts";

/** `x` with its last two axes swapped. */
function swapLast(backend: tf.KernelBackend, x: tf.TensorInfo): tf.TensorInfo {
  const rank = x.shape.length;
  const perm = x.shape.map((_, i) => i);
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return transpose(backend, x, perm);
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
