/**
 * {@linkcode TemporalFilterBank}'s filters as a direct convolution on the wasm backend's
 * `MegflowFirFilterBank` kernel (`backends/kernels/fir_filter_bank.ts`) and its gradient as one kernel
 * (`MegflowFirFilterBankGrad`), for layers marked with {@linkcode directFilterBank}: one tape node
 * instead of the banded product's ~20 (gather, pad, slices, stack, product, transpose, slice), the
 * same bits.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";

/** The kernels' names, as `backends/kernels/fir_filter_bank.ts` registers them for wasm. */
const FIR_KERNEL = "MegflowFirFilterBank";
const FIR_GRAD_KERNEL = "MegflowFirFilterBankGrad";

const MARKED = new WeakSet<object>();
let enabled = true;

/**
 * Switches the direct kernels off (false: marked layers run the banded product) or back on; returns the
 * previous setting. For tests and A/B timings.
 */
export function setDirectFilterBank(on: boolean): boolean {
  const previous = enabled;
  enabled = on;
  return previous;
}

/**
 * Marks a `TemporalFilterBank` so that, where the backend has megflow's direct filter bank kernels (wasm)
 * and its filters are a multiple of 8, it runs them (bit for bit the banded product's values and
 * gradients); returns the layer. Same weights, names, class and config.
 *
 * @param layer A {@linkcode TemporalFilterBank}.
 * @returns `layer`.
 *
 * @example
 * ```ts
 * import { TemporalFilterBank } from "./temporal_filter_bank.ts";
 * import { directFilterBank, isDirectFilterBank } from "./_direct_filter_bank.ts";
 * import { assert } from "@std/assert";
 *
 * const bank = directFilterBank(new TemporalFilterBank({ filters: 8, kernelSize: 32 }));
 * assert(isDirectFilterBank(bank));
 * ```
 */
export function directFilterBank<T extends tfl.layers.Layer>(layer: T): T {
  MARKED.add(layer);
  return layer;
}

/** Whether {@linkcode directFilterBank} marked `layer`. */
export function isDirectFilterBank(layer: object): boolean {
  return MARKED.has(layer);
}

/**
 * `x` `[batch, nTimes, channels]` through the FIR filters `kernel` `[taps, 1, 1, filters]` on the
 * backend's direct kernels, with their gradient as one tape node; null where the backend has no such
 * kernel, `x` is not float32 or `filters` is not a multiple of 8 (the caller then runs the banded product).
 */
export function directFilterBankOp(x: tf.Tensor, kernel: tf.Tensor): tf.Tensor | null {
  const filters = kernel.shape[3] as number;
  if (!enabled || x.dtype !== "float32" || filters % 8 !== 0 || x.size === 0) return null;
  if (tf.getKernel(FIR_KERNEL, tf.getBackend()) === undefined) return null;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [input, taps] = args as tf.Tensor[];
    const save = args[2] as tf.GradSaveFunc;
    const [y, series] = tf.engine().runKernel(FIR_KERNEL, { x: input, taps }) as tf.Tensor[];
    save([series, taps]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) =>
        tf.engine().runKernel(FIR_GRAD_KERNEL, {
          dy: dy as tf.Tensor,
          series: saved[0],
          taps: saved[1],
        }) as tf.Tensor[],
    };
  });
  return op(x, kernel);
}
