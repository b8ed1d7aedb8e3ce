/**
 * The training pass of a small dense classifier head as one node of the gradient tape: for a model whose
 * layers are input -> `Flatten` -> `BatchNormalization` -> `Dropout` -> `Dense` (relu, bias) -> `Dropout` ->
 * `Dense` (softmax, bias), as `spectral` builds it, a training-mode `model.apply` on the synchronous
 * backends (cpu, wasm) runs the flatten and the BatchNorm as before and everything after them as one
 * `tf.customGrad` op. tfjs-layers' graph executor, the tape entries of the ~10 forward ops and the copies
 * tfjs makes of every tensor a gradient reads (`Identity` kernels: 21 of spectral's 73 kernels per step) are
 * skipped; the arithmetic is not changed.
 *
 * Bit for bit the stock path: the forward runs the same tfjs ops on the same tensors in the same order
 * (dropout masks drawn in the same order, so the same `Math.random()` draws), and the backward runs, kernel
 * for kernel, what tfjs's gradient functions of those ops run: softmax `dy * y - sum(dy * y) * y`, the bias
 * sums, the products `dy W^T` and `x^T dy`, the dropout and relu masks (`dy * step(z)`). Test:
 * tests/models/layers/fused_dense_head_test.ts compares every weight's bits after seeded Adam steps with
 * {@linkcode setFusedDenseHead} on and off.
 *
 * Models not marked with {@linkcode fuseDenseHeadTraining}, other layer chains (no hidden layer, another
 * activation, a dropout with a seed or noise shape), inference and the webgpu backend run tfjs-layers' code.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { onSynchronousBackend } from "../../core/_synchronous_backend.ts";
import { maskTensor } from "./_fast_dropout.ts";

/** The fields of tfjs-layers' layers the fused pass reads. */
interface AnyLayer {
  getClassName(): string;
  call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[];
}
interface DenseLayer extends AnyLayer {
  kernel: tfl.LayerVariable;
  bias: tfl.LayerVariable | null;
  activation: { getClassName(): string } | null;
}
interface DropoutLayer extends AnyLayer {
  rate: number;
  seed?: number;
  noiseShape?: number[];
}

type Call = (inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>) => tf.Tensor | tf.Tensor[];

let enabled = true;
let fusedCalls = 0;

/**
 * Turns the fused pass on (the default) or off for every marked model: off, they run tfjs-layers' code
 * (the bit-for-bit tests compare the two). Kept although only tests turn it off: tfjs-layers' code is not
 * dead, it runs in production for inference, unmarked models, other layer chains and the webgpu backend.
 */
export function setFusedDenseHead(on: boolean): void {
  enabled = on;
}

/** How many fused head passes have run since the process started (tests). */
export function fusedDenseHeadCalls(): number {
  return fusedCalls;
}

/** The chain's layers, or undefined when `model` is not input -> flatten -> norm -> dropout -> dense -> dropout -> dense. */
function chainOf(model: tfl.LayersModel) {
  const layers = model.layers as unknown as AnyLayer[];
  const names = layers.map((layer) => layer.getClassName()).join(",");
  if (names !== "InputLayer,Flatten,BatchNormalization,Dropout,Dense,Dropout,Dense") return undefined;
  const [, flatten, norm, inputDropout, hidden, hiddenDropout, classifier] = layers;
  return {
    flatten,
    norm,
    inputDropout: inputDropout as DropoutLayer,
    hidden: hidden as DenseLayer,
    hiddenDropout: hiddenDropout as DropoutLayer,
    classifier: classifier as DenseLayer,
  };
}

/** Whether a dropout layer draws tfjs-layers' plain mask of `_fast_dropout.ts` in training. */
function plainDropout(layer: DropoutLayer): boolean {
  return layer.seed == null && layer.noiseShape == null && layer.rate > 0 && layer.rate < 1;
}

/** Whether a `Dense` layer has a bias and the activation `name`. */
function denseWith(layer: DenseLayer, name: string): boolean {
  return layer.bias != null && layer.activation?.getClassName() === name;
}

