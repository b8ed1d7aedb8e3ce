/**
 * Multi-head self-attention built from matMul, softmax, reshape and transpose (tfjs-layers
 * has no attention layer usable for this; every op here has a wasm kernel).
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { knownDim, layerInt, singleShape, singleTensor } from "./_layer.ts";
// Dropout layers draw their masks with megflow's generator (one kernel instead of five).
import "./_fast_dropout.ts";
import "./_fast_gelu.ts";
import { fusedSelfAttentionOn, selfAttentionTraining } from "./_fused_self_attention.ts";
import { onSynchronousBackend } from "../../core/_synchronous_backend.ts";
import type { LayerArgs } from "../types.ts";

/** Arguments of {@linkcode MultiHeadSelfAttention}. */
export interface MultiHeadSelfAttentionArgs extends LayerArgs {
  /** Number of attention heads. @default 4 */
  numHeads?: number;
  /** Size of each head's queries, keys and values. @default 16 */
  keyDim?: number;
  /** Dropout rate on the attention weights while training, in [0, 1). @default 0 */
  dropout?: number;
}

/**
 * Multi-head scaled dot-product self-attention over the second-to-last axis.
 *
 * Input layout `[..., seqLen, embedDim]` (any number of leading axes, e.g.
 * `[batch, nTimes, embedDim]` or `[batch, nGroups, nPatches, embedDim]`: attention runs
 * within each sequence of `seqLen` tokens); the output has the input's layout.
 * For every head `h`: `softmax(Q_h K_h^T / sqrt(keyDim)) V_h`, the heads concatenated and
 * projected back to `embedDim`.
 *
 * Weights, in `getWeights()` order: `qkv_kernel` `[embedDim, 3 * numHeads * keyDim]`
 * (columns: all queries, then all keys, then all values; within each, head-major),
 * `qkv_bias` `[3 * numHeads * keyDim]`, `output_kernel` `[numHeads * keyDim, embedDim]`,
 * `output_bias` `[embedDim]`.
 *
 * Serialisable: registered with `tf.serialization.registerClass`.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { MultiHeadSelfAttention } from "./multi_head_self_attention.ts";
 * import { assertEquals } from "@std/assert";
 *
 * await tf.setBackend("cpu");
 * const attention = new MultiHeadSelfAttention({ numHeads: 2, keyDim: 4 });
 * const tokens = tf.randomNormal([3, 5, 8]); // [batch, seqLen, embedDim]
 * assertEquals((attention.apply(tokens) as tf.Tensor).shape, [3, 5, 8]);
 * ```
 */
export class MultiHeadSelfAttention extends tfl.layers.Layer {
  /** Name under which the class is registered for serialisation. */
  static className = "MultiHeadSelfAttention";
  /** Number of attention heads. */
  readonly numHeads: number;
  /** Size of each head's queries, keys and values. */
  readonly keyDim: number;
  /** Dropout rate on the attention weights while training. */
  readonly dropout: number;
  private qkvKernel?: tfl.LayerVariable;
  private qkvBias?: tfl.LayerVariable;
  private outputKernel?: tfl.LayerVariable;
  private outputBias?: tfl.LayerVariable;

  /**
   * Creates a self-attention layer; its weights are made on first use.
   *
   * @param args Layer arguments; see {@linkcode MultiHeadSelfAttentionArgs}.
   * @throws {RangeError} when `numHeads` or `keyDim` is not a positive integer or
   * `dropout` is outside [0, 1).
   */
  constructor(args: MultiHeadSelfAttentionArgs = {}) {
    super(args);
    this.numHeads = layerInt("MultiHeadSelfAttention", "numHeads", args.numHeads ?? 4, 1);
    this.keyDim = layerInt("MultiHeadSelfAttention", "keyDim", args.keyDim ?? 16, 1);
    this.dropout = args.dropout ?? 0;
    if (!(this.dropout >= 0 && this.dropout < 1)) {
      throw new RangeError(`MultiHeadSelfAttention: dropout must be in [0, 1), got ${this.dropout}`);
    }
  }

