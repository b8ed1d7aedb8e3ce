/**
 * {@linkcode MultiHeadSelfAttention}'s training pass as one node of the gradient tape. The layer's forward is
 * ~25 tfjs ops (three sliced projections with their bias adds, reshapes and transposes, the scaled scores,
 * softmax, the weighted values, the merge and the output projection); under a tape each is a tape entry, and
 * tfjs copies every tensor a gradient reads (an `Identity` kernel each). For vivit's temporal blocks, on 160
 * tokens of 32 values, that bookkeeping is most of the layer's time. Here, on the synchronous backends (cpu,
 * wasm), the same ops run untaped inside one `tf.customGrad`, and its gradient runs, kernel for kernel, what
 * tfjs's gradient functions of those ops run, in the order the tape would run them: the output projection's,
 * the merge's, the weighted values' (`dy v^T`, `w^T dy`), softmax's (`dy * y - sum(dy * y) * y`), the scores'
 * (`dy k`, `dy^T q`), the scale's, then the value, key and query branches in that order (the tape walks back
 * from the last op), each branch's transpose, reshape, bias sum, slice pads and products, and the three
 * contributions to the input, the kernel and the bias added as the tape adds them (`(v + k) + q`). So every
 * float32 operation is the same, in the same order: the weights come out bit for bit as before (test:
 * tests/models/layers/fused_self_attention_test.ts, every weight of vivit, vivit_cross, tsa and cascade after
 * seeded Adam steps with {@linkcode setFusedSelfAttention} on and off).
 *
 * Attention dropout, inference and the webgpu backend run the layer's own ops.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";

let enabled = true;
let fusedCalls = 0;

/**
 * Turns the fused training pass on (the default) or off: off, the layer runs its tfjs ops under the tape (the
 * bit-for-bit tests compare the two). Kept although only tests turn it off: those ops are not dead code, they
 * run in production under the tape with attention dropout, in inference and on the webgpu backend.
 */
export function setFusedSelfAttention(on: boolean): void {
  enabled = on;
}

/** Whether the fused training pass is on. */
export function fusedSelfAttentionOn(): boolean {
  return enabled;
}

/** How many fused self-attention passes have run since the process started (tests). */
export function fusedSelfAttentionCalls(): number {
  return fusedCalls;
}

/** The layer's weights: `[qkvKernel, qkvBias, outputKernel, outputBias]`. */
export type SelfAttentionWeights = [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];

/** The three parts of the `[embedDim, 3 inner]` kernel and `[3 inner]` bias, as the layer slices them. */
function parts(kernel: tf.Tensor, bias: tf.Tensor, embedDim: number, inner: number): [tf.Tensor, tf.Tensor][] {
  return [0, 1, 2].map((part) => [
    tf.slice(kernel, [0, part * inner], [embedDim, inner]),
    tf.slice(bias, [part * inner], [inner]),
  ]);
}

/**
 * Multi-head self-attention of `x` (`[..., seqLen, embedDim]`) without attention dropout, as one tape node
 * (see the module's doc): the value of `MultiHeadSelfAttention.call` and its gradients for `x` and the weights.
 *
 * @param x The layer's input.
 * @param weights `[qkvKernel, qkvBias, outputKernel, outputBias]`.
 * @param numHeads Attention heads.
 * @param keyDim Size of each head's queries, keys and values.
 * @returns The layer's output, the shape of `x`.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { selfAttentionTraining } from "./_fused_self_attention.ts";
 * import { assertEquals } from "@std/assert";
 *
 * await tf.setBackend("cpu");
 * const weights = [tf.ones([4, 6]), tf.zeros([6]), tf.ones([2, 4]), tf.zeros([4])];
 * const y = selfAttentionTraining(tf.ones([1, 3, 4]), weights as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor], 1, 2);
 * assertEquals(y.shape, [1, 3, 4]);
 * ```
 */
