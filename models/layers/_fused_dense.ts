/**
 * A tfjs-layers `Dense` layer's training pass as one node of the gradient tape. On an input of rank 3 or more,
 * `Dense.call` flattens the input, transposes and reshapes the kernel (an identity permutation), reshapes both
 * to 3-D inside `tf.fused.matMul`, multiplies, reshapes the product back twice and, for an activation that
 * cannot be fused (gelu, softmax), adds the bias as a broadcast; under a tape each of these ops is a tape entry,
 * and tfjs copies every tensor a gradient reads (an `Identity` kernel each). For vivit's cross network (nine
 * dense layers on 160 tokens of 32 values, or on its cell filters) that bookkeeping is about a fifth of a
 * training step's ~750 kernel calls.
 *
 * Here, for layers marked with {@linkcode fuseDenseTraining}, on the synchronous backends (cpu, wasm) and while a
 * gradient tape records: the input reshaped to `[1, rows, depth]` (one taped `Reshape`, so that the tape prunes
 * the input's gradient exactly where it pruned it before: the first layer's product `dy W^T` stays a deferred
 * output that nothing reads), then one `tf.customGrad` that runs the same `_FusedMatMul` kernel on the same
 * `[1, rows, depth] x [1, depth, units]` operands (with the bias when the activation is linear, as
 * `tf.fused.matMul`; else the product, then the bias added as tfjs-layers' `biasAdd` adds it, reshaped to
 * `[1, ..., 1, units]`), and whose gradient runs what tfjs's gradient functions of those ops run: the bias's
 * `sum` over the same axes of the same-shaped `dy`, `dy W^T` and `x^T dy` as `[1, rows, units]` products. The
 * activation (gelu, softmax) is applied after it as before. Every float32 operation is the same, so the weights
 * come out bit for bit as before (test: tests/models/layers/fused_dense_test.ts, every weight of vivit's cross
 * network after seeded Adam steps with {@linkcode setFusedDense} on and off).
 *
 * Relu and elu (which `tf.fused.matMul` does not fuse under a tape), unmarked layers, inference and the webgpu
 * backend run tfjs-layers' code.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { gradientTapeOn, onSynchronousBackend } from "../../core/_synchronous_backend.ts";

/** The fields of tfjs-layers' `Dense` the fused pass reads. */
interface DenseLayer {
  units: number;
  kernel: tfl.LayerVariable;
  bias: tfl.LayerVariable | null;
  activation: { getClassName(): string; apply(x: tf.Tensor): tf.Tensor } | null;
  invokeCallHook(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): void;
}

type Call = (this: DenseLayer, inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>) => tf.Tensor;

const MARKED = new WeakSet<object>();
let enabled = true;
let fusedCalls = 0;

/**
 * Turns the fused pass on (the default) or off for every marked layer: off, they run tfjs-layers' code (the
 * bit-for-bit tests compare the two). Kept although only tests turn it off: tfjs-layers' code is not dead, it
 * runs in production for inference, unmarked layers and the webgpu backend.
 *
 * @param on Fuse (the default).
 * @returns The previous setting.
 */
export function setFusedDense(on: boolean): boolean {
  const previous = enabled;
  enabled = on;
  return previous;
}

/** How many fused dense passes have run since the process started (tests). */
export function fusedDenseCalls(): number {
  return fusedCalls;
}

/**
 * Marks a tfjs `Dense` layer so that its training pass runs as one tape node (see the module's doc); returns
 * the layer. Same weights, names, class and config.
 *
 * @param layer A `tfl.layers.dense(...)` layer.
 * @returns `layer`.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import * as tfl from "@tensorflow/tfjs-layers";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { fuseDenseTraining, fusedDenseCalls } from "./_fused_dense.ts";
 * import { assertEquals } from "@std/assert";
 *
 * await tf.setBackend("cpu");
 * const dense = fuseDenseTraining(tfl.layers.dense({ units: 2, kernelInitializer: "ones" }));
 * const before = fusedDenseCalls();
 * const grads = tf.grads((x: tf.Tensor) => dense.apply(x) as tf.Tensor)([tf.ones([1, 3, 4])]);
 * assertEquals(fusedDenseCalls() - before, 1);
 * assertEquals(Array.from(grads[0].dataSync()), new Array(12).fill(2));
 * ```
 */
