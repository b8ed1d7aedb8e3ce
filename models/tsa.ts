/**
 * Two-stage-attention transformer classifier (Crossformer, Zhang & Yan 2023, "Crossformer:
 * Transformer Utilizing Cross-Dimension Dependency for Multivariate Time Series Forecasting";
 * the backbone of Brainformer) over MEG sensor windows.
 *
 * @module
 */

import * as tfl from "@tensorflow/tfjs-layers";
import { LayerNorm } from "./layers/layer_norm.ts";
import { LogEnergy } from "./layers/log_energy.ts";
import { LogMeanPower } from "./layers/log_mean_power.ts";
import { PositionalEmbedding } from "./layers/positional_embedding.ts";
import { MultiHeadSelfAttention } from "./layers/multi_head_self_attention.ts";
import { RouterAttention } from "./layers/router_attention.ts";
import { SegmentEmbedding } from "./layers/segment_embedding.ts";
import { SegmentMerging } from "./layers/segment_merging.ts";
import { TemporalFilterBank } from "./layers/temporal_filter_bank.ts";
import {
  channelSignal,
  checkActivation,
  checkBackend,
  checkInt,
  checkOutputs,
  checkProb,
  resolveOptions,
} from "./_options.ts";
import type { ActivationName, SignalShape } from "./types.ts";
import { checkStem, STEM_DEFAULTS, type StemOptions, temporalSpatialStem } from "./_stem.ts";
import { applyConstraints } from "./constraints.ts";

/** How {@linkcode tsa} makes its tokens (see `TsaOptions.embedding`). */
export type TsaEmbedding =
  | "linear"
  | "energy"
  | "logEnergy"
  | "logPower"
  | "bandPower"
  | "logEnergyBands"
  | "sensorPower";

/**
 * Hyper-parameters of {@linkcode tsa}; every field is optional.
 *
 * The `stem*` fields choose the front end (see `StemOptions` in `models/_stem.ts`):
 * `stem: "temporalSpatial"` starts with EEGNet's first block (`stemFilters` 8 temporal
 * band-pass filters of `stemKernLength` 64 samples, `stemDepthMultiplier` 2 spatial filters
 * each, BatchNorm, ELU, average pooling by `stemPool` 5, dropout `stemDropout` 0.25), whose
 * `stemFilters * stemDepthMultiplier` band-power-like series (BatchNorm-adapted per unseen
 * subject by AdaBN) are then the "sensors" the two stages attend across; `segLen` then counts
 * pooled steps (`segLen` 5 at `stemPool` 5: 0.2 s segments at 125 Hz) and must divide
 * `floor(nTimes / stemPool)`. Default `stem: "none"`. Measured on leave-one-subject-out validation
 * (docs/models.md): lr 1e-3, 20 epochs, 0.328 / 0.305 with the stem (both folds), 0.262 without
 * (one fold): within noise, so tsa's recipe does not use it.
 */
