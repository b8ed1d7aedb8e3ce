/**
 * A dense layer that is the first weighted layer after the model's input, as a plain product
 * with a lazy gradient: tfjs-layers' `Dense` runs `tf.fused.matMul`, whose gradient
 * (`customGrad`) computes the gradient of both factors, so the gradient for the input,
 * which nothing needs when no weight comes before the layer, is computed and dropped (for
 * cascade's first frame convolution a `[38400, 16] x [16, 40]` product per step). For layers
 * marked with {@linkcode plainInputDense} (no bias, linear activation), the call is `matMul`
 * of the input flattened to 2-D and the kernel: the same product, and tfjs's tape computes
 * only the gradients that lead to a weight. Same weights, names and class (`Dense`).
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";

/** The fields of tfjs-layers' `Dense` the plain call reads. */
interface DenseLayer {
  units: number;
  kernel: tfl.LayerVariable;
  bias: tfl.LayerVariable | null;
  activation: { getClassName(): string } | null;
  invokeCallHook(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): void;
}

type Call = (this: DenseLayer, inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>) => tf.Tensor;

const PLAIN = new WeakSet<object>();
let plainCalls = 0;

/**
 * Marks a tfjs `Dense` layer without bias and activation, whose input comes from no weight,
 * to run as a plain product (see the module's doc); returns the layer.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import * as tfl from "@tensorflow/tfjs-layers";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { plainInputDense } from "./_input_dense.ts";
 * import { assertEquals } from "@std/assert";
 *
 * await tf.setBackend("cpu");
 * const dense = plainInputDense(tfl.layers.dense({ units: 2, useBias: false, kernelInitializer: "ones" }));
 * assertEquals(Array.from((dense.apply(tf.ones([1, 3, 4])) as tf.Tensor).dataSync()), [4, 4, 4, 4, 4, 4]);
 * ```
 */
export function plainInputDense<T extends tfl.layers.Layer>(layer: T): T {
  PLAIN.add(layer);
  return layer;
}

/** How many plain products marked layers have run since the process started (tests). */
export function plainDenseCalls(): number {
  return plainCalls;
}

function install(): void {
  const prototype = Object.getPrototypeOf(tfl.layers.dense({ units: 1 })) as { call: Call; plainCall?: true };
  if (prototype.plainCall) return;
  const stock = prototype.call;
  prototype.call = function (this: DenseLayer, inputs, kwargs) {
    const input = Array.isArray(inputs) ? inputs[0] : inputs;
    const plain = PLAIN.has(this) && this.bias == null && (this.activation?.getClassName() ?? "linear") === "linear" &&
      (!Array.isArray(inputs) || inputs.length === 1) && input.rank >= 2;
    if (!plain) return stock.call(this, inputs, kwargs);
    return tf.tidy(() => {
      this.invokeCallHook(inputs, kwargs);
      const depth = input.shape[input.rank - 1];
      const product = tf.matMul(tf.reshape(input, [-1, depth]), this.kernel.read());
      plainCalls++;
      return tf.reshape(product, [...input.shape.slice(0, -1), this.units]);
    });
  };
  prototype.plainCall = true;
}

install();
