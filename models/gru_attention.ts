/**
 * Recurrent model: optional sensor projection, GRU over time, learned attention pooling.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { Random } from "../core/random.ts";
import { AttentionPooling } from "./layers/attention_pooling.ts";
import { FUSED_ACTIVATIONS, type FusedActivation, FusedGru } from "./layers/fused_gru.ts";
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
import { checkStem, STEM_DEFAULTS, type StemOptions, temporalSpatialStem } from "./_stem.ts";
import { applyConstraints } from "./constraints.ts";
import type { ActivationName, SignalShape } from "./types.ts";

/**
 * Hyper-parameters of {@linkcode gruAttention}; every field is optional.
 *
 * The `stem*` fields choose the front end (see `StemOptions` in `models/_stem.ts`):
 * `stem: "temporalSpatial"` starts with EEGNet's first block (`stemFilters` 8 temporal
 * band-pass filters of `stemKernLength` 64 samples, `stemDepthMultiplier` 2 spatial filters
 * each, BatchNorm, ELU, average pooling by `stemPool` 5, dropout `stemDropout` 0.25) instead of
 * raw samples, so the GRU runs over `stemFilters * stemDepthMultiplier` band-power-like
 * features whose BatchNorms AdaBN re-estimates per unseen subject. Default `stem: "none"`.
 * Measured on leave-one-subject-out validation (docs/models.md): with the stem, without per-subject
 * alignment, lr 1e-3 and 20 epochs the left-out subject reached 0.449 / 0.453 (both folds), the
 * same without the stem 0.258, the earlier recipe 0.27-0.32; gru's recipe uses it.
 */
export interface GruAttentionOptions extends Partial<StemOptions> {
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
   * BatchNorm over the projected features (statistics per projection unit over batch and
   * time). Besides steadying training, it gives the model per-subject statistics that AdaBN
   * (`adaptBatchNorm`) re-estimates on an unseen subject's windows, labels unused. Needs
   * `projectionUnits > 0`.
   * @default false
   */
  projectionNorm?: boolean;
  /** Dropout rate on the projected features (every time step), before the GRU. @default 0 */
  projectionDropout?: number;
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
  /**
   * Run the GRU as megflow's fused layer ({@linkcode FusedGru}: the same function, weights and
   * gradients as tfjs's `GRU`, several times faster to train); `false` builds tfjs's `GRU`
   * (what the speed-up is measured against). Activations the fused layer does not compute
   * (see `FUSED_ACTIVATIONS`) always get tfjs's `GRU`.
   * @default true
   */
  fused?: boolean;
}

/** The default {@linkcode GruAttentionOptions}. */
export const GRU_ATTENTION_DEFAULTS: Readonly<Required<GruAttentionOptions>> = Object.freeze({
  units: 64,
  projectionUnits: 64,
  projectionNorm: false,
  projectionDropout: 0,
  poolSize: 2,
  attentionUnits: 64,
  dropProb: 0.25,
  activation: "tanh",
  fused: true,
  ...STEM_DEFAULTS,
});

