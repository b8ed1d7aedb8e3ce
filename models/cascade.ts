/**
 * Attention-augmented cascade network (AA-CascadeNet, Abdellaoui et al. 2020, "Deep brain
 * state classification of MEG data"): a small 2-D CNN on every stack of sensor-grid frames,
 * a recurrent layer over the stacks, self-attention and attention pooling over time.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { Random } from "../core/random.ts";
import { AttentionPooling } from "./layers/attention_pooling.ts";
import { BatchToSequence } from "./layers/batch_to_sequence.ts";
import { FilterBankDense } from "./layers/filter_bank_dense.ts";
import { FramesToBatch } from "./layers/frames_to_batch.ts";
import { FusedGru } from "./layers/fused_gru.ts";
import { fuseBatchNormTraining } from "./layers/_fused_batch_norm.ts";
import { fuseDenseTraining } from "./layers/_fused_dense.ts";
import { plainInputDense } from "./layers/_input_dense.ts";
import { LayerNorm } from "./layers/layer_norm.ts";
import { LogEnergy } from "./layers/log_energy.ts";
import { MultiHeadSelfAttention } from "./layers/multi_head_self_attention.ts";
import { SpaceToDepth } from "./layers/space_to_depth.ts";
import { TemporalFilterBank } from "./layers/temporal_filter_bank.ts";
import {
  checkActivation,
  checkBackend,
  checkInt,
  checkOneOf,
  checkOutputs,
  checkProb,
  gridSignal,
  resolveOptions,
} from "./_options.ts";
import { orthogonalMatrix } from "./_orthogonal.ts";
import type { ActivationName, SignalShape } from "./types.ts";

/** Where {@linkcode cascade} can take log energies (`logEnergy`). */
export const CASCADE_LOG_ENERGY = ["none", "frames", "bands"] as const;

/** Recurrent layers {@linkcode cascade} can run over the frame features. */
export const CASCADE_RECURRENT = ["gru", "lstm"] as const;

