/**
 * {@linkcode LogMeanPower} as one tape node on the wasm backend, for layers marked with
 * {@linkcode fuseLogMeanPowerTraining}: the forward pass runs the layer's kernels (`Square`, `Mean`,
 * `Log1p`: the same values), the backward pass is one `MegflowLogMeanPowerGrad` kernel
 * (`backends/kernels/log_mean_power_grad.ts`) instead of six kernels and tape nodes, the same bits.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";

/** The kernel's name, as `backends/kernels/log_mean_power_grad.ts` registers it for wasm. */
const GRAD_KERNEL = "MegflowLogMeanPowerGrad";

const MARKED = new WeakSet<object>();
let enabled = true;

/**
 * Switches the fused pass off (false: marked layers run tfjs's gradients) or back on; returns the previous
 * setting. For tests and A/B timings.
 */
export function setFusedLogMeanPower(on: boolean): boolean {
  const previous = enabled;
  enabled = on;
  return previous;
}

/**
 * Marks a `LogMeanPower` layer so that, where the backend has megflow's `MegflowLogMeanPowerGrad` kernel
 * (wasm) and its features are a multiple of 4, its gradient runs as that one kernel (bit for bit tfjs's);
 * returns the layer. Same names, class and config.
 *
 * @param layer A {@linkcode LogMeanPower}.
 * @returns `layer`.
 *
 * @example
 * ```ts
 * import { LogMeanPower } from "./log_mean_power.ts";
 * import { fuseLogMeanPowerTraining, isFusedLogMeanPower } from "./_fused_log_mean_power.ts";
 * import { assert } from "@std/assert";
 *
 * assert(isFusedLogMeanPower(fuseLogMeanPowerTraining(new LogMeanPower({ pool: 50 }))));
 * ```
 */
export function fuseLogMeanPowerTraining<T extends tfl.layers.Layer>(layer: T): T {
  MARKED.add(layer);
  return layer;
}

/** Whether {@linkcode fuseLogMeanPowerTraining} marked `layer`. */
export function isFusedLogMeanPower(layer: object): boolean {
  return MARKED.has(layer);
}

/**
 * `log(1 + mean(x²))` over pools of `pool` frames of `x` `[batch, nTimes, features]` as one tape node whose
 * gradient is the backend's `MegflowLogMeanPowerGrad`; null where the backend has no such kernel, `x` is not
 * float32 or its features are not a multiple of 4 (the caller then runs tfjs's ops).
 */
export function fusedLogMeanPowerOp(x: tf.Tensor, pool: number): tf.Tensor | null {
  const [batch, nTimes, features] = x.shape as number[];
  if (!enabled || x.dtype !== "float32" || features % 4 !== 0 || x.size === 0) return null;
  if (tf.getKernel(GRAD_KERNEL, tf.getBackend()) === undefined) return null;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const input = args[0] as tf.Tensor;
    const save = args[1] as tf.GradSaveFunc;
    const mean = tf.mean(tf.reshape(tf.square(input), [batch, nTimes / pool, pool, features]), 2);
    save([input, mean]);
    return {
      value: tf.log1p(mean),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) =>
        tf.engine().runKernel(GRAD_KERNEL, { dy: dy as tf.Tensor, x: saved[0], mean: saved[1] }, { pool }) as tf.Tensor,
    };
  });
  return op(x);
}
