/**
 * Recurrent model: optional sensor projection, GRU over time, learned attention pooling.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { Random } from "../core/random.ts";
import { AttentionPooling } from "./layers/attention_pooling.ts";
import {
  channelSignal,
  checkActivation,
  checkBackend,
  checkInt,
  checkOutputs,
  checkProb,
  resolveOptions,
} from "./_options.ts";
import { orthogonalMatrix } from "./_orthogonal.ts";
import type { ActivationName, SignalShape } from "./types.ts";

/** Hyper-parameters of {@linkcode gruAttention}; every field is optional. */
export interface GruAttentionOptions {
  /** Size of the GRU's hidden state. @default 64 */
  units?: number;
  /**
   * Size of the linear sensor projection applied to every time step before the GRU
   * (a learned spatial filter bank, `nChans -> projectionUnits`); 0 feeds the sensors
   * to the GRU directly.
   * @default 64
   */
  projectionUnits?: number;
  /**
   * Temporal average-pooling factor before the GRU (1 = none); 2 turns 250 time steps
   * into 125, halving the sequential recurrent steps per window.
   * @default 2
   */
  poolSize?: number;
  /** Size of the attention pooling's hidden scoring layer. @default 64 */
  attentionUnits?: number;
  /** Dropout rate on the pooled GRU state, before the output layer. @default 0.25 */
  dropProb?: number;
  /** Activation of the GRU's candidate state. @default "tanh" */
  activation?: ActivationName;
}

/** The default {@linkcode GruAttentionOptions}. */
export const GRU_ATTENTION_DEFAULTS: Readonly<Required<GruAttentionOptions>> = Object.freeze({
  units: 64,
  projectionUnits: 64,
  poolSize: 2,
  attentionUnits: 64,
  dropProb: 0.25,
  activation: "tanh",
});

/**
 * Builds a GRU with attention pooling over time for sensor windows.
 *
 * Input `[batch, nChans, nTimes]` (channel-major windows), then:
 * 1. permute to `[batch, nTimes, nChans]` (sensors as features of each time step);
 * 2. average pooling over time by `poolSize` (stride `poolSize`) -> `[batch, nTimes / poolSize, nChans]`;
 * 3. dense projection over the sensor axis -> `[batch, nSteps, projectionUnits]` (skipped when 0);
 * 4. GRU, `units`, all steps returned -> `[batch, nSteps, units]`;
 * 5. {@linkcode AttentionPooling} over the steps -> `[batch, units]`;
 * 6. dropout, dense softmax -> `[batch, nOutputs]`.
 *
 * @param signal The window shape: `nChans` and `nTimes` are used.
 * @param nOutputs Number of classes.
 * @param options Hyper-parameters; see {@linkcode GruAttentionOptions} and
 * {@linkcode GRU_ATTENTION_DEFAULTS}.
 * @returns An uncompiled model whose output is softmax probabilities `[batch, nOutputs]`.
 * @throws {TypeError} for an unknown option or an option of the wrong type.
 * @throws {RangeError} for a non-positive size, a dropout outside [0, 1), an unknown
 * activation, fewer than 2 outputs, or `nTimes < poolSize`.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { gruAttention } from "./gru_attention.ts";
 * import { assertEquals } from "@std/assert";
 *
 * await tf.setBackend("cpu");
 * const model = gruAttention({ nChans: 12, nTimes: 20 }, 4, { units: 8, projectionUnits: 6 });
 * const probabilities = model.predict(tf.randomNormal([2, 12, 20])) as tf.Tensor;
 * assertEquals(probabilities.shape, [2, 4]);
 * ```
 */
export function gruAttention(signal: SignalShape, nOutputs: number, options?: GruAttentionOptions): tfl.LayersModel {
  const [nChans, nTimes] = channelSignal("gru", signal);
  checkOutputs("gru", nOutputs);
  const o = resolveOptions<GruAttentionOptions>("gru", GRU_ATTENTION_DEFAULTS, options);
  checkBackend("gru");
  checkInt("gru", "units", o.units, 1);
  checkInt("gru", "projectionUnits", o.projectionUnits, 0);
  checkInt("gru", "poolSize", o.poolSize, 1);
  checkInt("gru", "attentionUnits", o.attentionUnits, 1);
  checkProb("gru", "dropProb", o.dropProb);
  checkActivation("gru", o.activation);
  if (nTimes < o.poolSize) {
    throw new RangeError(`Cannot build gru: nTimes must be at least poolSize = ${o.poolSize}, got ${nTimes}`);
  }

  const input = tfl.input({ shape: [nChans, nTimes], name: "signal" });
  let x = tfl.layers.permute({ dims: [2, 1], name: "time_major" }).apply(input) as tfl.SymbolicTensor;
  if (o.poolSize > 1) {
    x = tfl.layers.averagePooling1d({ poolSize: o.poolSize, strides: o.poolSize, name: "time_pool" })
      .apply(x) as tfl.SymbolicTensor;
  }
  if (o.projectionUnits > 0) {
    x = tfl.layers.dense({ units: o.projectionUnits, name: "sensor_projection" }).apply(x) as tfl.SymbolicTensor;
  }
  // tfjs' default orthogonal recurrent initializer needs tfjs-core's chained ops, which
  // are not loaded here: start from Glorot and overwrite with an orthogonal matrix below.
  const gru = tfl.layers.gru({
    units: o.units,
    activation: o.activation,
    recurrentInitializer: "glorotUniform",
    returnSequences: true,
    name: "gru",
  });
  x = gru.apply(x) as tfl.SymbolicTensor;
  x = new AttentionPooling({ units: o.attentionUnits, name: "attention_pooling" }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.dropout({ rate: o.dropProb, name: "dropout" }).apply(x) as tfl.SymbolicTensor;
  const output = tfl.layers.dense({ units: nOutputs, activation: "softmax", name: "classifier" })
    .apply(x) as tfl.SymbolicTensor;
  const model = tfl.model({ inputs: input, outputs: output, name: "gru" });
  const random = new Random(Math.floor(Math.random() * 2 ** 31));
  const orthogonal = tf.tensor2d(orthogonalMatrix(o.units, 3 * o.units, random), [o.units, 3 * o.units]);
  gru.weights[1].write(orthogonal); // [kernel, recurrent_kernel, bias]: assigns a copy
  orthogonal.dispose();
  return model;
}