export interface TsaOptions extends Partial<StemOptions> {
  /**
   * Size of a learned linear sensor projection applied before the segment embedding (a
   * spatial filter bank, `nChans -> sensorProjection` "virtual sensors", the dimensions the
   * model then attends across); 0 feeds the sensors themselves, as Crossformer does.
   * 32, because 248 sensors x 10 segments are 2480 tokens per window: a batch of 32 took
   * ~16 s per training step on wasm and ~4 GB of memory with `dModel` 32, 2 layers; 32 virtual
   * sensors make it 320 tokens (~8x less), and a learned spatial filter bank is what EEGNet
   * starts with too.
   * @default 32
   */
  sensorProjection?: number;
  /**
   * Samples per segment; must divide `nTimes`. 25 samples are 0.2 s at 125 Hz (one alpha
   * cycle, two beta cycles) and divide windows of 1, 2, 3 or 4 s: a 2 s window gives 10
   * segments per sensor, 2480 tokens for 248 sensors.
   * @default 25
   */
  segLen?: number;
  /**
   * Token size. 32 rather than Crossformer's 64: with 2480 tokens per window every activation
   * is `batch x 2480 x dModel` floats, so time and memory of a training step grow with it.
   * @default 32
   */
  dModel?: number;
  /** Attention heads of both stages. @default 2 */
  numHeads?: number;
  /** Size of each head's queries, keys and values (2 x 16 = `dModel`). @default 16 */
  keyDim?: number;
  /** Two-stage attention layers (1 for speed: a second one costs about half the first again). @default 1 */
  depth?: number;
  /**
   * Router tokens per segment in the cross-sensor stage: they gather from all sensors and the
   * sensors read back from them, so its cost is routers x sensors. Crossformer uses 10 for
   * its many-channel data sets; 4 keep the router stage cheap next to the projections.
   * @default 4
   */
  routers?: number;
  /**
   * Adjacent segments merged into one token before every layer after the first (Crossformer's
   * segment merging; 1: none). 2 halves the tokens of the second layer (10 -> 5 segments).
   * @default 2
   */
  mergeWindow?: number;
  /**
   * How a segment becomes a token. `"linear"`: Crossformer's linear projection of the
   * segment's samples (plus the position, one {@linkcode SegmentEmbedding}). `"energy"`: a
   * projection to `2 * dModel` filter outputs (with bias), squared, then mixed linearly
   * (no bias) to `dModel`, so every token feature is a learned energy (band power of a learned
   * filter of the (virtual) sensor's segment) from the first step, as vivit's energy stem:
   * the classes differ in band power, which the mean of a linear token does not carry until
   * the blocks learn to square it. Measured on leave-one-subject-out validation (docs/models.md):
   * with `embeddingNorm: "batch"` and `segLen` 50, 0.430 / 0.488 on the two left-out subjects
   * against 0.250 / 0.309 for the linear tokens; tsa's cross-subject recipe uses it.
   * `"logEnergy"`: the same with `log(1 + x²)` ({@linkcode LogEnergy}) in place of the square,
   * so every token feature is a mix of log powers: a chunk whose power in a band is `g` times
   * another's (vigilance, source amplitude, head position) differs by an offset of about
   * `log g²` rather than a factor. `"logPower"`: the filter outputs taken in adjacent pairs,
   * `log(1 + a² + b²)` ({@linkcode LogEnergy} with `pairs`, `dModel` log powers), then mixed:
   * a pair that learns a sine and a cosine of one band gives the band's log power whatever the
   * phase of the oscillation within the segment, which one filter's square does not (and a
   * sum of log squares cannot make up for). `"bandPower"`: every (virtual) sensor's series through
   * the same `bandFilters` FIR filters of `bandTaps` taps over the whole window
   * ({@linkcode TemporalFilterBank}, 'same' padding), then each filter output's log mean power
   * over every segment's `segLen` samples ({@linkcode LogMeanPower}, `log(1 + mean(x²))`), mixed
   * without bias to `dModel`: EEGNet's spatial and temporal filters followed by filter-bank CSP's
   * log-variance features, one token per (sensor, segment); phase-free log band powers, in which
   * a chunk's gain is an offset (as cascade's and vivit's intra recipes take them).
   * `"logEnergyBands"`: the `"logEnergy"` features and the `"bandPower"` log band powers side by
   * side (`2 * dModel + bandFilters` per token), mixed without bias to `dModel`. `"sensorPower"`:
   * the log band powers of every SENSOR first, the spatial projection after them: every sensor's
   * segments through `2 * bandFilters` filters (no bias), summed in quadrature pairs,
   * `log(1 + a² + b²)` ({@linkcode LogEnergy} with `pairs`: `bandFilters` phase-free log band
   * powers per sensor and segment), BatchNorm per band, then `sensorProjection` spatial maps (no
   * bias, the same for every band) mix the sensors' log powers into the virtual sensors' tokens
   * of `bandFilters` features, mixed without bias to `dModel` (needs `sensorProjection` > 0 and no
   * `stem`). The other embeddings filter a linear mix of the raw sensors (a CSP-like spatial filter
   * of the signals, whose power a chunk's source-amplitude and head-position changes alter in
   * ways the mix learned on a few chunks can read as class); these map log powers linearly, as
   * the log-band-power logistic regression of synth/README.md (0.88 within one subject) and vivit's
   * intra `cellPower` do, so a chunk's gain on a source is an offset of the inputs of a linear map. Default
   * "linear", so models built or saved without the option are unchanged.
   * @default "linear"
   */
  embedding?: TsaEmbedding;
  /**
   * FIR filters of `embedding: "bandPower"` or `"logEnergyBands"`; quadrature filter pairs (log band
   * powers per sensor) of `"sensorPower"` (ignored otherwise). @default 8
   */
  bandFilters?: number;
  /** Taps of each band filter (32: 0.26 s at 125 Hz; ignored without band powers). @default 32 */
  bandTaps?: number;
  /**
   * Normalisation of the tokens before the position embedding: `"batch"`, a BatchNorm over
   * the token features (over batch, sensors and segments), whose statistics AdaBN
   * (`adaptBatchNorm`) re-estimates for every unseen subject without labels; `"sensorBatch"`,
   * the same with statistics per (virtual) sensor and token feature (over batch and segments),
   * so AdaBN standardises every learned band power of every spatial filter per subject, as
   * per-subject feature standardisation does for band-power features; `"none"`.
   * @default "none"
   */
  embeddingNorm?: "batch" | "sensorBatch" | "none";
  /**
   * Adds an MLP block without LayerNorm to every token right after the embedding
   * (`x + Dense(act(Dense(x)))`, width `mlpRatio * dModel`). Every later block sees its tokens
   * through a LayerNorm, which divides out each token's amplitude; a segment's power (the main
   * difference between the classes, e.g. alpha) then reaches the pooled head only through
   * this rectified, un-normalised path. false: Crossformer's linear embedding alone.
   * @default true
   */
  embedMlp?: boolean;
  /**
   * What the head averages: `"all"`, every token (mean over sensors and segments ->
   * `[dModel]`); `"segments"`, the segments of each sensor, keeping the sensors apart
   * (`[nChans * dModel]` features), so the classifier can weigh each sensor's (or virtual
   * sensor's) tokens differently: with `"all"` a class difference confined to some sensors
   * (posterior alpha) must first be routed by the attention stages.
   * @default "segments"
   */
  headPool?: "all" | "segments";
  /** Hidden size of every MLP, as a multiple of `dModel`. @default 2 */
  mlpRatio?: number;
  /** Dropout rate after the embedding, inside every layer and before the output layer. @default 0.1 */
  dropProb?: number;
  /** Dropout rate on the attention weights. @default 0 */
  attentionDropProb?: number;
  /** Activation of the MLPs. @default "gelu" */
  activation?: ActivationName;
}

