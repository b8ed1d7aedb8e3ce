/**
 * {@linkcode AttentionPooling}'s pass under a gradient tape as one tape node. The layer's forward is ten tfjs ops (a
 * reshape, the scoring layer's product, bias add and tanh, the context product, a reshape, softmax, an
 * `expandDims`, the weighted sum's product and a reshape); under a tape each is a tape entry, and tfjs copies
 * every tensor a gradient reads. Here, on the synchronous backends (cpu, wasm), the same ops run untaped inside one
 * `tf.customGrad`, and its gradient runs, op for op, what tfjs's gradient functions of those ops run, in the order
 * the tape runs them (from the last op back): the weighted sum's products (`dy h^T`, `w^T dy`), `expandDims`'s
 * reshape, softmax's (`dy * y - sum(dy * y) * y`), the context product's (`ds c^T`, `hidden^T ds`), tanh's (`(1 -
 * y^2) dy`), the bias add's sum, the scoring product's (`dz W^T`, `h^T dz`), and the input's two contributions added
 * as the tape adds them (the weighted sum's first). So every float32 operation is the same: the weights come out bit
 * for bit as before (test: tests/models/layers/fused_attention_pooling_test.ts, every weight of cascade and gru after
 * seeded Adam steps with {@linkcode setFusedAttentionPooling} on and off).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";

let enabled = true;
let fusedCalls = 0;

/**
 * Turns the fused pass on (the default) or off: off, the layer runs its tfjs ops under the tape (the bit-for-bit
 * tests compare the two). Kept although only tests turn it off: those ops are not dead code, they run in inference,
 * without a tape and on the webgpu backend.
 *
 * @param on Fuse (the default).
 * @returns The previous setting.
 */
export function setFusedAttentionPooling(on: boolean): boolean {
  const previous = enabled;
  enabled = on;
  return previous;
}

/** Whether the fused pass is on. */
export function fusedAttentionPoolingOn(): boolean {
  return enabled;
}

/** How many fused attention-pooling passes have run since the process started (tests). */
export function fusedAttentionPoolingCalls(): number {
  return fusedCalls;
}

/**
 * Attention pooling of `h` (`[batch, nTimes, features]`) as one tape node (see the module's doc): `softmax(tanh(h W
 * + b) c)` over time, the weighted sum of `h` -> `[batch, features]`, with its gradients for `h`, `W`, `b` and `c`.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { attentionPoolingTraining } from "./_fused_attention_pooling.ts";
 * import { assertEquals } from "@std/assert";
 *
 * await tf.setBackend("cpu");
 * const [h, w, b, c] = [tf.ones([2, 3, 4]), tf.ones([4, 5]), tf.zeros([5]), tf.ones([5, 1])];
 * const grads = tf.grads((h: tf.Tensor) => attentionPoolingTraining(h, w, b, c))([h]);
 * assertEquals(grads[0].shape, [2, 3, 4]);
 * ```
 *
 * @param h The sequence, `[batch, nTimes, features]`.
 * @param kernel The scoring layer's kernel, `[features, units]`.
 * @param bias Its bias, `[units]`.
 * @param context The context vector, `[units, 1]`.
 * @returns The pooled features, `[batch, features]`.
 */
export function attentionPoolingTraining(
  h: tf.Tensor,
  kernel: tf.Tensor,
  bias: tf.Tensor,
  context: tf.Tensor,
): tf.Tensor {
  fusedCalls++;
  const [batch, nTimes, features] = h.shape;
  const units = kernel.shape[1] as number;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [input, w, b, c] = args as tf.Tensor[];
    const save = args[4] as tf.GradSaveFunc;
    // The layer's ops, in its order (attention_pooling.ts).
    const rows = tf.reshape(input, [batch * nTimes, features]);
    const hidden = tf.tanh(tf.add(tf.matMul(rows, w), b));
    const weights = tf.softmax(tf.reshape(tf.matMul(hidden, c), [batch, nTimes]));
    const expanded = tf.expandDims(weights, 1);
    const pooled = tf.matMul(expanded, input);
    save([input, rows, w, c, hidden, weights, expanded]);
    return {
      value: tf.reshape(pooled, [batch, features]),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [input, rows, w, c, hidden, weights, expanded] = saved;
        const dPooled = tf.reshape(dy as tf.Tensor, [batch, 1, features]);
        // the weighted sum [batch, 1, nTimes] x [batch, nTimes, features], then expandDims
        const dExpanded = tf.matMul(dPooled, input, false, true);
        const dInputPooled = tf.matMul(expanded, dPooled, true, false);
        const dWeights = tf.reshape(dExpanded, [batch, nTimes]);
        // softmax over the last axis, the score's reshape
        const dyTimesY = tf.mul(dWeights, weights);
        const dScore = tf.sub(dyTimesY, tf.mul(tf.sum(dyTimesY, [-1], true), weights));
        const dScoreRows = tf.reshape(dScore, [batch * nTimes, 1]);
        // the context product, tanh, the bias add, the scoring product
        const dHidden = tf.matMul(dScoreRows, c, false, true);
        const dContext = tf.matMul(hidden, dScoreRows, true, false);
        const dZ = tf.mul(tf.sub(tf.scalar(1), tf.square(hidden)), dHidden);
        const dBias = tf.reshape(tf.sum(dZ, [0]), [units]);
        const dProduct = tf.reshape(dZ, [batch * nTimes, units]);
        const dRows = tf.matMul(dProduct, w, false, true);
        const dKernel = tf.matMul(rows, dProduct, true, false);
        // the input's: the weighted sum's first, then the reshape's
        const dInput = tf.add(dInputPooled, tf.reshape(dRows, [batch, nTimes, features]));
        return [dInput, dKernel, dBias, dContext];
      },
    };
  });
  return op(h, kernel, bias, context);
}
