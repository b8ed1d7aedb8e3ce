/**
 * tfjs-layers' `gelu` activation (`x * 0.5 * (1 + erf(x / sqrt 2))`) as one kernel forward and one
 * backward where the current backend has megflow's `MegflowGelu` kernel (the wasm backend, after
 * `registerWasmTrainingKernels`: `backends/kernels/simd_gelu.ts`); elsewhere tfjs-layers' own ops.
 *
 * Installed on import by replacing the `apply` of tfjs-layers' `gelu` activation class (found
 * through the serialization registry), so models, configs and saved files are unchanged: the same
 * function, with the gradient in closed form instead of ~15 kernels of automatic differentiation
 * over tsa's `[32, 32, 10, 64]` and vivit's `[32, 10, 4, 128]` hidden activations.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { gradientTapeOn } from "../../core/_synchronous_backend.ts";

/** The kernels' names, as `backends/kernels/simd_gelu.ts` registers them. */
const GELU_KERNEL = "MegflowGelu";
const GELU_WITH_SLOPE_KERNEL = "MegflowGeluWithSlope";

/** Whether a recorded forward pass keeps GELU's slope for the backward pass (see {@linkcode setGeluSlopes}). */
let keepSlopes = true;

/**
 * While the gradient tape records (a training step), the fused GELU runs `MegflowGeluWithSlope`,
 * which also writes the factor the gradient multiplies `dy` by (`cdf(x) + x exp(-x^2 / 2) /
 * sqrt(2 pi)`, by the same float32 instructions as `MegflowGeluGrad`), and the backward pass is one
 * multiplication `dy * slope`: bit for bit the gradient `MegflowGeluGrad` computes, without a second
 * pass through erf and exp (tsa: 3 GELUs of `[32, 32, 10, 64]` per step). Costs one float32 array
 * of the activation's size per GELU until the backward pass. `false` restores the gradient kernel
 * (what tests compare with). Inference (tape off) and sizes that are not a multiple of 4 always run
 * the plain kernel. Kept although only tests turn it off: the gradient kernel it restores is not dead
 * code, it is the backward pass of every recorded GELU whose size is not a multiple of 4.
 *
 * @param on Keep slopes (the default).
 * @example
 * ```ts
 * import { setGeluSlopes } from "./_fast_gelu.ts";
 *
 * setGeluSlopes(false); // MegflowGeluGrad recomputes erf in the backward pass
 * setGeluSlopes(true);
 * ```
 */
export function setGeluSlopes(on: boolean): void {
  keepSlopes = on;
}

/** GELU as one node of the tape whose gradient is `dy * slope` (see {@linkcode setGeluSlopes}). */
const geluKeepingSlope = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
  const [y, slope] = tf.engine().runKernel(GELU_WITH_SLOPE_KERNEL, { x }) as tf.Tensor[];
  save([slope]);
  return { value: y, gradFunc: (dy: tf.Tensor | tf.Tensor[], [kept]: tf.Tensor[]) => [tf.mul(dy as tf.Tensor, kept)] };
}) as (x: tf.Tensor) => tf.Tensor;

/** Fused calls since the process started (tests). */
let fused = 0;

/** How many `gelu` activations have run as the fused kernel since the process started. */
export function fastGeluCalls(): number {
  return fused;
}

interface Activation {
  apply(x: tf.Tensor): tf.Tensor;
  fastGelu?: true;
}

function install(): void {
  const activation = tfl.layers.activation({ activation: "gelu" }) as unknown as { activation: Activation };
  const prototype = Object.getPrototypeOf(activation.activation) as Activation;
  if (prototype.fastGelu) return;
  const stock = prototype.apply;
  prototype.apply = function (this: Activation, x: tf.Tensor): tf.Tensor {
    if (x.dtype !== "float32" || tf.getKernel(GELU_KERNEL, tf.getBackend()) === undefined) return stock.call(this, x);
    fused++;
    const recording = gradientTapeOn();
    if (keepSlopes && recording && x.size % 4 === 0 && tf.getKernel(GELU_WITH_SLOPE_KERNEL, tf.getBackend())) {
      return geluKeepingSlope(x);
    }
    return tf.engine().runKernel(GELU_KERNEL, { x }) as tf.Tensor;
  };
  prototype.fastGelu = true;
}

install();
