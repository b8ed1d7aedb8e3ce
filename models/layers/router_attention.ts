/**
 * Cross-sensor attention through learned router tokens: the second stage of Crossformer's
 * two-stage attention (Zhang & Yan 2023), O(routers x sensors) instead of O(sensors^2).
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { knownDim, layerInt, singleShape, singleTensor } from "./_layer.ts";
// Dropout layers draw their masks with megflow's generator (one kernel instead of five).
import "./_fast_dropout.ts";
import "./_fast_gelu.ts";
import type { LayerArgs } from "../types.ts";

/** Arguments of {@linkcode RouterAttention}. */
export interface RouterAttentionArgs extends LayerArgs {
  /** Learned router tokens per segment. @default 4 */
  routers?: number;
  /** Number of attention heads. @default 2 */
  numHeads?: number;
  /** Size of each head's queries, keys and values. @default 16 */
  keyDim?: number;
  /** Dropout rate on the attention weights while training, in [0, 1). @default 0 */
  dropout?: number;
}

/** The attention weights of one {@linkcode RouterAttention} call. */
export interface RouterAttentionWeights {
  /** Routers attending to the sensors: `[nSegs, numHeads, batch, routers, nChans]`, rows sum to 1. */
  gather: tf.Tensor;
  /** Sensors attending to the routers: `[nSegs, numHeads, batch, nChans, routers]`, rows sum to 1. */
  distribute: tf.Tensor;
}

const PROJECTIONS = [
  "gather_query",
  "gather_key",
  "gather_value",
  "gather_output",
  "distribute_query",
  "distribute_key",
  "distribute_value",
  "distribute_output",
] as const;
type Projection = typeof PROJECTIONS[number];

/**
 * Mixes the sensors of every segment through `routers` learned tokens per segment:
 * 1. gather: the routers of segment `s` attend (multi-head) to the `nChans` sensor tokens of
 *    segment `s` and become a buffer of `routers` tokens;
 * 2. distribute: every sensor token attends to that buffer.
 * Each stage is a full attention (query, key, value and output projections). The attention
 * matrices are `[routers, nChans]` and `[nChans, routers]` per segment and head, so the cost
 * grows with routers x sensors, not sensors^2 (248 sensors: 4 routers are 2 x 4 x 248 scores
 * per segment and head instead of 248 x 248).
 *
 * Input layout `[batch, nChans, nSegs, dModel]`; the output has the input's layout (the
 * distributed tokens, without a residual). Internally the sensor tokens are rearranged once
 * per projection to `[nSegs, numHeads, batch, nChans, keyDim]` so that every product is a
 * batched matMul, and the output once back.
 *
 * Weights, in `getWeights()` order: `routers` `[nSegs, routers, dModel]`, then kernel
 * (`[dModel, numHeads * keyDim]`, output kernels `[numHeads * keyDim, dModel]`) and bias of
 * `gather_query`, `gather_key`, `gather_value`, `gather_output`, `distribute_query`,
 * `distribute_key`, `distribute_value`, `distribute_output`.
 *
 * Serialisable: registered with `tf.serialization.registerClass`.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { RouterAttention } from "./router_attention.ts";
 * import { assertEquals } from "@std/assert";
 *
 * await tf.setBackend("cpu");
 * const layer = new RouterAttention({ routers: 3, numHeads: 2, keyDim: 4 });
 * const tokens = tf.randomNormal([2, 7, 5, 8]); // [batch, nChans, nSegs, dModel]
 * assertEquals((layer.apply(tokens) as tf.Tensor).shape, [2, 7, 5, 8]);
 * const { gather, distribute } = layer.attentionWeights(tokens);
 * assertEquals(gather.shape, [5, 2, 2, 3, 7]); // [nSegs, heads, batch, routers, nChans]
 * assertEquals(distribute.shape, [5, 2, 2, 7, 3]); // [nSegs, heads, batch, nChans, routers]
 * ```
 */
