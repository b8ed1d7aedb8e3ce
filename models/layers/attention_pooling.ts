/**
 * Learned attention pooling over time: a weighted mean of a sequence whose weights the
 * layer learns to put on the informative time steps.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { gradientTapeOn, onSynchronousBackend } from "../../core/_synchronous_backend.ts";
import { attentionPoolingTraining, fusedAttentionPoolingOn } from "./_fused_attention_pooling.ts";
import { knownDim, layerInt, singleShape, singleTensor } from "./_layer.ts";
import type { LayerArgs } from "../types.ts";

/** Arguments of {@linkcode AttentionPooling}. */
export interface AttentionPoolingArgs extends LayerArgs {
  /** Size of the hidden scoring layer (`W` is `[features, units]`). @default 64 */
  units?: number;
}

/**
 * Attention pooling over the time axis (Bahdanau-style additive scores).
 *
 * For a sequence `h` of layout `[batch, nTimes, features]`:
 * `score_t = v^T tanh(W h_t + b)`, `a = softmax_t(score)`, output `sum_t a_t h_t`
 * of layout `[batch, features]`. Weights: `kernel` (`W`, `[features, units]`), `bias`
 * (`b`, `[units]`), `context` (`v`, `[units, 1]`).
 *
 * Serialisable: registered with `tf.serialization.registerClass`, so a saved model that
 * uses it loads again once this module has been imported.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { AttentionPooling } from "./attention_pooling.ts";
 * import { assertAlmostEquals, assertEquals } from "@std/assert";
 *
 * await tf.setBackend("cpu");
 * const layer = new AttentionPooling({ units: 8 });
 * const h = tf.randomNormal([2, 5, 3]);
 * const pooled = layer.apply(h) as tf.Tensor;
 * assertEquals(pooled.shape, [2, 3]);
 * const weights = layer.attentionWeights(h).arraySync() as number[][];
 * assertAlmostEquals(weights[0].reduce((a, b) => a + b), 1, 1e-6);
 * ```
 */
export class AttentionPooling extends tfl.layers.Layer {
  /** Name under which the class is registered for serialisation. */
  static className = "AttentionPooling";
  /** Size of the hidden scoring layer. */
  readonly units: number;
  private kernel?: tfl.LayerVariable;
  private bias?: tfl.LayerVariable;
  private context?: tfl.LayerVariable;

  /**
   * Creates an attention pooling layer; its weights are made on first use.
   *
   * @param args Layer arguments; see {@linkcode AttentionPoolingArgs}.
   * @throws {RangeError} when `units` is not a positive integer.
   */
  constructor(args: AttentionPoolingArgs = {}) {
    super(args);
    this.units = layerInt("AttentionPooling", "units", args.units ?? 64, 1);
  }

  /** Creates the weights for an input of layout `[batch, nTimes, features]`. */
  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shape = checkRank3(singleShape("AttentionPooling", inputShape));
    const features = knownDim("AttentionPooling", shape, 2, "feature axis");
    this.kernel = this.addWeight(
      "kernel",
      [features, this.units],
      "float32",
      tfl.initializers.glorotUniform({}),
    );
    this.bias = this.addWeight("bias", [this.units], "float32", tfl.initializers.zeros());
    this.context = this.addWeight("context", [this.units, 1], "float32", tfl.initializers.glorotUniform({}));
    this.built = true;
  }

  /** `[batch, nTimes, features]` -> `[batch, features]`. */
  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const shape = checkRank3(singleShape("AttentionPooling", inputShape));
    return [shape[0], shape[2]];
  }

  /** Pools `[batch, nTimes, features]` into `[batch, features]`. */
  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Record<string, unknown>): tf.Tensor {
    return tf.tidy(() => {
      const h = singleTensor("AttentionPooling", inputs);
      const [batch, , features] = checkRank3(h.shape);
      if (fusedAttentionPoolingOn() && onSynchronousBackend() && h.dtype === "float32" && gradientTapeOn()) {
        // The same ops and their gradients as one tape node (bit for bit; _fused_attention_pooling.ts).
        return attentionPoolingTraining(h, this.kernel!.read(), this.bias!.read(), this.context!.read());
      }
      const weights = this.scores(h);
      // [batch, 1, nTimes] x [batch, nTimes, features] -> [batch, 1, features]
      const pooled = tf.matMul(tf.expandDims(weights, 1), h);
      return tf.reshape(pooled, [batch, features]);
    });
  }

  /**
   * The attention weights over time (each row sums to 1).
   *
   * @param inputs A sequence of layout `[batch, nTimes, features]`.
   * @returns The weights, layout `[batch, nTimes]`.
   * @throws {TypeError} when the input is not rank 3.
   */
  attentionWeights(inputs: tf.Tensor): tf.Tensor2D {
    return tf.tidy(() => {
      checkRank3(inputs.shape);
      if (!this.built) this.build(inputs.shape);
      return this.scores(inputs);
    });
  }

  /** The layer's configuration, merged with the base layer's. */
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), units: this.units };
  }

  /** Softmax-normalised scores `[batch, nTimes]` of `h` `[batch, nTimes, features]`. */
  private scores(h: tf.Tensor): tf.Tensor2D {
    const [batch, nTimes, features] = h.shape;
    const hidden = tf.tanh(
      tf.add(tf.matMul(tf.reshape(h, [batch * nTimes, features]), this.kernel!.read()), this.bias!.read()),
    );
    const score = tf.reshape(tf.matMul(hidden, this.context!.read()), [batch, nTimes]);
    return tf.softmax(score) as tf.Tensor2D;
  }
}
tf.serialization.registerClass(AttentionPooling);

function checkRank3<S extends tfl.Shape>(shape: S): S {
  if (shape.length !== 3) {
    throw new TypeError(`AttentionPooling expects [batch, nTimes, features], got shape [${shape.join(", ")}]`);
  }
  return shape;
}