/**
 * Marks a model built as `spectral` builds it (see the module's doc) so that its training pass after the
 * BatchNorm is one tape node; returns the model. A model of another layer chain is returned unmarked.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import * as tfl from "@tensorflow/tfjs-layers";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { fuseDenseHeadTraining, fusedDenseHeadCalls } from "./_fused_dense_head.ts";
 * import { assertEquals } from "@std/assert";
 *
 * await tf.setBackend("cpu");
 * const input = tfl.input({ shape: [3, 2] });
 * let x = tfl.layers.flatten().apply(input) as tfl.SymbolicTensor;
 * x = tfl.layers.batchNormalization().apply(x) as tfl.SymbolicTensor;
 * x = tfl.layers.dropout({ rate: 0.25 }).apply(x) as tfl.SymbolicTensor;
 * x = tfl.layers.dense({ units: 4, activation: "relu" }).apply(x) as tfl.SymbolicTensor;
 * x = tfl.layers.dropout({ rate: 0.25 }).apply(x) as tfl.SymbolicTensor;
 * const output = tfl.layers.dense({ units: 2, activation: "softmax" }).apply(x) as tfl.SymbolicTensor;
 * const model = fuseDenseHeadTraining(tfl.model({ inputs: input, outputs: output }));
 * const before = fusedDenseHeadCalls();
 * const probs = model.apply(tf.ones([5, 3, 2]), { training: true }) as tf.Tensor;
 * assertEquals([probs.shape, fusedDenseHeadCalls() - before], [[5, 2], 1]);
 * ```
 */
export function fuseDenseHeadTraining(model: tfl.LayersModel): tfl.LayersModel {
  const chain = chainOf(model);
  if (chain === undefined) return model;
  const target = model as unknown as { call: Call };
  const stock: Call = target.call.bind(model);
  target.call = (inputs, kwargs) => {
    const fused = enabled && kwargs?.training === true && onSynchronousBackend() &&
      (!Array.isArray(inputs) || inputs.length === 1) && plainDropout(chain.inputDropout) &&
      plainDropout(chain.hiddenDropout) && denseWith(chain.hidden, "relu") && denseWith(chain.classifier, "softmax");
    if (!fused) return stock(inputs, kwargs);
    return tf.tidy(() => {
      const flat = chain.flatten.call(inputs, kwargs) as tf.Tensor;
      const standardised = chain.norm.call(flat, kwargs) as tf.Tensor;
      fusedCalls++;
      return denseHead(
        standardised,
        [
          chain.hidden.kernel.read(),
          chain.hidden.bias!.read(),
          chain.classifier.kernel.read(),
          chain.classifier.bias!.read(),
        ],
        1 - chain.inputDropout.rate,
        1 - chain.hiddenDropout.rate,
      );
    });
  };
  return model;
}

/**
 * `softmax(dropout(relu(dropout(x) W1 + b1)) W2 + b2)` in training mode as one tape node, with the ops of
 * tfjs-layers' `Dropout` (megflow's mask), `Dense` and their gradients (see the module's doc).
 */
function denseHead(x: tf.Tensor, weights: tf.Tensor[], keepIn: number, keepHidden: number): tf.Tensor {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [input, w1, b1, w2, b2] = args as tf.Tensor[];
    const save = args[5] as tf.GradSaveFunc;
    // Dropout, then Dense(relu) as tfjs's fused.matMul runs it under a tape: matMul, add, relu.
    const inputMask = maskTensor(input.shape, keepIn);
    const dropped = tf.mul(input, inputMask);
    const z = tf.add(tf.matMul(dropped, w1), b1);
    const hiddenMask = maskTensor(z.shape, keepHidden);
    const hidden = tf.mul(tf.relu(z), hiddenMask);
    // Dense(linear) as fused.matMul runs it (its `_FusedMatMul`, on the 2-D tensors of which fused.matMul
    // passes 3-D views of one batch: the same product), the bias add, softmax.
    const product = tf.engine().runKernel(tf._FusedMatMul, { a: hidden, b: w2 }, {
      transposeA: false,
      transposeB: false,
      activation: "linear",
      leakyreluAlpha: 0.2,
    }) as tf.Tensor;
    const probs = tf.softmax(tf.add(product, b2), -1);
    save([inputMask, dropped, z, hiddenMask, hidden, probs, w1, w2]);
    return {
      value: probs,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [inputMask, dropped, z, hiddenMask, hidden, probs, w1, w2] = saved;
        // softmax's gradient, then the bias add's (`sum` over the batch for the bias).
        const dyTimesY = tf.mul(dy as tf.Tensor, probs);
        const dLogits = tf.sub(dyTimesY, tf.mul(tf.sum(dyTimesY, [-1], true), probs));
        const db2 = tf.sum(dLogits, [0]);
        // fused.matMul's gradient (on 2-D tensors, as in the forward): dy W^T and x^T dy.
        const dHidden = tf.matMul(dLogits, w2, false, true);
        const dw2 = tf.matMul(hidden, dLogits, true, false);
        // the dropout's and relu's gradients (`dy * mask`, `dy * step(z)`), the bias add's, matMul's.
        const dz = tf.mul(tf.mul(dHidden, hiddenMask), tf.step(z));
        const db1 = tf.sum(dz, [0]);
        const dDropped = tf.matMul(dz, w1, false, true);
        const dw1 = tf.matMul(dropped, dz, true, false);
        return [tf.mul(dDropped, inputMask), dw1, db1, dw2, db2];
      },
    };
  });
  return op(x, ...weights);
}