/** Hyper-parameters of {@linkcode cascade}; every field is optional. */
export interface CascadeOptions {
  /**
   * Frames averaged into one before anything else (1 = none): 2 turns 125 Hz frames into
   * 62.5 Hz ones (a two-sample mean has its zero at 62.5 Hz, so 60 Hz line noise all but
   * vanishes) and halves the frame CNN's work; the last `nTimes mod framePool` frames are
   * dropped.
   * @default 2
   */
  framePool?: number;
  /**
   * A per-sensor temporal filter bank before the frame CNN (EEGNet's temporal convolution on
   * the grid; 0 = none): every grid cell's (pooled) series goes through the same
   * `temporalFilters` learned FIR filters of `temporalKernel` taps ('same' padding, no bias);
   * each frame then has `temporalFilters` band images, and the frame CNN's first stage maps
   * `temporalFilters * frameDepth` band values per cell. Without `temporalNorm` (or `logEnergy` "bands") the filter bank
   * is folded into that stage ({@linkcode FilterBankDense} on stacks with the filters' context,
   * `frameDepth + temporalKernel - 1` frames; the band images are never computed): the same
   * function, at a fraction of the time and memory.
   * @default 0
   */
  temporalFilters?: number;
  /**
   * BatchNorm on the band images of the temporal filter bank (`temporal_batch_norm`, as EEGNet's
   * after its temporal convolution). Off by default: the bands go through linear maps only (the
   * frame CNN's first block convolution) to `stage_1_batch_norm`, which AdaBN re-estimates per
   * subject anyway, and a BatchNorm on `temporalFilters` full-size band images doubles the
   * filter bank's training time and memory (tfjs's BatchNorm gradient keeps several copies).
   * @default false
   */
  temporalNorm?: boolean;
  /**
   * Log energies, `log(1 + x²)` ({@linkcode LogEnergy}), in place of signed filter outputs, so
   * that a gain of a recording (vigilance, source amplitude, head position) becomes an offset:
   * `"frames"` on the frame CNN's first-stage outputs (each a learned spatio-temporal filter over
   * a `blockSize` x `blockSize` block and `frameDepth` frames), before their BatchNorm;
   * `"bands"` on the temporal filter bank's band images (needs `temporalFilters`; the band images
   * are computed, as with `temporalNorm`, and the log energy comes before `temporal_batch_norm`),
   * so the frame CNN sees every cell's log band power. `"none"`: signed values throughout.
   * @default "none"
   */
  logEnergy?: "none" | "frames" | "bands";
  /**
   * Taps of the temporal filters, in pooled frames: 32 at 62.5 Hz (`framePool` 2) span 0.51 s,
   * EEGNet's 64 taps at 128 Hz.
   * @default 32
   */
  temporalKernel?: number;
  /**
   * Consecutive (pooled) frames stacked as the channels of one CNN input (the paper's
   * `depth`); the sequence has `floor(nTimes / framePool / frameDepth)` steps, and frames after
   * the last full stack are dropped. 10 frames of 62.5 Hz are 160 ms (more than a cycle of
   * alpha): 12 steps per 2 s window, so the CNN sees every frame (its first stage learns
   * spatio-temporal filters over 160 ms) while the recurrent layer runs 12 steps, not 250.
   * @default 10
   */
  frameDepth?: number;
  /**
   * Channels of the frame CNN's two stages. A stage is a convolution with kernel = stride =
   * `blockSize` (every `blockSize` x `blockSize` block of cells to one pixel: 20 x 20 -> 10 x 10
   * -> 5 x 5 with the default 2), without bias, then BatchNorm (which makes the model adaptable
   * to a new subject without labels: AdaBN) and the activation.
   * @default [16, 32]
   */
  filters?: [number, number];
  /** Height and width of the blocks each CNN stage merges (its kernel and stride). @default 2 */
  blockSize?: number;
  /** Size of each frame stack's feature vector (a dense layer on the flattened CNN output). @default 64 */
  frameUnits?: number;
  /**
   * BatchNorm on the frame features too (dense without bias -> BatchNorm -> activation), so
   * that AdaBN also re-centres what the recurrent layer sees for a new subject.
   * @default true
   */
  featureNorm?: boolean;
  /** Recurrent layer over the frame features: `"gru"` or `"lstm"` (the paper's). @default "gru" */
  recurrent?: string;
  /** Size of the recurrent layer's state. @default 64 */
  units?: number;
  /**
   * Run the GRU as megflow's fused layer ({@linkcode FusedGru}: the same function, weights and
   * names as tfjs's `GRU`, one op for the whole recurrence); `false` builds tfjs's `GRU` (what
   * the speed-up is measured against). No effect on the LSTM.
   * @default true
   */
  fused?: boolean;
  /**
   * Heads of the self-attention over the time steps (a pre-LayerNorm residual block on the
   * recurrent states); 0 leaves it out.
   * @default 2
   */
  numHeads?: number;
  /** Size of each attention head's queries, keys and values. @default 16 */
  keyDim?: number;
  /** Size of the attention pooling's (global attention's) hidden scoring layer. @default 64 */
  attentionUnits?: number;
  /** Dropout rate after the frame features, the self-attention and before the output layer. @default 0.25 */
  dropProb?: number;
  /** Activation of the frame CNN and its dense layer. @default "elu" */
  activation?: ActivationName;
}

/** The default {@linkcode CascadeOptions}, sized for 2 s at 125 Hz on a 20 x 20 grid. */
export const CASCADE_DEFAULTS: Readonly<Required<CascadeOptions>> = Object.freeze({
  framePool: 2,
  temporalFilters: 0,
  temporalNorm: false,
  logEnergy: "none" as "none" | "frames" | "bands",
  temporalKernel: 32,
  frameDepth: 10,
  filters: [16, 32] as [number, number],
  blockSize: 2,
  frameUnits: 64,
  featureNorm: true,
  recurrent: "gru",
  units: 64,
  fused: true,
  numHeads: 2,
  keyDim: 16,
  attentionUnits: 64,
  dropProb: 0.25,
  activation: "elu",
});