/**
 * Builds a GRU with attention pooling over time for sensor windows.
 *
 * Input `[batch, nChans, nTimes]` (channel-major windows), then:
 * 1. permute to `[batch, nTimes, nChans]` (sensors as features of each time step); or, with
 *    `stem: "temporalSpatial"`, EEGNet's front end instead (layers `stem_*`): temporal conv and
 *    depthwise spatial conv as one `TemporalSpatialBlock`, BatchNorm, ELU, average pooling by
 *    `stemPool`, dropout -> `[batch, nTimes / stemPool, stemFilters * stemDepthMultiplier]`
 *    (these features stand for the sensors below);
 * 2. average pooling over time by `poolSize` (stride `poolSize`) -> `[batch, nSteps, nChans]`;
 * 3. dense projection over the sensor axis -> `[batch, nSteps, projectionUnits]` (skipped when 0),
 *    then optionally BatchNorm (`projectionNorm`) and dropout (`projectionDropout`);
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
 * activation, an unknown stem, fewer than 2 outputs, or fewer time steps than `poolSize`.
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
  checkGruOptions(o, nTimes);
  const input = tfl.input({ shape: [nChans, nTimes], name: "signal" });
  let x = o.stem === "temporalSpatial"
    ? temporalSpatialStem(input, o)
    : tfl.layers.permute({ dims: [2, 1], name: "time_major" }).apply(input) as tfl.SymbolicTensor;
  if (o.poolSize > 1) {
    x = tfl.layers.averagePooling1d({ poolSize: o.poolSize, strides: o.poolSize, name: "time_pool" })
      .apply(x) as tfl.SymbolicTensor;
  }
  if (o.projectionUnits > 0) x = projection(x, o);
  const gru = gruLayer(o.units, o.activation, o.fused);
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
  applyConstraints(model); // the stem's max-norm spatial filters
  return model;
}

/** Throws for a non-positive size, a bad rate, activation or stem, or too few time steps to pool. */
function checkGruOptions(o: Required<GruAttentionOptions>, nTimes: number): void {
  checkInt("gru", "units", o.units, 1);
  checkInt("gru", "projectionUnits", o.projectionUnits, 0);
  checkInt("gru", "poolSize", o.poolSize, 1);
  checkInt("gru", "attentionUnits", o.attentionUnits, 1);
  checkProb("gru", "dropProb", o.dropProb);
  checkProb("gru", "projectionDropout", o.projectionDropout);
  if (o.projectionUnits === 0 && (o.projectionNorm || o.projectionDropout > 0)) {
    throw new RangeError("Cannot build gru: projectionNorm and projectionDropout need projectionUnits > 0");
  }
  checkActivation("gru", o.activation);
  checkStem("gru", o, nTimes);
  const steps = o.stem === "none" ? nTimes : Math.floor(nTimes / o.stemPool);
  if (steps < o.poolSize) {
    const what = o.stem === "none" ? "nTimes" : `nTimes / stemPool (${nTimes} / ${o.stemPool})`;
    throw new RangeError(`Cannot build gru: ${what} must be at least poolSize = ${o.poolSize}, got ${steps}`);
  }
}

/** Step 3: the dense projection, with its optional BatchNorm and dropout. */
function projection(x: tfl.SymbolicTensor, o: Required<GruAttentionOptions>): tfl.SymbolicTensor {
  x = tfl.layers.dense({ units: o.projectionUnits, name: "sensor_projection" }).apply(x) as tfl.SymbolicTensor;
  if (o.projectionNorm) {
    x = tfl.layers.batchNormalization({ axis: -1, name: "projection_norm" }).apply(x) as tfl.SymbolicTensor;
  }
  if (o.projectionDropout > 0) {
    x = tfl.layers.dropout({ rate: o.projectionDropout, name: "projection_dropout" }).apply(x) as tfl.SymbolicTensor;
  }
  return x;
}

/**
 * The GRU layer: the fused one ({@linkcode FusedGru}, same function and weights as tfjs's
 * `GRU`, ~3x faster to train) for the activations it fuses, else tfjs's `GRU`.
 */
function gruLayer(units: number, activation: ActivationName, fused: boolean): tfl.layers.Layer {
  if (fused && (FUSED_ACTIVATIONS as readonly string[]).includes(activation)) {
    return new FusedGru({ units, activation: activation as FusedActivation, name: "gru" });
  }
  // tfjs' default orthogonal recurrent initializer needs tfjs-core's chained ops, which
  // are not loaded here: start from Glorot; the caller overwrites it with an orthogonal matrix.
  return tfl.layers.gru({
    units,
    activation,
    recurrentInitializer: "glorotUniform",
    returnSequences: true,
    name: "gru",
  });
}