export function selfAttentionTraining(
  x: tf.Tensor,
  weights: SelfAttentionWeights,
  numHeads: number,
  keyDim: number,
): tf.Tensor {
  fusedCalls++;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [input, kernel, bias, outputKernel, outputBias] = args as tf.Tensor[];
    const save = args[5] as tf.GradSaveFunc;
    const shape = input.shape;
    const [seqLen, embedDim] = shape.slice(-2);
    const inner = numHeads * keyDim;
    const scale = 1 / Math.sqrt(keyDim);
    // The layer's ops, in its order (see multi_head_self_attention.ts).
    const tokens = tf.reshape(input, [-1, embedDim]);
    const sliced = parts(kernel, bias, embedDim, inner);
    const [q, k, v] = sliced.map(([partKernel, partBias]) => {
      const projected = tf.add(tf.matMul(tokens, partKernel), partBias);
      return tf.transpose(tf.reshape(projected, [-1, seqLen, numHeads, keyDim]), [0, 2, 1, 3]);
    });
    const scaled = tf.mul(q, scale);
    const attention = tf.softmax(tf.matMul(scaled, k, false, true));
    const heads = tf.transpose(tf.matMul(attention, v), [0, 2, 1, 3]);
    const merged = tf.reshape(heads, [-1, inner]);
    const out = tf.add(tf.matMul(merged, outputKernel), outputBias);
    save([tokens, ...sliced.map(([partKernel]) => partKernel), scaled, k, v, attention, merged, outputKernel]);
    return {
      value: tf.reshape(out, shape),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [tokens, kq, kk, kv, scaled, k, v, attention, merged, outputKernel] = saved;
        const rows = tokens.shape[0];
        // The output projection's bias add and product, the merge's reshape and transpose.
        const dOut = tf.reshape(dy as tf.Tensor, [rows, embedDim]);
        const dOutputBias = tf.reshape(tf.sum(dOut, [0]), [embedDim]);
        const dMerged = tf.matMul(dOut, outputKernel, false, true);
        const dOutputKernel = tf.matMul(merged, dOut, true, false);
        const dHeads = tf.transpose(tf.reshape(dMerged, [rows / seqLen, seqLen, numHeads, keyDim]), [0, 2, 1, 3]);
        // The weighted values, softmax, the scores (k transposed), the scale.
        const dAttention = tf.matMul(dHeads, v, false, true);
        const dV = tf.matMul(attention, dHeads, true, false);
        const dyTimesY = tf.mul(dAttention, attention);
        const dScores = tf.sub(dyTimesY, tf.mul(tf.sum(dyTimesY, [-1], true), attention));
        const dScaled = tf.matMul(dScores, k, false, false);
        const dK = tf.matMul(dScores, scaled, true, false);
        const dQ = tf.mul(dScaled, scale);
        // The branches, last first (v, k, q), as the tape walks back; each adds its share to the input's,
        // the bias's and the kernel's gradient in that order.
        let dTokens: tf.Tensor | undefined, dKernel: tf.Tensor | undefined, dBias: tf.Tensor | undefined;
        const accumulate = (sum: tf.Tensor | undefined, next: tf.Tensor) =>
          sum === undefined ? next : tf.add(sum, next);
        for (const [part, dBranch, partKernel] of [[2, dV, kv], [1, dK, kk], [0, dQ, kq]] as const) {
          const dProjected = tf.reshape(tf.transpose(dBranch, [0, 2, 1, 3]), [rows, inner]);
          const dPartBias = tf.reshape(tf.sum(dProjected, [0]), [inner]);
          dBias = accumulate(dBias, tf.pad(dPartBias, [[part * inner, (2 - part) * inner]]));
          const dPartTokens = tf.matMul(dProjected, partKernel, false, true);
          const dPartKernel = tf.matMul(tokens, dProjected, true, false);
          dTokens = accumulate(dTokens, dPartTokens);
          dKernel = accumulate(dKernel, tf.pad(dPartKernel, [[0, 0], [part * inner, (2 - part) * inner]]));
        }
        return [tf.reshape(dTokens!, shape), dKernel!, dBias!, dOutputKernel, dOutputBias];
      },
    };
  });
  return op(x, ...weights);
}