/**
 * Builds an attention-augmented cascade network for sensor-grid frames.
 *
 * Input `[batch, nTimes, gridRows, gridCols]` (frames from `gridSensors`), with
 * `nSteps = floor(floor(nTimes / framePool) / frameDepth)`:
 * 1. mean of every `framePool` frames (when above 1); {@linkcode FramesToBatch}: stacks of
 *    `frameDepth` frames as channels, every stack of every example in the batch axis ->
 *    `[batch * nSteps, gridRows, gridCols, frameDepth]` (without `temporalFilters`, the pooling,
 *    the stacks and stage 1's space-to-depth below are one gather, `frame_stacks`; with
 *    `temporalFilters`: stacks with `temporalKernel - 1` frames of context, stage 1 a {@linkcode FilterBankDense}; with
 *    `temporalNorm` or `logEnergy` "bands" too, {@linkcode TemporalFilterBank}, then {@linkcode LogEnergy}
 *    and / or BatchNorm first, stacks of bands);
 * 2. frame CNN, shared by all stacks (run over the whole batch at once, no per-step loop): two
 *    stages of {@linkcode SpaceToDepth} (`blockSize`) -> dense `filters[i]` without bias (together
 *    a convolution with kernel = stride = `blockSize`) (stage 1 with `logEnergy` "frames": -> {@linkcode LogEnergy})
 *    -> BatchNorm -> activation; flatten; dense
 *    `frameUnits` with the activation (with `featureNorm`: dense without bias -> BatchNorm ->
 *    activation); dropout;
 * 3. {@linkcode BatchToSequence} -> `[batch, nSteps, frameUnits]`; GRU ({@linkcode FusedGru} unless
 *    `fused: false`) or LSTM (`units`, every
 *    step returned) -> `[batch, nSteps, units]`;
 * 4. self-attention over the steps: `x + Dropout(MHSA(LayerNorm(x)))` (skipped when
 *    `numHeads` is 0);
 * 5. {@linkcode AttentionPooling} over the steps (global attention) -> `[batch, units]`;
 *    dropout; dense softmax -> `[batch, nOutputs]`.
 *
 * Where it differs from the paper's network (20 x 21 meshes, three 'same' convolutions, a
 * dense layer per frame, two LSTMs, an attention-augmented first convolution, Luong attention
 * on the last state): strided block convolutions (a tenth of the multiply-adds of 3 x 3
 * convolutions at full resolution, and matMuls on wasm), one recurrent layer, self-attention
 * over time rather than over the mesh, additive attention pooling.
 *
 * @param signal The frame shape: `nTimes`, `gridRows` and `gridCols` are used.
 * @param nOutputs Number of classes.
 * @param options Hyper-parameters; see {@linkcode CascadeOptions} and {@linkcode CASCADE_DEFAULTS}.
 * @returns An uncompiled model whose output is softmax probabilities `[batch, nOutputs]`.
 * @throws {TypeError} for an unknown option, an option of the wrong type, or a signal
 * without `gridRows`/`gridCols`.
 * @throws {RangeError} for a non-positive size, a dropout outside [0, 1), an unknown
 * activation or recurrent layer, fewer than 2 outputs, or `nTimes < framePool * frameDepth`.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { cascade } from "./cascade.ts";
 * import { assertEquals } from "@std/assert";
 *
 * await tf.setBackend("cpu");
 * const model = cascade({ nChans: 64, nTimes: 20, gridRows: 8, gridCols: 8 }, 4, {
 *   frameDepth: 5,
 *   filters: [4, 8],
 *   frameUnits: 8,
 *   units: 8,
 *   keyDim: 4,
 *   attentionUnits: 8,
 * });
 * const probabilities = model.predict(tf.randomNormal([2, 20, 8, 8])) as tf.Tensor;
 * assertEquals(probabilities.shape, [2, 4]);
 * ```
 */
