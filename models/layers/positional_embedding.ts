/**
 * Learned positional embeddings: one trainable vector per token position, added to the
 * tokens.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { knownDim, singleShape, singleTensor } from "./_layer.ts";
import type { LayerArgs } from "../types.ts";

/** Arguments of {@linkcode PositionalEmbedding}. */
export interface PositionalEmbeddingArgs extends LayerArgs {
  /** Standard deviation of the truncated-normal initial embeddings. @default 0.02 */
  stddev?: number;
}

/**
 * Adds a learned embedding `[seqLen, embedDim]` to tokens of layout
 * `[..., seqLen, embedDim]` (broadcast over the leading axes, so the same spatial
 * embedding serves every time group of `[batch, nGroups, nPatches, embedDim]`).
 * The output has the input's layout. Weight: `embeddings` `[seqLen, embedDim]`.
 *
 * Serialisable: registered with `tf.serialization.registerClass`.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { PositionalEmbedding } from "./positional_embedding.ts";
 * import { assertEquals } from "@std/assert";
 *
 * await tf.setBackend("cpu");
 * const layer = new PositionalEmbedding();
 * const tokens = tf.zeros([2, 6, 4]);
 * const out = layer.apply(tokens) as tf.Tensor;
 * // zero tokens come out as the embeddings themselves, the same for every example
 * assertEquals(out.arraySync(), tf.stack([layer.getWeights()[0], layer.getWeights()[0]]).arraySync());
 * ```
 */
export class PositionalEmbedding extends tfl.layers.Layer {
  /** Name under which the class is registered for serialisation. */
  static className = "PositionalEmbedding";
  /** Standard deviation of the truncated-normal initial embeddings. */
  readonly stddev: number;
  private embeddings?: tfl.LayerVariable;

  /**
   * Creates a positional embedding; the table is made on first use.
   *
   * @param args Layer arguments; see {@linkcode PositionalEmbeddingArgs}.
   * @throws {RangeError} when `stddev` is negative or not finite.
   */
  constructor(args: PositionalEmbeddingArgs = {}) {
    super(args);
    this.stddev = args.stddev ?? 0.02;
    if (!(this.stddev >= 0 && Number.isFinite(this.stddev))) {
      throw new RangeError(`PositionalEmbedding: stddev must be a finite number >= 0, got ${this.stddev}`);
    }
  }

  /** Creates `embeddings` `[seqLen, embedDim]` for an input `[..., seqLen, embedDim]`. */
  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shape = singleShape("PositionalEmbedding", inputShape);
    if (shape.length < 3) {
      throw new TypeError(
        `PositionalEmbedding expects [batch, ..., seqLen, embedDim], got shape [${shape.join(", ")}]`,
      );
    }
    const seqLen = knownDim("PositionalEmbedding", shape, -2, "sequence length");
    const embedDim = knownDim("PositionalEmbedding", shape, -1, "embedding axis");
    this.embeddings = this.addWeight(
      "embeddings",
      [seqLen, embedDim],
      "float32",
      tfl.initializers.truncatedNormal({ stddev: this.stddev }),
    );
    this.built = true;
  }

  /** The output has the input's shape. */
  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    return singleShape("PositionalEmbedding", inputShape);
  }

  /** Adds the embeddings to every sequence. */
  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Record<string, unknown>): tf.Tensor {
    return tf.tidy(() => tf.add(singleTensor("PositionalEmbedding", inputs), this.embeddings!.read()));
  }

  /** The layer's configuration, merged with the base layer's. */
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), stddev: this.stddev };
  }
}
tf.serialization.registerClass(PositionalEmbedding);