/**
 * The default {@linkcode TsaOptions}, sized for 248 sensors, 2 s at 125 Hz (`nTimes` 250)
 * and batches of 32: see each option for its reason.
 */
export const TSA_DEFAULTS: Readonly<Required<TsaOptions>> = Object.freeze({
  sensorProjection: 32,
  segLen: 25,
  dModel: 32,
  numHeads: 2,
  keyDim: 16,
  depth: 1,
  routers: 4,
  mergeWindow: 2,
  embedding: "linear" as TsaEmbedding,
  bandFilters: 8,
  bandTaps: 32,
  embeddingNorm: "none" as "batch" | "sensorBatch" | "none",
  embedMlp: true,
  headPool: "segments" as "all" | "segments",
  mlpRatio: 2,
  dropProb: 0.1,
  attentionDropProb: 0,
  activation: "gelu",
  ...STEM_DEFAULTS,
});

/**
 * Builds a two-stage-attention (Crossformer) classifier for sensor windows.
 *
 * Input `[batch, nChans, nTimes]`; with `nSegs = nTimes / segLen`:
 * 0. with `stem: "temporalSpatial"`, EEGNet's front end first (layers `stem_*`: temporal conv and
 *    depthwise spatial conv as one `TemporalSpatialBlock`, BatchNorm, ELU, average pooling by
 *    `stemPool`, dropout): its `stemFilters * stemDepthMultiplier` series of `nTimes / stemPool`
 *    steps stand for the sensors and samples below. With `sensorProjection` > 0, a linear map of the sensors to that many virtual sensors
 *    (dense over the sensor axis between two permutes), which then stand for the sensors below;
 * 1. {@linkcode SegmentEmbedding}: every segment of `segLen` samples of every sensor projected
 *    to `dModel`, plus a learned position per (sensor, segment) -> `[batch, nChans, nSegs, dModel]`
 *    (`embedding: "energy"`: filtered to `2 * dModel`, squared, mixed to `dModel`; "logEnergy":
 *    `log(1 + x²)` in place of the square; "logPower": `log(1 + a² + b²)` of adjacent pairs; "bandPower":
 *    `bandFilters` FIR filters over the window, each output's log mean power per segment, mixed to `dModel`; "sensorPower":
 *    no projection of the raw sensors in step 0, but every raw sensor's `bandFilters` quadrature log powers per segment,
 *    BatchNorm, mixed over the sensors by the `sensorProjection` spatial maps, then to `dModel`; `embeddingNorm:
 *    "batch"`: a BatchNorm over the token features before the position);
 *    with `embedMlp`, `x + Dense(act(Dense(x)))` on every token (no LayerNorm: keeps amplitude);
 *    dropout;
 * 2. `depth` two-stage layers, each (pre-LayerNorm, as Brainformer):
 *    cross-time: `x + Dropout(MHSA(LN(x)))` over the segments of each sensor, then an MLP block;
 *    cross-sensor: `x + Dropout(RouterAttention(LN(x)))` (routers gather from every sensor of a
 *    segment, the sensors read back), then an MLP block. Before every layer after the first,
 *    {@linkcode SegmentMerging} concatenates `mergeWindow` adjacent segments, LayerNorm, and a
 *    dense layer back to `dModel`;
 * 3. head: mean over the segments of each sensor -> `[batch, nChans * dModel]` (`headPool`
 *    "segments"), or over sensors and segments -> `[batch, dModel]` ("all"); LayerNorm;
 *    dropout; dense softmax -> `[batch, nOutputs]`.
 *
 * An MLP block is `x + Dropout(Dense(Dropout(act(Dense(LN(x))))))` of width `mlpRatio * dModel`.
 * Ops: matMul, batchMatMul, transpose, reshape, softmax, mean, erf (gelu): all have wasm kernels.
 *
 * @param signal The window shape: `nChans` and `nTimes` are used.
 * @param nOutputs Number of classes.
 * @param options Hyper-parameters; see {@linkcode TsaOptions} and {@linkcode TSA_DEFAULTS}.
 * @returns An uncompiled model whose output is softmax probabilities `[batch, nOutputs]`.
 * @throws {TypeError} for an unknown option, an option of the wrong type or a signal without
 * `nChans`.
 * @throws {RangeError} for a non-positive size, a dropout outside [0, 1), an unknown
 * activation or stem, fewer than 2 outputs, or a `segLen` that does not divide `nTimes` (with a
 * stem, `floor(nTimes / stemPool)`).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { tsa } from "./tsa.ts";
 * import { assertEquals } from "@std/assert";
 *
 * await tf.setBackend("cpu");
 * const model = tsa({ nChans: 6, nTimes: 40 }, 4, { segLen: 10, dModel: 8, keyDim: 4 });
 * const probabilities = model.predict(tf.randomNormal([2, 6, 40])) as tf.Tensor;
 * assertEquals(probabilities.shape, [2, 4]);
 * ```
 */