export class RouterAttention extends tfl.layers.Layer {
  /** Name under which the class is registered for serialisation. */
  static className = "RouterAttention";
  /** Learned router tokens per segment. */
  readonly routers: number;
  /** Number of attention heads. */
  readonly numHeads: number;
  /** Size of each head's queries, keys and values. */
  readonly keyDim: number;
  /** Dropout rate on the attention weights while training. */
  readonly dropout: number;
  private routerTokens?: tfl.LayerVariable;
  private kernels: Partial<Record<Projection, tfl.LayerVariable>> = {};
  private biases: Partial<Record<Projection, tfl.LayerVariable>> = {};

  /**
   * Creates a router attention; its weights are made on first use.
   *
   * @param args Layer arguments; see {@linkcode RouterAttentionArgs}.
   * @throws {RangeError} when `routers`, `numHeads` or `keyDim` is not a positive integer or
   * `dropout` is outside [0, 1).
   */
  constructor(args: RouterAttentionArgs = {}) {
    super(args);
    this.routers = layerInt("RouterAttention", "routers", args.routers ?? 4, 1);
    this.numHeads = layerInt("RouterAttention", "numHeads", args.numHeads ?? 2, 1);
    this.keyDim = layerInt("RouterAttention", "keyDim", args.keyDim ?? 16, 1);
    this.dropout = args.dropout ?? 0;
    if (!(this.dropout >= 0 && this.dropout < 1)) {
      throw new RangeError(`RouterAttention: dropout must be in [0, 1), got ${this.dropout}`);
    }
  }