  /** Creates the weights for an input of layout `[..., seqLen, embedDim]`. */
  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shape = checkRank(singleShape("MultiHeadSelfAttention", inputShape));
    const embedDim = knownDim("MultiHeadSelfAttention", shape, -1, "embedding axis");
    const inner = this.numHeads * this.keyDim;
    const glorot = tfl.initializers.glorotUniform({});
    this.qkvKernel = this.addWeight("qkv_kernel", [embedDim, 3 * inner], "float32", glorot);
    this.qkvBias = this.addWeight("qkv_bias", [3 * inner], "float32", tfl.initializers.zeros());
    this.outputKernel = this.addWeight("output_kernel", [inner, embedDim], "float32", glorot);
    this.outputBias = this.addWeight("output_bias", [embedDim], "float32", tfl.initializers.zeros());
    this.built = true;
  }

  /** The output has the input's shape. */
  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    return checkRank(singleShape("MultiHeadSelfAttention", inputShape));
  }

  /** Attends within each sequence of `[..., seqLen, embedDim]`. */
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    return tf.tidy(() => {
      const x = singleTensor("MultiHeadSelfAttention", inputs);
      const shape = checkRank(x.shape);
      if (kwargs?.training === true && this.dropout === 0 && fusedSelfAttentionOn() && onSynchronousBackend()) {
        // The same ops as below and their gradients as one tape node (bit for bit; _fused_self_attention.ts).
        const weights = [this.qkvKernel!, this.qkvBias!, this.outputKernel!, this.outputBias!].map((w) => w.read());
        return selfAttentionTraining(
          x,
          weights as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor],
          this.numHeads,
          this.keyDim,
        );
      }
      const seqLen = shape[shape.length - 2];
      const embedDim = shape[shape.length - 1];
      const { numHeads, keyDim } = this;
      const inner = numHeads * keyDim;
      const tokens = tf.reshape(x, [-1, embedDim]); // [n * seqLen, embedDim]
      const kernel = this.qkvKernel!.read();
      const bias = this.qkvBias!.read();
      // Slice the small weights rather than split the large [n * seqLen, 3 * inner] product:
      // slicing along the last axis is a slow strided copy on the cpu backend.
      const [q, k, v] = [0, 1, 2].map((part) => {
        const projected = tf.add(
          tf.matMul(tokens, tf.slice(kernel, [0, part * inner], [embedDim, inner])),
          tf.slice(bias, [part * inner], [inner]),
        );
        // [n * seqLen, heads * keyDim] -> [n, heads, seqLen, keyDim]
        return tf.transpose(tf.reshape(projected, [-1, seqLen, numHeads, keyDim]), [0, 2, 1, 3]);
      });
      const scores = tf.matMul(tf.mul(q, 1 / Math.sqrt(keyDim)), k, false, true); // [n, heads, seqLen, seqLen]
      let weights = tf.softmax(scores);
      if (kwargs?.training === true && this.dropout > 0) weights = tf.dropout(weights, this.dropout);
      const heads = tf.transpose(tf.matMul(weights, v), [0, 2, 1, 3]); // [n, seqLen, heads, keyDim]
      const merged = tf.reshape(heads, [-1, inner]);
      const out = tf.add(tf.matMul(merged, this.outputKernel!.read()), this.outputBias!.read());
      return tf.reshape(out, shape);
    });
  }

  /** The layer's configuration, merged with the base layer's. */
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), numHeads: this.numHeads, keyDim: this.keyDim, dropout: this.dropout };
  }
}
tf.serialization.registerClass(MultiHeadSelfAttention);

function checkRank<S extends tfl.Shape | number[]>(shape: S): S {
  if (shape.length < 3) {
    throw new TypeError(
      `MultiHeadSelfAttention expects [batch, ..., seqLen, embedDim], got shape [${shape.join(", ")}]`,
    );
  }
  return shape;
}