export function fuseDenseTraining<T extends tfl.layers.Layer>(layer: T): T {
  MARKED.add(layer);
  return layer;
}

/** `bias` shaped as tfjs-layers' `reshapeBias` shapes it for an output of `rank` (channels last). */
function biasShape(rank: number, units: number): number[] {
  return rank < 3 ? [units] : [...new Array(rank - 1).fill(1), units];
}

/**
 * `x W (+ b)` of a `[1, rows, depth]` input as one tape node: the value `Dense.call` computes before its
 * activation, reshaped to `outShape`; `fused`: the bias inside the product (linear activation), else added after.
 */
function denseProduct(
  x3: tf.Tensor,
  kernel: tf.Tensor,
  bias: tf.Tensor | null,
  outShape: number[],
  fused: boolean,
): tf.Tensor {
  fusedCalls++;
  const [, rows, depth] = x3.shape as number[];
  const units = kernel.shape[1] as number;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [a3, w] = args as tf.Tensor[];
    const b = bias === null ? null : args[2] as tf.Tensor;
    const save = args[bias === null ? 2 : 3] as tf.GradSaveFunc;
    const b3 = tf.reshape(w, [1, depth, units]);
    const inputs: tf.NamedTensorMap = fused && b !== null ? { a: a3, b: b3, bias: b } : { a: a3, b: b3 };
    const attrs = { transposeA: false, transposeB: false, activation: "linear", leakyreluAlpha: 0.2 };
    const product = tf.engine().runKernel("_FusedMatMul", inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
    let value = tf.reshape(product, outShape);
    if (!fused && b !== null) value = tf.add(value, tf.reshape(b, biasShape(outShape.length, units)));
    save([a3, b3]);
    return {
      value,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [a3, b3] = saved;
        const dOut = dy as tf.Tensor;
        const dy3 = tf.reshape(dOut, [1, rows, units]);
        // the bias's: tf.fused.matMul's sum over the [1, rows, units] gradient, or biasAdd's over the output's
        const dBias = b === null
          ? []
          : fused
          ? [tf.reshape(tf.sum(dy3, [0, 1]), [units])]
          : [tf.reshape(tf.sum(dOut, outShape.slice(0, -1).map((_, i) => i)), [units])];
        const dA = tf.matMul(dy3, b3, false, true);
        const dW = tf.reshape(tf.matMul(a3, dy3, true, false), [depth, units]);
        return [dA, dW, ...dBias];
      },
    };
  });
  return bias === null ? op(x3, kernel) : op(x3, kernel, bias);
}

function install(): void {
  const prototype = Object.getPrototypeOf(tfl.layers.dense({ units: 1 })) as { call: Call; fusedTraining?: true };
  if (prototype.fusedTraining) return;
  const previous = prototype.call;
  prototype.call = function (this: DenseLayer, inputs, kwargs) {
    const input = Array.isArray(inputs) ? inputs[0] : inputs;
    const activation = this.activation?.getClassName() ?? "linear";
    const fused = enabled && MARKED.has(this) && (!Array.isArray(inputs) || inputs.length === 1) &&
      input.rank >= 2 && input.rank <= 5 && input.dtype === "float32" && activation !== "relu" &&
      activation !== "elu" && onSynchronousBackend() &&
      gradientTapeOn();
    if (!fused) return previous.call(this, inputs, kwargs);
    return tf.tidy(() => {
      this.invokeCallHook(inputs, kwargs);
      const depth = input.shape[input.rank - 1];
      const x3 = tf.reshape(input, [1, input.size / depth, depth]);
      const outShape = [...input.shape.slice(0, -1), this.units];
      const linear = activation === "linear";
      const out = denseProduct(x3, this.kernel.read(), this.bias?.read() ?? null, outShape, linear);
      return linear || this.activation === null ? out : this.activation.apply(out);
    });
  };
  prototype.fusedTraining = true;
}

install();