  /** Creates the routers and projections for `[batch, nChans, nSegs, dModel]`. */
  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shape = checkShape(singleShape("RouterAttention", inputShape));
    const nSegs = knownDim("RouterAttention", shape, 2, "number of segments");
    const dModel = knownDim("RouterAttention", shape, 3, "token size");
    const inner = this.numHeads * this.keyDim;
    this.routerTokens = this.addWeight(
      "routers",
      [nSegs, this.routers, dModel],
      "float32",
      tfl.initializers.randomNormal({ mean: 0, stddev: 1 }),
    );
    const glorot = tfl.initializers.glorotUniform({});
    for (const name of PROJECTIONS) {
      const output = name.endsWith("_output");
      this.kernels[name] = this.addWeight(
        `${name}_kernel`,
        output ? [inner, dModel] : [dModel, inner],
        "float32",
        glorot,
      );
      this.biases[name] = this.addWeight(
        `${name}_bias`,
        [output ? dModel : inner],
        "float32",
        tfl.initializers.zeros(),
      );
    }
    this.built = true;
  }

  /** The output has the input's shape. */
  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    return checkShape(singleShape("RouterAttention", inputShape));
  }

  /** Gathers every segment's sensors into its routers and distributes them back. */
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    return tf.tidy(() => this.attend(singleTensor("RouterAttention", inputs), kwargs?.training === true).output);
  }

  /**
   * The attention weights of both stages for `x` (inference mode, no dropout), to inspect
   * which sensors each router reads. Builds the layer if needed; the caller disposes them.
   *
   * @param x Tokens `[batch, nChans, nSegs, dModel]`.
   * @returns The gather and distribute weights; see {@linkcode RouterAttentionWeights}.
   */
  attentionWeights(x: tf.Tensor): RouterAttentionWeights {
    if (!this.built) this.apply(x);
    return tf.tidy(() => {
      const { gather, distribute } = this.attend(x, false);
      return { gather, distribute };
    });
  }

  /** The layer's configuration, merged with the base layer's. */
  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      routers: this.routers,
      numHeads: this.numHeads,
      keyDim: this.keyDim,
      dropout: this.dropout,
    };
  }

  /** `tokens [n, dIn]` projected by `name`: `[n, dOut]`. */
  private project(tokens: tf.Tensor, name: Projection): tf.Tensor {
    return tf.add(tf.matMul(tokens, this.kernels[name]!.read()), this.biases[name]!.read());
  }

  /** Softmax of `scores`, with attention dropout while training. */
  private softmaxWeights(scores: tf.Tensor, training: boolean): tf.Tensor {
    const weights = tf.softmax(scores);
    return training && this.dropout > 0 ? tf.dropout(weights, this.dropout) : weights;
  }

  private attend(x: tf.Tensor, training: boolean): { output: tf.Tensor } & RouterAttentionWeights {
    const [batch, nChans, nSegs, dModel] = checkShape(x.shape);
    const { routers, numHeads, keyDim } = this;
    const groups = nSegs * numHeads * batch;
    const scale = 1 / Math.sqrt(keyDim);
    const tokens = tf.reshape(x, [-1, dModel]); // [batch * nChans * nSegs, dModel]
    // Every rearrangement is a rank-4 transpose: the wasm backend's rank-5 transpose is a slow
    // generic loop (~25x slower on these shapes).
    // [batch, nChans, nSegs * heads, keyDim] -> [nSegs * heads, batch, nChans, keyDim]
    const sensorHeads = (name: Projection) =>
      tf.reshape(
        tf.transpose(tf.reshape(this.project(tokens, name), [batch, nChans, nSegs * numHeads, keyDim]), [2, 0, 1, 3]),
        [groups, nChans, keyDim],
      );
    // gather: routers [nSegs, routers, dModel] -> queries [nSegs * heads, routers, keyDim]
    const routerQueries = tf.reshape(
      tf.transpose(
        tf.reshape(this.project(tf.reshape(this.routerTokens!.read(), [-1, dModel]), "gather_query"), [
          nSegs,
          routers,
          numHeads,
          keyDim,
        ]),
        [0, 2, 1, 3],
      ),
      [nSegs * numHeads, routers, keyDim],
    );
    const keys = tf.reshape(sensorHeads("gather_key"), [nSegs * numHeads, batch * nChans, keyDim]);
    const sensorScores = tf.matMul(tf.mul(keys, scale), routerQueries, false, true); // [segs*heads, batch*nChans, routers]
    const gatherScores = tf.transpose(tf.reshape(sensorScores, [nSegs * numHeads, batch, nChans, routers]), [
      0,
      1,
      3,
      2,
    ]);
    const gather = this.softmaxWeights(tf.reshape(gatherScores, [groups, routers, nChans]), training);
    const gathered = tf.matMul(gather, sensorHeads("gather_value")); // [groups, routers, keyDim]
    // [nSegs, heads, batch * routers, keyDim] -> [nSegs * batch * routers, heads * keyDim]
    const merged = tf.reshape(
      tf.transpose(tf.reshape(gathered, [nSegs, numHeads, batch * routers, keyDim]), [0, 2, 1, 3]),
      [-1, numHeads * keyDim],
    );
    const buffer = this.project(merged, "gather_output"); // [nSegs * batch * routers, dModel]
    // distribute: sensors attend to the buffer; [nSegs, batch * routers, heads, keyDim] -> [groups, routers, keyDim]
    const bufferHeads = (name: Projection) =>
      tf.reshape(
        tf.transpose(tf.reshape(this.project(buffer, name), [nSegs, batch * routers, numHeads, keyDim]), [0, 2, 1, 3]),
        [groups, routers, keyDim],
      );
    const queries = tf.mul(sensorHeads("distribute_query"), scale);
    const distribute = this.softmaxWeights(tf.matMul(queries, bufferHeads("distribute_key"), false, true), training);
    const received = tf.matMul(distribute, bufferHeads("distribute_value")); // [groups, nChans, keyDim]
    // [nSegs * heads, batch, nChans, keyDim] -> [batch, nChans, nSegs * heads, keyDim]
    const back = tf.transpose(tf.reshape(received, [nSegs * numHeads, batch, nChans, keyDim]), [1, 2, 0, 3]);
    const output = this.project(tf.reshape(back, [-1, numHeads * keyDim]), "distribute_output");
    return {
      output: tf.reshape(output, [batch, nChans, nSegs, dModel]),
      gather: tf.reshape(gather, [nSegs, numHeads, batch, routers, nChans]),
      distribute: tf.reshape(distribute, [nSegs, numHeads, batch, nChans, routers]),
    };
  }
}
tf.serialization.registerClass(RouterAttention);

function checkShape<S extends tfl.Shape | number[]>(shape: S): S {
  if (shape.length !== 4) {
    throw new TypeError(`RouterAttention expects [batch, nChans, nSegs, dModel], got shape [${shape.join(", ")}]`);
  }
  return shape;
}