export function tsa(signal: SignalShape, nOutputs: number, options?: TsaOptions): tfl.LayersModel {
  const [nChans, nTimes] = channelSignal("tsa", signal);
  checkOutputs("tsa", nOutputs);
  const o = resolveOptions<TsaOptions>("tsa", TSA_DEFAULTS, options);
  checkBackend("tsa");
  checkTsaOptions(o, nTimes);
  const input = tfl.input({ shape: [nChans, nTimes], name: "windows" });
  let x: tfl.SymbolicTensor = input;
  if (o.embedding !== "sensorPower" && (o.stem === "temporalSpatial" || o.sensorProjection > 0)) {
    x = o.stem === "temporalSpatial"
      ? temporalSpatialStem(x, o)
      : tfl.layers.permute({ dims: [2, 1], name: "time_major" }).apply(x) as tfl.SymbolicTensor;
    if (o.sensorProjection > 0) {
      x = tfl.layers.dense({ units: o.sensorProjection, useBias: false, name: "sensor_projection" })
        .apply(x) as tfl.SymbolicTensor;
    }
    x = tfl.layers.permute({ dims: [2, 1], name: "sensor_major" }).apply(x) as tfl.SymbolicTensor;
  }
  x = embed(x, o);
  if (o.embedMlp) {
    let y = tfl.layers.dense({ units: o.mlpRatio * o.dModel, activation: o.activation, name: "embedding_mlp_hidden" })
      .apply(x) as tfl.SymbolicTensor;
    y = tfl.layers.dense({ units: o.dModel, name: "embedding_mlp_output" }).apply(y) as tfl.SymbolicTensor;
    x = tfl.layers.add({ name: "embedding_mlp_residual" }).apply([x, y]) as tfl.SymbolicTensor;
  }
  x = tfl.layers.dropout({ rate: o.dropProb, name: "embedding_dropout" }).apply(x) as tfl.SymbolicTensor;
  for (let i = 0; i < o.depth; i++) {
    if (i > 0 && o.mergeWindow > 1) x = merge(x, `merge_${i}`, o);
    x = twoStageLayer(x, `tsa_${i}`, o);
  }
  const [nSensors, nSegs] = [x.shape[1] as number, x.shape[2] as number];
  if (o.headPool === "all") {
    x = tfl.layers.reshape({ targetShape: [nSensors * nSegs, o.dModel], name: "tokens" }).apply(
      x,
    ) as tfl.SymbolicTensor;
    x = tfl.layers.globalAveragePooling1d({ name: "token_mean" }).apply(x) as tfl.SymbolicTensor;
  } else {
    // mean over the segments of each sensor: [batch, nChans, nSegs, dModel] -> [batch, nChans, 1, dModel]
    x = tfl.layers.averagePooling2d({ poolSize: [1, nSegs], strides: [1, nSegs], name: "segment_mean" })
      .apply(x) as tfl.SymbolicTensor;
    x = tfl.layers.flatten({ name: "sensor_features" }).apply(x) as tfl.SymbolicTensor;
  }
  x = new LayerNorm({ name: "head_norm" }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.dropout({ rate: o.dropProb, name: "head_dropout" }).apply(x) as tfl.SymbolicTensor;
  const output = tfl.layers.dense({ units: nOutputs, activation: "softmax", name: "classifier" })
    .apply(x) as tfl.SymbolicTensor;
  const model = tfl.model({ inputs: input, outputs: output, name: "tsa" });
  applyConstraints(model); // the stem's max-norm spatial filters
  return model;
}

/** Throws for a non-positive size, a bad rate, activation, head or stem, or a segLen that does not divide the steps. */
function checkTsaOptions(o: Required<TsaOptions>, nTimes: number): void {
  for (
    const key of [
      "segLen",
      "dModel",
      "numHeads",
      "keyDim",
      "depth",
      "routers",
      "mergeWindow",
      "mlpRatio",
      "bandFilters",
      "bandTaps",
    ] as const
  ) {
    checkInt("tsa", key, o[key], 1);
  }
  checkInt("tsa", "sensorProjection", o.sensorProjection, 0);
  checkProb("tsa", "dropProb", o.dropProb);
  checkProb("tsa", "attentionDropProb", o.attentionDropProb);
  checkActivation("tsa", o.activation);
  checkStem("tsa", o, nTimes);
  if (
    !["linear", "energy", "logEnergy", "logPower", "bandPower", "logEnergyBands", "sensorPower"].includes(o.embedding)
  ) {
    throw new RangeError(
      `Cannot build tsa: embedding must be "linear", "energy", "logEnergy", "logPower", "bandPower", "logEnergyBands" or "sensorPower", got "${o.embedding}"`,
    );
  }
  if (o.embedding === "sensorPower" && (o.sensorProjection === 0 || o.stem !== "none")) {
    throw new RangeError(
      `Cannot build tsa: embedding "sensorPower" needs sensorProjection > 0 and stem "none", got sensorProjection ${o.sensorProjection} and stem "${o.stem}"`,
    );
  }
  if (!["batch", "sensorBatch", "none"].includes(o.embeddingNorm)) {
    throw new RangeError(
      `Cannot build tsa: embeddingNorm must be "batch", "sensorBatch" or "none", got "${o.embeddingNorm}"`,
    );
  }
  if (o.headPool !== "all" && o.headPool !== "segments") {
    throw new RangeError(`Cannot build tsa: headPool must be "all" or "segments", got "${o.headPool}"`);
  }
  const steps = o.stem === "none" ? nTimes : Math.floor(nTimes / o.stemPool);
  if (steps % o.segLen !== 0) {
    const what = o.stem === "none" ? `nTimes ${nTimes}` : `nTimes / stemPool (${nTimes} / ${o.stemPool} = ${steps})`;
    throw new RangeError(
      `Cannot build tsa: segLen must divide nTimes, but ${what} is not a multiple of segLen ${o.segLen}`,
    );
  }
}

/**
 * `[batch, nChans, nTimes]` -> tokens `[batch, nChans, nSegs, dModel]`. Linear without a norm:
 * one {@linkcode SegmentEmbedding} (projection + position). Otherwise the segments (a reshape
 * to `[nChans, nSegs, segLen]`, `segments`) are projected by `segment_projection` (linear) or
 * filtered to `2 * dModel`, squared (or, "logEnergy", `log(1 + x²)`; "logPower", `log(1 + a² + b²)`
 * of adjacent pairs) and mixed without bias (`segment_filters`, `segment_square`,
 * `segment_log_energy` or `segment_log_power`, `segment_energy`); BatchNorm (`segment_norm`) with `embeddingNorm`
 * "batch"; then a learned position per (sensor, segment) (`segment_position`).
 */
function embed(x: tfl.SymbolicTensor, o: Required<TsaOptions>): tfl.SymbolicTensor {
  if (o.embedding === "linear" && o.embeddingNorm === "none") {
    return new SegmentEmbedding({ segLen: o.segLen, dModel: o.dModel, name: "segment_embedding" })
      .apply(x) as tfl.SymbolicTensor;
  }
  const nSegs = (x.shape[2] as number) / o.segLen;
  const nChans = o.embedding === "sensorPower" ? o.sensorProjection : x.shape[1] as number;
  const apply = (layer: { apply(x: tfl.SymbolicTensor): unknown }) => x = layer.apply(x) as tfl.SymbolicTensor;
  const series = x;
  if (o.embedding === "sensorPower") {
    x = sensorPowers(series, o);
    apply(tfl.layers.dense({ units: o.dModel, useBias: false, name: "segment_energy" }));
  } else if (o.embedding === "bandPower") {
    x = bandPowers(series, o);
    apply(tfl.layers.dense({ units: o.dModel, useBias: false, name: "segment_energy" }));
  } else if (o.embedding === "linear") {
    apply(tfl.layers.reshape({ targetShape: [nChans, nSegs, o.segLen], name: "segments" }));
    apply(tfl.layers.dense({ units: o.dModel, name: "segment_projection" }));
  } else {
    apply(tfl.layers.reshape({ targetShape: [nChans, nSegs, o.segLen], name: "segments" }));
    apply(tfl.layers.dense({ units: 2 * o.dModel, name: "segment_filters" }));
    x = o.embedding === "logEnergy" || o.embedding === "logEnergyBands"
      ? new LogEnergy({ name: "segment_log_energy" }).apply(x) as tfl.SymbolicTensor
      : o.embedding === "logPower"
      ? new LogEnergy({ pairs: true, name: "segment_log_power" }).apply(x) as tfl.SymbolicTensor
      : tfl.layers.multiply({ name: "segment_square" }).apply([x, x]) as tfl.SymbolicTensor;
    if (o.embedding === "logEnergyBands") {
      x = tfl.layers.concatenate({ axis: -1, name: "segment_log_bands" }).apply([
        x,
        bandPowers(series, o),
      ]) as tfl.SymbolicTensor;
    }
    apply(tfl.layers.dense({ units: o.dModel, useBias: false, name: "segment_energy" }));
  }
  if (o.embeddingNorm === "batch") apply(tfl.layers.batchNormalization({ axis: -1, name: "segment_norm" }));
  if (o.embeddingNorm === "sensorBatch") sensorBatchNorm(apply, nChans, nSegs, o.dModel);
  // a position per (sensor, segment): the embedding table of the flattened tokens
  apply(tfl.layers.reshape({ targetShape: [nChans * nSegs, o.dModel], name: "segment_tokens" }));
  apply(new PositionalEmbedding({ name: "segment_position" }));
  return apply(tfl.layers.reshape({ targetShape: [nChans, nSegs, o.dModel], name: "segment_grid" }));
}

/**
 * `embedding: "bandPower"` or `"logEnergyBands"`: `[nChans, nTimes]` -> `[nChans, nSegs, bandFilters]`:
 * time-major (`band_time_major`), every sensor's series through the filter bank (`band_filters`,
 * `[nTimes, nChans, bandFilters]`, flattened by `band_series`), the log mean power of every
 * series over every segment (`band_log_power`, `[nSegs, nChans * bandFilters]`), and back to
 * sensor-major tokens (`band_tokens`, `band_sensor_major`).
 */
function bandPowers(x: tfl.SymbolicTensor, o: Required<TsaOptions>): tfl.SymbolicTensor {
  const [nChans, nTimes] = [x.shape[1] as number, x.shape[2] as number];
  const [nSegs, f] = [nTimes / o.segLen, o.bandFilters];
  const layers: { apply(x: tfl.SymbolicTensor): unknown }[] = [
    tfl.layers.permute({ dims: [2, 1], name: "band_time_major" }),
    new TemporalFilterBank({ filters: f, kernelSize: o.bandTaps, name: "band_filters" }),
    tfl.layers.reshape({ targetShape: [nTimes, nChans * f], name: "band_series" }),
    new LogMeanPower({ pool: o.segLen, name: "band_log_power" }),
    tfl.layers.reshape({ targetShape: [nSegs, nChans, f], name: "band_tokens" }),
    tfl.layers.permute({ dims: [2, 1, 3], name: "band_sensor_major" }),
  ];
  for (const layer of layers) x = layer.apply(x) as tfl.SymbolicTensor;
  return x;
}

/**
 * `embedding: "sensorPower"`: `[nChans, nTimes]` (the raw sensors) -> `[sensorProjection, nSegs, bandFilters]`:
 * every sensor's segments (`segments`) through `2 * bandFilters` filters without bias
 * (`sensor_power_filters`), their quadrature-pair log powers (`sensor_log_power`), BatchNorm per band
 * (`sensor_power_norm`), bands first (`sensor_power_maps`, `[nSegs, bandFilters, nChans]`), the
 * spatial maps over the sensors (`sensor_projection`, no bias) and back to virtual-sensor-major
 * tokens (`sensor_power_tokens`).
 */
function sensorPowers(x: tfl.SymbolicTensor, o: Required<TsaOptions>): tfl.SymbolicTensor {
  const [nChans, nTimes] = [x.shape[1] as number, x.shape[2] as number];
  const layers: { apply(x: tfl.SymbolicTensor): unknown }[] = [
    tfl.layers.reshape({ targetShape: [nChans, nTimes / o.segLen, o.segLen], name: "segments" }),
    tfl.layers.dense({ units: 2 * o.bandFilters, useBias: false, name: "sensor_power_filters" }),
    new LogEnergy({ pairs: true, name: "sensor_log_power" }),
    tfl.layers.batchNormalization({ axis: -1, name: "sensor_power_norm" }),
    tfl.layers.permute({ dims: [2, 3, 1], name: "sensor_power_maps" }),
    tfl.layers.dense({ units: o.sensorProjection, useBias: false, name: "sensor_projection" }),
    tfl.layers.permute({ dims: [3, 1, 2], name: "sensor_power_tokens" }),
  ];
  for (const layer of layers) x = layer.apply(x) as tfl.SymbolicTensor;
  return x;
}

/**
 * A BatchNorm per (sensor, token feature), over batch and segments: `[nChans, nSegs, dModel]`
 * -> segments first (`segment_major`), `[nSegs, nChans * dModel]` (`segment_rows`), BatchNorm
 * (`segment_norm`), and back (`segment_columns`, `sensor_major_tokens`).
 */
function sensorBatchNorm(
  apply: (layer: { apply(x: tfl.SymbolicTensor): unknown }) => tfl.SymbolicTensor,
  nChans: number,
  nSegs: number,
  dModel: number,
): void {
  apply(tfl.layers.permute({ dims: [2, 1, 3], name: "segment_major" }));
  apply(tfl.layers.reshape({ targetShape: [nSegs, nChans * dModel], name: "segment_rows" }));
  apply(tfl.layers.batchNormalization({ axis: -1, name: "segment_norm" }));
  apply(tfl.layers.reshape({ targetShape: [nSegs, nChans, dModel], name: "segment_columns" }));
  apply(tfl.layers.permute({ dims: [2, 1, 3], name: "sensor_major_tokens" }));
}

/** One two-stage layer: cross-time attention + MLP, then cross-sensor router attention + MLP. */
function twoStageLayer(x: tfl.SymbolicTensor, name: string, o: Required<TsaOptions>): tfl.SymbolicTensor {
  let y = new LayerNorm({ name: `${name}_time_norm` }).apply(x) as tfl.SymbolicTensor;
  y = new MultiHeadSelfAttention({
    numHeads: o.numHeads,
    keyDim: o.keyDim,
    dropout: o.attentionDropProb,
    name: `${name}_time_attention`,
  }).apply(y) as tfl.SymbolicTensor;
  x = residual(x, y, `${name}_time_attention`, o);
  x = mlp(x, `${name}_time`, o);
  y = new LayerNorm({ name: `${name}_sensor_norm` }).apply(x) as tfl.SymbolicTensor;
  y = new RouterAttention({
    routers: o.routers,
    numHeads: o.numHeads,
    keyDim: o.keyDim,
    dropout: o.attentionDropProb,
    name: `${name}_sensor_attention`,
  }).apply(y) as tfl.SymbolicTensor;
  x = residual(x, y, `${name}_sensor_attention`, o);
  return mlp(x, `${name}_sensor`, o);
}

/** `x + Dropout(y)`. */
function residual(x: tfl.SymbolicTensor, y: tfl.SymbolicTensor, name: string, o: Required<TsaOptions>) {
  y = tfl.layers.dropout({ rate: o.dropProb, name: `${name}_dropout` }).apply(y) as tfl.SymbolicTensor;
  return tfl.layers.add({ name: `${name}_residual` }).apply([x, y]) as tfl.SymbolicTensor;
}

/** A pre-LayerNorm MLP block with its residual. */
function mlp(x: tfl.SymbolicTensor, name: string, o: Required<TsaOptions>): tfl.SymbolicTensor {
  let y = new LayerNorm({ name: `${name}_mlp_norm` }).apply(x) as tfl.SymbolicTensor;
  y = tfl.layers.dense({ units: o.mlpRatio * o.dModel, activation: o.activation, name: `${name}_mlp_hidden` })
    .apply(y) as tfl.SymbolicTensor;
  y = tfl.layers.dropout({ rate: o.dropProb, name: `${name}_mlp_hidden_dropout` }).apply(y) as tfl.SymbolicTensor;
  y = tfl.layers.dense({ units: o.dModel, name: `${name}_mlp_output` }).apply(y) as tfl.SymbolicTensor;
  return residual(x, y, `${name}_mlp`, o);
}

/** Crossformer's segment merging: concatenate adjacent segments, LayerNorm, dense to `dModel`. */
function merge(x: tfl.SymbolicTensor, name: string, o: Required<TsaOptions>): tfl.SymbolicTensor {
  x = new SegmentMerging({ window: o.mergeWindow, name }).apply(x) as tfl.SymbolicTensor;
  x = new LayerNorm({ name: `${name}_norm` }).apply(x) as tfl.SymbolicTensor;
  return tfl.layers.dense({ units: o.dModel, name: `${name}_projection` }).apply(x) as tfl.SymbolicTensor;
}