export function cascade(signal: SignalShape, nOutputs: number, options?: CascadeOptions): tfl.LayersModel {
  const [nTimes, gridRows, gridCols] = gridSignal("cascade", signal);
  checkOutputs("cascade", nOutputs);
  const o = resolveOptions<CascadeOptions>("cascade", CASCADE_DEFAULTS, options);
  checkBackend("cascade");
  checkCascadeOptions(o);
  if (nTimes < o.framePool * o.frameDepth) {
    throw new RangeError(
      `Cannot build cascade: nTimes must be at least framePool x frameDepth = ${
        o.framePool * o.frameDepth
      }, got ${nTimes}`,
    );
  }
  const nFrames = Math.floor(nTimes / o.framePool);
  const nSteps = Math.floor(nFrames / o.frameDepth);

  const input = tfl.input({ shape: [nTimes, gridRows, gridCols], name: "frames" });
  let x = input;
  // Without the filter bank, frame pooling, stacks and stage 1's blocks are one gather.
  if (o.framePool > 1 && o.temporalFilters > 0) {
    x = tfl.layers.reshape({ targetShape: [nTimes, gridRows * gridCols], name: "flat_frames" }).apply(
      x,
    ) as tfl.SymbolicTensor;
    x = tfl.layers.averagePooling1d({ poolSize: o.framePool, strides: o.framePool, name: "frame_pool" })
      .apply(x) as tfl.SymbolicTensor;
    x = tfl.layers.reshape({ targetShape: [nFrames, gridRows, gridCols], name: "pooled_frames" })
      .apply(x) as tfl.SymbolicTensor;
  }
  x = frameCnn(frameStacks(x, o), o);
  x = new BatchToSequence({ nSteps, name: "frame_sequence" }).apply(x) as tfl.SymbolicTensor;
  const recurrent = recurrentLayer(o);
  x = recurrent.apply(x) as tfl.SymbolicTensor;
  if (o.numHeads > 0) x = selfAttention(x, o);
  x = new AttentionPooling({ units: o.attentionUnits, name: "attention_pooling" }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.dropout({ rate: o.dropProb, name: "head_dropout" }).apply(x) as tfl.SymbolicTensor;
  const output = fuseDenseTraining(tfl.layers.dense({ units: nOutputs, activation: "softmax", name: "classifier" }))
    .apply(x) as tfl.SymbolicTensor;
  const model = tfl.model({ inputs: input, outputs: output, name: "cascade" });
  const gates = o.recurrent === "lstm" ? 4 : 3;
  const random = new Random(Math.floor(Math.random() * 2 ** 31));
  const orthogonal = tf.tensor2d(orthogonalMatrix(o.units, gates * o.units, random), [o.units, gates * o.units]);
  recurrent.weights[1].write(orthogonal); // [kernel, recurrent_kernel, bias]: assigns a copy
  orthogonal.dispose();
  return model;
}

/**
 * `[batch, nFrames, rows, cols]` -> the frame CNN's input, `[batch * nSteps, rows, cols, channels]`:
 * stacks of `frameDepth` frames; with `temporalFilters` and `temporalNorm` (or `logEnergy` "bands"), stacks of the
 * filter bank's band frames (`temporalFilters * frameDepth` channels); with `temporalFilters`
 * alone, stacks with the filters' context (`frameDepth + temporalKernel - 1` frames), which
 * the first stage's {@linkcode FilterBankDense} filters and maps in one.
 */
function frameStacks(x: tfl.SymbolicTensor, o: Required<CascadeOptions>): tfl.SymbolicTensor {
  if (o.temporalFilters > 0 && !bandImages(o)) {
    const before = Math.floor((o.temporalKernel - 1) / 2);
    const after = o.temporalKernel - 1 - before;
    return new FramesToBatch({ depth: o.frameDepth, before, after, name: "frame_stacks" }).apply(
      x,
    ) as tfl.SymbolicTensor;
  }
  if (o.temporalFilters === 0) {
    const gather = { pool: o.framePool, blockSize: o.blockSize };
    return new FramesToBatch({ depth: o.frameDepth, ...gather, name: "frame_stacks" }).apply(x) as tfl.SymbolicTensor;
  }
  const [rows, cols] = x.shape.slice(2) as number[];
  x = temporalFilterBank(x, o);
  x = new FramesToBatch({ depth: o.frameDepth, name: "frame_stacks" }).apply(x) as tfl.SymbolicTensor;
  return tfl.layers.reshape({ targetShape: [rows, cols, o.temporalFilters * o.frameDepth], name: "band_stacks" })
    .apply(x) as tfl.SymbolicTensor;
}

/**
 * The temporal filter bank on `[batch, nFrames, rows, cols]` (with `temporalNorm` or `logEnergy`
 * "bands"): every cell's series through the same `temporalFilters` FIR filters (`temporal_conv`,
 * 'same', no bias), with `logEnergy` "bands" their log energies (`temporal_log_energy`), with
 * `temporalNorm` BatchNorm (`temporal_batch_norm`) -> `[batch, nFrames, rows, cols * temporalFilters]` (`band_frames`:
 * each cell's bands side by side, so that {@linkcode FramesToBatch} stacks them and the
 * `band_stacks` reshape gives `temporalFilters * frameDepth` channels per cell).
 */
function temporalFilterBank(x: tfl.SymbolicTensor, o: Required<CascadeOptions>): tfl.SymbolicTensor {
  const [nFrames, rows, cols] = x.shape.slice(1) as number[];
  const layers: { apply(x: tfl.SymbolicTensor): unknown }[] = [
    tfl.layers.reshape({ targetShape: [nFrames, rows * cols], name: "cell_series" }),
    new TemporalFilterBank({ filters: o.temporalFilters, kernelSize: o.temporalKernel, name: "temporal_conv" }),
    ...(o.logEnergy === "bands" ? [new LogEnergy({ name: "temporal_log_energy" })] : []),
    ...(o.temporalNorm ? [tfl.layers.batchNormalization({ axis: -1, name: "temporal_batch_norm" })] : []),
    tfl.layers.reshape({ targetShape: [nFrames, rows, cols * o.temporalFilters], name: "band_frames" }),
  ];
  for (const layer of layers) x = layer.apply(x) as tfl.SymbolicTensor;
  return x;
}

/** The recurrent layer over the frame features (`[batch, nSteps, units]`, every step returned). */
function recurrentLayer(o: Required<CascadeOptions>): tfl.layers.Layer {
  if (o.recurrent === "gru" && o.fused) return new FusedGru({ units: o.units, name: "gru" });
  return (o.recurrent === "lstm" ? tfl.layers.lstm : tfl.layers.gru)({
    units: o.units,
    // tfjs' default orthogonal initializer needs tfjs-core's chained ops, which are not
    // loaded here: start from Glorot and overwrite with an orthogonal matrix below.
    recurrentInitializer: "glorotUniform",
    returnSequences: true,
    name: o.recurrent,
  });
}

function checkCascadeOptions(o: Required<CascadeOptions>): void {
  checkInt("cascade", "framePool", o.framePool, 1);
  checkInt("cascade", "frameDepth", o.frameDepth, 1);
  checkInt("cascade", "temporalFilters", o.temporalFilters, 0);
  checkInt("cascade", "temporalKernel", o.temporalKernel, 1);
  o.filters.forEach((n, i) => checkInt("cascade", `filters[${i}]`, n, 1));
  for (const key of ["blockSize", "frameUnits", "units", "keyDim", "attentionUnits"] as const) {
    checkInt("cascade", key, o[key], 1);
  }
  checkInt("cascade", "numHeads", o.numHeads, 0);
  checkProb("cascade", "dropProb", o.dropProb);
  checkActivation("cascade", o.activation);
  checkOneOf("cascade", "logEnergy", o.logEnergy, CASCADE_LOG_ENERGY);
  if (o.logEnergy === "bands" && o.temporalFilters === 0) {
    throw new RangeError('Cannot build cascade: logEnergy "bands" needs temporalFilters > 0');
  }
  checkOneOf("cascade", "recurrent", o.recurrent, CASCADE_RECURRENT);
}

/** Whether the filter bank's band images are computed (`temporalNorm` or log energies of the bands). */
function bandImages(o: Required<CascadeOptions>): boolean {
  return o.temporalNorm || o.logEnergy === "bands";
}

/** The frame CNN: `[n, rows, cols, frameDepth]` -> `[n, frameUnits]`. */
function frameCnn(x: tfl.SymbolicTensor, o: Required<CascadeOptions>): tfl.SymbolicTensor {
  o.filters.forEach((filters, i) => {
    const stage = `stage_${i + 1}`;
    if (i > 0 || o.temporalFilters > 0) { // without the filter bank, stage 1's blocks come from frame_stacks
      x = new SpaceToDepth({ blockSize: o.blockSize, name: `${stage}_blocks` }).apply(x) as tfl.SymbolicTensor;
    }
    const conv = i === 0 && o.temporalFilters > 0 && !bandImages(o)
      ? new FilterBankDense({
        units: filters,
        filters: o.temporalFilters,
        kernelSize: o.temporalKernel,
        depth: o.frameDepth,
        blocks: o.blockSize * o.blockSize,
        name: `${stage}_conv`,
      })
      : tfl.layers.dense({ units: filters, useBias: false, name: `${stage}_conv` });
    // without the filter bank, stage 1 is the first weighted layer: no gradient for its input
    if (i === 0 && o.temporalFilters === 0) plainInputDense(conv);
    else if (i > 0) fuseDenseTraining(conv);
    x = conv.apply(x) as tfl.SymbolicTensor;
    if (i === 0 && o.logEnergy === "frames") {
      x = new LogEnergy({ name: `${stage}_log_energy` }).apply(x) as tfl.SymbolicTensor;
    }
    x = fuseBatchNormTraining(tfl.layers.batchNormalization({ axis: -1, name: `${stage}_batch_norm` }))
      .apply(x) as tfl.SymbolicTensor;
    x = tfl.layers.activation({ activation: o.activation, name: `${stage}_activation` })
      .apply(x) as tfl.SymbolicTensor;
  });
  x = tfl.layers.flatten({ name: "flatten" }).apply(x) as tfl.SymbolicTensor;
  if (o.featureNorm) {
    x = fuseDenseTraining(tfl.layers.dense({ units: o.frameUnits, useBias: false, name: "frame_linear" }))
      .apply(x) as tfl.SymbolicTensor;
    x = fuseBatchNormTraining(tfl.layers.batchNormalization({ axis: -1, name: "frame_batch_norm" }))
      .apply(x) as tfl.SymbolicTensor;
    x = tfl.layers.activation({ activation: o.activation, name: "frame_features" }).apply(x) as tfl.SymbolicTensor;
  } else {
    x = tfl.layers.dense({ units: o.frameUnits, activation: o.activation, name: "frame_features" })
      .apply(x) as tfl.SymbolicTensor;
  }
  return tfl.layers.dropout({ rate: o.dropProb, name: "frame_dropout" }).apply(x) as tfl.SymbolicTensor;
}

/** `x + Dropout(MHSA(LayerNorm(x)))` over the time steps of `[batch, nSteps, units]`. */
function selfAttention(x: tfl.SymbolicTensor, o: Required<CascadeOptions>): tfl.SymbolicTensor {
  let y = new LayerNorm({ name: "attention_norm" }).apply(x) as tfl.SymbolicTensor;
  y = new MultiHeadSelfAttention({ numHeads: o.numHeads, keyDim: o.keyDim, name: "self_attention" })
    .apply(y) as tfl.SymbolicTensor;
  y = tfl.layers.dropout({ rate: o.dropProb, name: "attention_dropout" }).apply(y) as tfl.SymbolicTensor;
  return tfl.layers.add({ name: "attention_residual" }).apply([x, y]) as tfl.SymbolicTensor;
}
