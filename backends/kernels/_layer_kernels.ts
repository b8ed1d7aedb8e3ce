/**
 * megflow's own kernels for the wasm backend that layers call by name (fused GELU and LayerNorm of
 * tsa's and vivit's transformer blocks, dropout masks, vivit's tubelets), registered together by
 * `registerWasmTrainingKernels`.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs-core";
import { SIMD_GELU_CONFIGS } from "./simd_gelu.ts";
import { SIMD_LAYER_NORM_CONFIGS } from "./simd_layer_norm.ts";
import { DROPOUT_MASK_CONFIG } from "./dropout_mask.ts";
import { TUBELET_CONFIGS } from "./tubelet_gather.ts";
import { FIR_FILTER_BANK_CONFIGS } from "./fir_filter_bank.ts";
import { LOG_MEAN_POWER_GRAD_CONFIG } from "./log_mean_power_grad.ts";

/** Every such kernel config. */
export const LAYER_KERNEL_CONFIGS: readonly tf.KernelConfig[] = [
  ...SIMD_GELU_CONFIGS,
  ...SIMD_LAYER_NORM_CONFIGS,
  DROPOUT_MASK_CONFIG,
  ...TUBELET_CONFIGS,
  ...FIR_FILTER_BANK_CONFIGS,
  LOG_MEAN_POWER_GRAD_CONFIG,
];
