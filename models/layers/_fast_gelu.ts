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

/** The kernel's name, as `backends/kernels/simd_gelu.ts` registers it. */
const GELU_KERNEL = "MegflowGelu";

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
    return tf.engine().runKernel(GELU_KERNEL, { x }) as tf.Tensor;
  };
  prototype.fastGelu = true;
}

install();
