/**
 * Dimension-segment-wise embedding (Crossformer, Zhang & Yan 2023): each sensor's series is
 * cut into segments, every segment projected linearly to a token, plus a learned position
 * embedding per (sensor, segment).
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { knownDim, layerInt, singleShape, singleTensor } from "./_layer.ts";
import type { LayerArgs } from "../types.ts";

/** Arguments of {@linkcode SegmentEmbedding}. */
export interface SegmentEmbeddingArgs extends LayerArgs {
  /** Samples per segment; must divide `nTimes`. @default 25 */
  segLen?: number;
  /** Size of each token. @default 32 */
  dModel?: number;
  /** Standard deviation of the truncated-normal initial position embeddings. @default 0.02 */
  positionStddev?: number;
}

/**
 * Sensor windows to one token per (sensor, segment).
 *
 * Input layout `[batch, nChans, nTimes]` (channel-major sensor windows); with
 * `nSegs = nTimes / segLen` the output layout is `[batch, nChans, nSegs, dModel]`:
 * `token[b, c, s] = x[b, c, s * segLen : (s + 1) * segLen] kernel + bias + position[c, s]`.
 * The input is channel-major, so cutting it into segments is a reshape (no copy); the
 * projection is one matMul. Weights: `kernel` `[segLen, dModel]`, `bias` `[dModel]`,
 * `position` `[nChans, nSegs, dModel]`.
 *
 * Serialisable: registered with `tf.serialization.registerClass`.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { SegmentEmbedding } from "./segment_embedding.ts";
 * import { assertEquals } from "@std/assert";
 *
 * await tf.setBackend("cpu");
 * const embed = new SegmentEmbedding({ segLen: 5, dModel: 8 });
 * const windows = tf.randomNormal([2, 3, 20]); // [batch, nChans, nTimes]
 * assertEquals((embed.apply(windows) as tf.Tensor).shape, [2, 3, 4, 8]);
 * ```
 */
export class SegmentEmbedding extends tfl.layers.Layer {
  /** Name under which the class is registered for serialisation. */
  static className = "SegmentEmbedding";
  /** Samples per segment. */
  readonly segLen: number;
  /** Size of each token. */
  readonly dModel: number;
  /** Standard deviation of the truncated-normal initial position embeddings. */
  readonly positionStddev: number;
  private kernel?: tfl.LayerVariable;
  private bias?: tfl.LayerVariable;
  private position?: tfl.LayerVariable;

  /**
   * Creates a segment embedding; its weights are made on first use.
   *
   * @param args Layer arguments; see {@linkcode SegmentEmbeddingArgs}.
   * @throws {RangeError} when `segLen` or `dModel` is not a positive integer or
   * `positionStddev` is negative.
   */
  constructor(args: SegmentEmbeddingArgs = {}) {
    super(args);
    this.segLen = layerInt("SegmentEmbedding", "segLen", args.segLen ?? 25, 1);
    this.dModel = layerInt("SegmentEmbedding", "dModel", args.dModel ?? 32, 1);
    this.positionStddev = args.positionStddev ?? 0.02;
    if (!(this.positionStddev >= 0 && Number.isFinite(this.positionStddev))) {
      throw new RangeError(
        `SegmentEmbedding: positionStddev must be a finite number >= 0, got ${this.positionStddev}`,
      );
    }
  }

  /** Creates the projection and the position table for `[batch, nChans, nTimes]`. */
  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const [nChans, nSegs] = this.segments(singleShape("SegmentEmbedding", inputShape));
    this.kernel = this.addWeight("kernel", [this.segLen, this.dModel], "float32", tfl.initializers.glorotUniform({}));
    this.bias = this.addWeight("bias", [this.dModel], "float32", tfl.initializers.zeros());
    this.position = this.addWeight(
      "position",
      [nChans, nSegs, this.dModel],
      "float32",
      tfl.initializers.truncatedNormal({ stddev: this.positionStddev }),
    );
    this.built = true;
  }

  /** `[batch, nChans, nTimes]` -> `[batch, nChans, nTimes / segLen, dModel]`. */
  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const shape = singleShape("SegmentEmbedding", inputShape);
    const [nChans, nSegs] = this.segments(shape);
    return [shape[0], nChans, nSegs, this.dModel];
  }

  /** Embeds every segment of every sensor. */
  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Record<string, unknown>): tf.Tensor {
    return tf.tidy(() => {
      const x = singleTensor("SegmentEmbedding", inputs);
      const [nChans, nSegs] = this.segments(x.shape);
      const flat = tf.reshape(x, [-1, this.segLen]); // [batch * nChans * nSegs, segLen]
      const tokens = tf.add(tf.matMul(flat, this.kernel!.read()), this.bias!.read());
      return tf.add(tf.reshape(tokens, [-1, nChans, nSegs, this.dModel]), this.position!.read());
    });
  }

  /** The layer's configuration, merged with the base layer's. */
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), segLen: this.segLen, dModel: this.dModel, positionStddev: this.positionStddev };
  }

  /** `[nChans, nSegs]` of an input shape, or an error saying what is wrong with it. */
  private segments(shape: tfl.Shape | number[]): [number, number] {
    if (shape.length !== 3) {
      throw new TypeError(`SegmentEmbedding expects [batch, nChans, nTimes], got shape [${shape.join(", ")}]`);
    }
    const nChans = knownDim("SegmentEmbedding", shape as tfl.Shape, 1, "nChans");
    const nTimes = knownDim("SegmentEmbedding", shape as tfl.Shape, 2, "nTimes");
    if (nTimes % this.segLen !== 0) {
      throw new RangeError(
        `SegmentEmbedding: segLen ${this.segLen} must divide nTimes, but nTimes ${nTimes} is not a multiple of ${this.segLen}`,
      );
    }
    return [nChans, nTimes / this.segLen];
  }
}
tf.serialization.registerClass(SegmentEmbedding);
