/**
 * Registers the kernels that make the tfjs `wasm` backend usable (and fast) for training.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
// The wasm package registers its own kernels on import; it must do so before the overrides.
import "@tensorflow/tfjs-backend-wasm";
import { tilingAvgPoolGradConfig } from "./avg_pool_grad.ts";
import { pairAvgPoolConfig } from "./avg_pool.ts";
import { transposingBatchMatMulConfig } from "./batch_mat_mul.ts";
import { sharedCastConfig } from "./cast.ts";
import { conv2DBackpropFilterConfig } from "./conv2d_backprop_filter.ts";
import { conv2DBackpropInputConfig } from "./conv2d_backprop_input.ts";
import { depthwiseConv2dNativeBackpropFilterConfig } from "./depthwise_conv2d_native_backprop_filter.ts";
import { depthwiseConv2dNativeBackpropInputConfig } from "./depthwise_conv2d_native_backprop_input.ts";
import { simdEluConfig } from "./elu.ts";
import { simdEluGradConfig } from "./elu_grad.ts";
import { fastFusedBatchNormConfig } from "./fused_batch_norm.ts";
import { gemmBatchMatMulConfig, gemmFusedMatMulConfig } from "./gemm_mat_mul.ts";
import { sharedIdentityConfig } from "./identity.ts";
import { installSharedSavedTensors } from "./_saved_tensor_clone.ts";
import { polyphaseConv2DConfig, polyphaseFusedConv2DConfig } from "./polyphase_conv2d.ts";
import { fastMeanConfig, fastSumConfig } from "./reduce_sum_mean.ts";
import { fastSliceConfig } from "./slice.ts";
import { simdErfConfig } from "./simd_erf.ts";
import { LAYER_KERNEL_CONFIGS } from "./_layer_kernels.ts";
import { largeSimdBatchMatMulConfig, simdBatchMatMulConfig, simdFusedMatMulConfig } from "./simd_mat_mul.ts";
import { fastSplitVConfig } from "./split_v.ts";
import { fastTanhConfig } from "./tanh.ts";
import { fastTileConfig } from "./tile.ts";
import { fastTransposeConfig } from "./transpose.ts";
import { unsortedSegmentSumConfig } from "./unsorted_segment_sum.ts";
import { fastUnpackConfig } from "./unpack.ts";
import { WIDE_BROADCAST_KERNELS, wideBroadcastConfig } from "./wide_broadcast.ts";
import { WASM } from "./_wasm_ops.ts";

/** Kernels tfjs-backend-wasm 4.22 lacks and that gradients of common layers call. */
const MISSING: readonly tf.KernelConfig[] = [
  conv2DBackpropFilterConfig,
  depthwiseConv2dNativeBackpropFilterConfig,
  depthwiseConv2dNativeBackpropInputConfig,
  unsortedSegmentSumConfig,
  ...LAYER_KERNEL_CONFIGS,
];

/** Stock wasm kernels replaced by faster ones (each wraps or replaces the stock config). */
const OVERRIDES: ReadonlyArray<[string, (stock: tf.KernelConfig) => tf.KernelConfig]> = [
  [tf.Tile, fastTileConfig],
  [tf.Transpose, fastTransposeConfig],
  [tf.Slice, fastSliceConfig],
  [tf.Unpack, fastUnpackConfig],
  [tf.SplitV, fastSplitVConfig],
  // Large products on simd_mat_mul.ts, other single products on core/_wasm_gemm.ts
  // (gemm_mat_mul.ts), batched ones and what it declines on simd_mat_mul.ts, then explicit
  // transposes, then the stock kernel.
  [
    tf.BatchMatMul,
    (stock) =>
      largeSimdBatchMatMulConfig(gemmBatchMatMulConfig(simdBatchMatMulConfig(transposingBatchMatMulConfig(stock)))),
  ],
  [tf._FusedMatMul, (stock) => gemmFusedMatMulConfig(simdFusedMatMulConfig(stock))],
  [tf.Tanh, fastTanhConfig],
  [tf.AvgPoolGrad, tilingAvgPoolGradConfig],
  [tf.AvgPool, pairAvgPoolConfig],
  [tf.Erf, simdErfConfig],
  [tf.Elu, simdEluConfig],
  [tf.EluGrad, simdEluGradConfig],
  [tf.Identity, sharedIdentityConfig],
  [tf.Cast, sharedCastConfig],
  [tf.Sum, fastSumConfig],
  [tf.Mean, fastMeanConfig],
  [tf.Conv2DBackpropInput, () => conv2DBackpropInputConfig],
  [tf.FusedBatchNorm, fastFusedBatchNormConfig],
  [tf.Conv2D, polyphaseConv2DConfig],
  [tf.FusedConv2D, polyphaseFusedConv2DConfig],
  ...WIDE_BROADCAST_KERNELS.map((name) => [name, wideBroadcastConfig] as [string, typeof wideBroadcastConfig]),
];

/** Kernel functions installed by this module, to recognise them on a second call. */
const installed = new Set<tf.KernelFunc>();

/**
 * Registers, for the `wasm` backend, the training kernels that tfjs-backend-wasm 4.22 lacks
 * (`Conv2DBackpropFilter`, `DepthwiseConv2dNativeBackpropFilter`,
 * `DepthwiseConv2dNativeBackpropInput`, `UnsortedSegmentSum`; each built from existing wasm
 * kernels) and replaces stock kernels that are slow on training shapes (`Tile`, `Slice`,
 * `Unpack`, `SplitV`, `Transpose`, `BatchMatMul`, `Identity`, `Cast`, `Sum`, `Mean`, `_FusedMatMul`, `Tanh`,
 * `AvgPool` (two rows into one), `AvgPoolGrad`, `Erf`,
 * `Conv2DBackpropInput`, `FusedBatchNorm`, `Conv2D`, `FusedConv2D` and the broadcasting binary
 * kernels; each file in `models/kernels/` says why), and has tfjs-core share the tensors a gradient reads
 * without running `Identity` (`_saved_tensor_clone.ts`). Missing kernels that some other code
 * already registered for wasm are left alone. Safe to call any number of times, before or
 * after `tf.setBackend("wasm")`.
 *
 * @returns the names of the kernels registered or replaced by this call (empty on repeat calls)
 * @throws never; registration only touches the kernel registry
 * @example
 * ```ts
 * import { assert, assertEquals } from "@std/assert";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { registerWasmTrainingKernels } from "./register_wasm_training_kernels.ts";
 *
 * registerWasmTrainingKernels();
 * assert(tf.getKernel("Conv2DBackpropFilter", "wasm") !== undefined);
 * assertEquals(registerWasmTrainingKernels(), []); // idempotent
 * ```
 */
export function registerWasmTrainingKernels(): string[] {
  const changed: string[] = [];
  for (const config of MISSING) {
    if (tf.getKernel(config.kernelName, WASM) !== undefined) continue;
    tf.registerKernel(config);
    installed.add(config.kernelFunc);
    changed.push(config.kernelName);
  }
  for (const [name, override] of OVERRIDES) {
    const stock = tf.getKernel(name, WASM);
    if (stock === undefined || installed.has(stock.kernelFunc)) continue;
    const replacement = override(stock);
    tf.unregisterKernel(name, WASM);
    tf.registerKernel(replacement);
    installed.add(replacement.kernelFunc);
    changed.push(name);
  }
  // the tensors a gradient reads, shared as the sharing Identity shares them, without its kernel call
  const identity = tf.getKernel(tf.Identity, WASM)?.kernelFunc;
  if (identity !== undefined && installed.has(identity)) installSharedSavedTensors(identity);
  return changed;
}
