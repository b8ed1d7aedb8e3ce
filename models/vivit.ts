/**
 * ViViT-style factorised video transformer (Arnab et al. 2021, "ViViT: A Video Vision
 * Transformer", model 2) over MEG sensor-grid frames.
 *
 * @module
 */

import * as tfl from "@tensorflow/tfjs-layers";
import { LayerNorm } from "./layers/layer_norm.ts";
import { MultiHeadSelfAttention } from "./layers/multi_head_self_attention.ts";
import { PositionalEmbedding } from "./layers/positional_embedding.ts";
import { LogEnergy } from "./layers/log_energy.ts";
import { LogMeanPower } from "./layers/log_mean_power.ts";
import { TemporalFilterBank } from "./layers/temporal_filter_bank.ts";
import { TubeletEmbedding } from "./layers/tubelet_embedding.ts";
import { fuseBatchNormTraining } from "./layers/_fused_batch_norm.ts";
import { fuseDenseTraining } from "./layers/_fused_dense.ts";
import { directFilterBank } from "./layers/_direct_filter_bank.ts";
import { fuseLogMeanPowerTraining } from "./layers/_fused_log_mean_power.ts";
import {
  checkActivation,
  checkBackend,
  checkInt,
  checkOutputs,
  checkProb,
  gridSignal,
  resolveOptions,
} from "./_options.ts";
import type { ActivationName, SignalShape } from "./types.ts";

/** Hyper-parameters of {@linkcode vivit}; every field is optional. */
export interface VivitOptions {
  /**
   * Tubelet (patch) size `[time, rows, cols]` in samples and grid cells; must divide
   * `[nTimes, gridRows, gridCols]`. A `rows` or `cols` of 0 means the whole grid extent
   * (`gridRows` or `gridCols`): `[50, 0, 0]` is one whole-grid tubelet per 50 samples on any
   * grid. 50 samples are 0.4 s at 125 Hz and divide windows of 2 or 4 s; 25 samples divide
   * windows of 1, 2, 3 or 4 s. Without `spatialFilters`, e.g. `[25, 10, 10]` cuts a 20 x 20
   * grid into 4 patches per time group (a 16 x 16 grid needs e.g. `[25, 4, 4]` or `[25, 8, 8]`).
   * @default [50, 0, 0]
   */
  tubelet?: [number, number, number];
  /**
   * Temporal filters shared by all cells before the spatial projection (0 = none): the `t`
   * samples of every cell in a tubelet are first projected onto `cellFilters` learned filters
   * (a Dense over time, no bias: EEGNet's temporal convolution evaluated once per tubelet),
   * then BatchNorm (AdaBN re-estimates each filter's scale per unseen subject); the tubelet
   * projection then mixes the `h * w * cellFilters` filter outputs of its cells. A factorised
   * tubelet kernel: `t * cellFilters + h * w * cellFilters * width` weights instead of
   * `t * h * w * width`.
   * @default 8
   */
  cellFilters?: number;
  /**
   * With `cellFilters`: each cell's band power instead of its filter outputs. The cell's `t`
   * samples go through `2 * cellFilters` filters, whose outputs are squared and summed in
   * adjacent pairs (a pair in quadrature measures its band's power whatever the phase) and
   * compressed by `log(1 + x)` ({@linkcode LogEnergy} with `pairs`), then BatchNorm: each token
   * mixes the log band powers of its cells, which a subject's gain only offsets (AdaBN
   * re-estimates the offsets per unseen subject). Use it with `stem: "linear"`.
   * @default false
   */
  cellPower?: boolean;
  /**
   * With `cellFilters`: `cell_filter_norm` normalises every (cell, filter) pair on its own
   * instead of every filter over all cells (a BatchNorm over `cells * cellFilters` features,
   * its scale and offset fixed at 1 and 0: the filters and projections after it absorb them). AdaBN
   * then re-estimates each cell's power in each filter's band for every unseen subject, so
   * the subject's own power map (head placement, source geometry and gains, its own rhythmic
   * sources) is divided out and what differs between its recordings is kept.
   * @default false
   */
  cellNorm?: boolean;
  /**
   * With `cellFilters` (1 = none): every `cellPool x cellPool` block of neighbouring grid cells is
   * averaged before the cell filters (`cell_pool`, an average pooling over the grid), so each
   * frame has `(gridRows / cellPool) x (gridCols / cellPool)` cells and the spatial filters (or the
   * tubelet projection) after them are smooth at that scale. A head placed a little differently
   * (the generated subjects' rotations of about 0.14 rad move the sensors at the helmet's rim by
   * about 1.4 cells of the 20 x 20 grid) then moves a source's field by less than a pooled cell, and
   * the projection has `cellPool²` times fewer weights. The tubelet keeps its size in grid cells;
   * `cellPool` must divide its rows and columns.
   * @default 1
   */
  cellPool?: number;
  /**
   * With `cellFilters` and a whole-grid tubelet (`[t, gridRows, gridCols]`; 0 = none): the
   * cells' filter outputs are first mixed by `spatialFilters` learned spatial filters over all
   * cells (a Dense over the cells, no bias, the same spatial filters for every cell filter:
   * `spatial_filters`), and the tubelet projection then mixes the `cellFilters * spatialFilters`
   * outputs instead of `cells * cellFilters` values. A low-rank tubelet projection
   * (EEGNet's separable order: temporal filters, spatial filters over every sensor, then the
   * mixing): `cells * spatialFilters + cellFilters * spatialFilters * width` weights instead of
   * `cells * cellFilters * width` (for 400 cells, 8 filters, 8 spatial filters and width 64:
   * 7 296 instead of 204 800), fewer ways to fit one recording's cells. A tubelet smaller than the
   * grid needs `spatialFilters: 0`.
   * @default 8
   */
  spatialFilters?: number;
  /**
   * With `spatialFilters`: a BatchNorm (`spatial_filter_norm`) over the `cellFilters * spatialFilters`
   * outputs of the spatial filters, so AdaBN (`adaptBatchNorm`) also re-estimates the scale of
   * every (temporal filter, spatial filter) component per unseen subject: a subject's gain on
   * one component (a source's amplitude, its projection onto a spatial filter after a head
   * rotation) is divided out before the tubelet projection mixes them.
   * @default false
   */
  spatialNorm?: boolean;
  /**
   * With `stem: "energy"` or `"logEnergy"`: a BatchNorm (`energy_norm`) over the `2 * embedDim`
   * (log) energies before they are mixed to `embedDim`, so AdaBN re-estimates each energy's
   * mean and scale per unseen subject (with `"logEnergy"`, a subject's gain on a filter is an
   * offset of its log energy, which this removes exactly).
   * @default false
   */
  energyNorm?: boolean;
  /**
   * With `cellFilters` and `spatialFilters` (0 = none): the cell filters become FIR filters of
   * `cellFilterTaps` taps run over the whole window ({@linkcode TemporalFilterBank}, 'same'
   * padding) after the spatial filters, and every tubelet gets each (spatial filter, cell
   * filter) output's log mean power over its `t` samples ({@linkcode LogMeanPower}), then
   * BatchNorm: EEGNet's temporal and spatial filters, then filter-bank CSP's log band powers,
   * one per pair, as the tubelet's features. Unlike a tubelet's own filter outputs (a single
   * dot product with its `t` samples, `cellFilters` without taps), a mean power does not depend
   * on the phase of the oscillation within the tubelet, and a gain on a recording (vigilance,
   * source amplitude) is an offset of its log. The same filters for every sensor: spatial
   * filtering first is the same function as EEGNet's temporal-then-spatial order (both are
   * linear) at a fraction of the cost. Use it with `stem: "linear"`.
   * @default 0
   */
  cellFilterTaps?: number;
  /** Token size. @default 32 */
  embedDim?: number;
  /** Attention heads per block. @default 2 */
  numHeads?: number;
  /** Size of each head's queries, keys and values. @default 16 */
  keyDim?: number;
  /**
   * Transformer blocks over the patches of each time group (with whole-grid tubelets there is
   * one patch per group: nothing to attend among).
   * @default 0
   */
  spatialDepth?: number;
  /** Transformer blocks over the time groups. @default 2 */
  temporalDepth?: number;
  /** Hidden size of each block's MLP, as a multiple of `embedDim`. @default 2 */
  mlpRatio?: number;
  /** Dropout rate after the embeddings, inside every block and before the output layer. @default 0.1 */
  dropProb?: number;
  /** Dropout rate on the attention weights. @default 0 */
  attentionDropProb?: number;
  /** Activation of the MLPs. @default "gelu" */
  activation?: ActivationName;
  /**
   * How a tubelet becomes a token. `"linear"`: the paper's linear projection to `embedDim`.
   * `"energy"`: a linear projection to `2 * embedDim` filter outputs, squared, then mixed
   * linearly (no bias) to `embedDim`: each token feature is a learned energy (band power of a
   * learned space-time filter), the quantity the classes differ in. `"logEnergy"`: the same with
   * `log(1 + x²)` ({@linkcode LogEnergy}) in place of the square: log powers, in which a
   * subject's gain is an offset (removed by `stemNorm`) instead of a factor.
   * @default "energy"
   */
  stem?: "linear" | "energy" | "logEnergy";
  /**
   * Normalisation of the tubelet tokens before the position embedding: `"batch"` (a BatchNorm
   * over the token features; AdaBN, `adaptBatchNorm`, re-estimates its statistics for every
   * unseen subject without labels) or `"none"`.
   * @default "batch"
   */
  stemNorm?: "batch" | "none";
  /** Activation of the tubelet tokens after `stemNorm` (`"linear"`: none). @default "linear" */
  stemActivation?: ActivationName;
  /**
   * Start the classifier's kernel at zero, so the model starts at the uniform prediction
   * (loss ln nOutputs), as ViT does; false: Glorot-uniform like other Dense layers.
   * @default true
   */
  zeroHead?: boolean;
}

/**
 * The default {@linkcode VivitOptions}: the network `deno task train-cross --model vivit` trains
 * (training/model_recipes.ts, `vivit.cross.modelOptions`, chosen on leave-one-subject-out and
 * holdout validation over several seeds in sessions 15-21, docs/models.md), for 2 s at 125 Hz
 * on any grid (23 460 weights on the 20 x 20 grid). Since session 21 (issue 11: each model
 * with defaults that learn); before, the defaults were a wider network that no recipe trained
 * (`[25, 10, 10]` linear-filter tubelets, no cell or spatial filters, 2 spatial blocks, 64-wide
 * tokens, 4 heads: 463 876 weights, `vivit_wide` in bench/train.ts): about 4x slower per
 * window (553 against 2331 windows/s for the session-18 cross network in session 20's idle
 * bench), below the cross network on leave-one-subject-out validation (session 15: 0.293 /
 * 0.387 against 0.395 / 0.391) and on cv-intra (session 18: 13 against 10 recordings wrong).
 * Each choice:
 * - `spatialFilters` 8 with whole-grid tubelets `[50, 0, 0]` (0: the grid's extent): every
 *   frame's cells mixed by 8 spatial filters (EEGNet's spatial filters, computed first), one
 *   token per 0.4 s (session 17).
 * - `cellFilterTaps` 32 with `cellFilters` 8: each spatial filter's series through 8 shared FIR
 *   filters of 32 taps over the whole window, each output's log mean power per tubelet and
 *   BatchNorm (AdaBN re-estimates it per unseen subject): phase-free log band powers, as EEGNet's
 *   filters and averaged rectified outputs. Across subjects (session 21, six loso runs on seeds
 *   5-7) mean 0.538 against 0.404 for the earlier stem (each cell's 50 tubelet samples through 8
 *   filters, one dot product per tubelet, then squared projections), every run higher.
 * - `stem: "linear"`: the log band powers are already energies; a linear token of them.
 * - `temporalDepth` 2: two transformer blocks over the 5 tokens (loso 0.538 with, 0.541 without,
 *   equal within noise; the blocks are what makes it a video transformer).
 * - `spatialDepth` 0: one token per time group leaves nothing to attend among.
 * - `embedDim` 32 with 2 heads: 64-wide tokens underfitted (session 18).
 * - `zeroHead`: a Glorot classifier reads LayerNorm-ed, unit-variance features, so its logits
 *   start with a standard deviation of ~1.4 and the first epoch's training loss was 1.53-1.58
 *   (above ln 4 = 1.386) in every variant tried; with a zero kernel it starts at 1.387-1.390.
 * - `stemNorm: "batch"`: gives the model a label-free per-subject adaptation (AdaBN).
 *
 * Options that only the earlier stem reads (`cellFilterTaps: 0`): `cellPower`, `cellNorm`,
 * `cellPool`, and `stem: "energy"` (squared filter outputs) or `"logEnergy"`; a tubelet smaller
 * than the grid needs `spatialFilters: 0` and `cellFilterTaps: 0`.
 *
 * The recipes add training settings (lr 3e-3, 45 epochs, stronger augmentation across
 * subjects; within one subject `cellFilters` 4 with `cellPower`, no FIR filters) and write
 * their `modelOptions` out in full, so that their networks do not depend on these defaults.
 */
export const VIVIT_DEFAULTS: Readonly<Required<VivitOptions>> = Object.freeze({
  tubelet: [50, 0, 0] as [number, number, number],
  cellFilters: 8,
  cellPower: false,
  cellNorm: false,
  cellPool: 1,
  spatialFilters: 8,
  spatialNorm: false,
  energyNorm: false,
  cellFilterTaps: 32,
  embedDim: 32,
  numHeads: 2,
  keyDim: 16,
  spatialDepth: 0,
  temporalDepth: 2,
  mlpRatio: 2,
  dropProb: 0.1,
  attentionDropProb: 0,
  activation: "gelu",
  stem: "linear" as "linear" | "energy" | "logEnergy",
  stemNorm: "batch",
  stemActivation: "linear",
  zeroHead: true,
});

/**
 * Builds a factorised-encoder ViViT for sensor-grid frames.
 *
 * Input `[batch, nTimes, gridRows, gridCols]` (frames from `gridSensors`), with tubelet
 * `[t, h, w]`, `nGroups = nTimes / t` and `nPatches = (gridRows / h) * (gridCols / w)`:
 * 1. stem: with `cellFilters` > 0, each cell's `t` samples of every time group projected onto
 *    `cellFilters` shared temporal filters, BatchNorm (with `spatialFilters`, each filter's
 *    outputs over the grid then mixed by shared spatial filters); {@linkcode TubeletEmbedding}
 *    (non-overlapping tubelets, linear projection), for
 *    `stem: "energy"` to `2 * embedDim`, squared and mixed by a Dense without bias ->
 *    `[batch, nGroups, nPatches, embedDim]`; BatchNorm (`stemNorm`); activation
 *    (`stemActivation`); learned spatial {@linkcode PositionalEmbedding} `[nPatches, embedDim]`;
 *    dropout;
 * 2. spatial encoder: `spatialDepth` pre-LayerNorm blocks, attention among the patches of
 *    each time group; LayerNorm; mean over the patches -> `[batch, nGroups, embedDim]`;
 * 3. learned temporal positional embedding `[nGroups, embedDim]`; temporal encoder:
 *    `temporalDepth` blocks over the time groups;
 * 4. head: mean over the time groups -> `[batch, embedDim]`; LayerNorm; dropout; dense
 *    softmax -> `[batch, nOutputs]` (kernel zero with `zeroHead`).
 *
 * A block is `x + Dropout(MHSA(LN(x)))` then `x + Dropout(Dense(Dropout(act(Dense(LN(x))))))`
 * with MLP width `mlpRatio * embedDim`. Ops: matMul, transpose, reshape, softmax, mean,
 * avgPool, erf (gelu): all have wasm kernels.
 *
 * @param signal The frame shape: `nTimes`, `gridRows` and `gridCols` are used.
 * @param nOutputs Number of classes.
 * @param options Hyper-parameters; see {@linkcode VivitOptions} and {@linkcode VIVIT_DEFAULTS}.
 * @returns An uncompiled model whose output is softmax probabilities `[batch, nOutputs]`.
 * @throws {TypeError} for an unknown option, an option of the wrong type, or a signal
 * without `gridRows`/`gridCols`.
 * @throws {RangeError} for a non-positive size, a dropout outside [0, 1), an unknown
 * activation, `stem` or `stemNorm`, fewer than 2 outputs, a tubelet that does not divide
 * the input, or `spatialFilters` with a tubelet smaller than the grid.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { vivit } from "./vivit.ts";
 * import { assertEquals } from "@std/assert";
 *
 * await tf.setBackend("cpu");
 * // the defaults: whole-grid tubelets of 50 samples, here 2 tokens of an 8 x 8 grid
 * const model = vivit({ nChans: 64, nTimes: 100, gridRows: 8, gridCols: 8 }, 4);
 * assertEquals(model.getLayer("tubelet_norm").outputShape, [null, 2, 1, 32]);
 * // 4 patches of 4 x 4 cells per time group: no cell, spatial or FIR filters, attention among the patches
 * const patches = vivit({ nChans: 64, nTimes: 20, gridRows: 8, gridCols: 8 }, 4, {
 *   tubelet: [5, 4, 4],
 *   cellFilters: 0,
 *   spatialFilters: 0,
 *   cellFilterTaps: 0,
 *   spatialDepth: 1,
 *   embedDim: 16,
 *   keyDim: 8,
 * });
 * const probabilities = patches.predict(tf.randomNormal([2, 20, 8, 8])) as tf.Tensor;
 * assertEquals(probabilities.shape, [2, 4]);
 * ```
 */
export function vivit(signal: SignalShape, nOutputs: number, options?: VivitOptions): tfl.LayersModel {
  const [nTimes, gridRows, gridCols] = gridSignal("vivit", signal);
  checkOutputs("vivit", nOutputs);
  const o = resolveOptions<VivitOptions>("vivit", VIVIT_DEFAULTS, options);
  checkBackend("vivit");
  // a tubelet row or column size of 0 is the grid's whole extent (the defaults' whole-grid tubelets)
  o.tubelet.forEach((size, i) => checkInt("vivit", `tubelet[${i}]`, size, i === 0 ? 1 : 0));
  o.tubelet = o.tubelet.map((size, i) => size === 0 ? [nTimes, gridRows, gridCols][i] : size) as [
    number,
    number,
    number,
  ];
  checkScalarOptions(o);
  const [t, h, w] = o.tubelet;
  const names = ["nTimes", "gridRows", "gridCols"];
  [nTimes, gridRows, gridCols].forEach((extent, i) => {
    if (extent % o.tubelet[i] !== 0) {
      throw new RangeError(
        `Cannot build vivit: tubelet [${o.tubelet.join(", ")}] must divide [nTimes, gridRows, gridCols] = [${
          [nTimes, gridRows, gridCols].join(", ")
        }], but ${names[i]} ${extent} is not a multiple of ${o.tubelet[i]}`,
      );
    }
  });
  checkCellFilterOptions(o, gridRows, gridCols);
  const nGroups = nTimes / t;
  const nPatches = (gridRows / h) * (gridCols / w);

  const input = tfl.input({ shape: [nTimes, gridRows, gridCols], name: "frames" });
  let x = stem(input, o);
  if (o.stemNorm === "batch") {
    // one fused op in training, as cell_filter_norm: about 30 kernels fewer per step
    x = fuseBatchNormTraining(tfl.layers.batchNormalization({ axis: -1, name: "tubelet_norm" }))
      .apply(x) as tfl.SymbolicTensor;
  }
  if (o.stemActivation !== "linear") {
    x = tfl.layers.activation({ activation: o.stemActivation, name: "tubelet_activation" })
      .apply(x) as tfl.SymbolicTensor;
  }
  x = new PositionalEmbedding({ name: "spatial_position" }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.dropout({ rate: o.dropProb, name: "embedding_dropout" }).apply(x) as tfl.SymbolicTensor;
  for (let i = 0; i < o.spatialDepth; i++) x = block(x, `spatial_${i}`, o);
  x = new LayerNorm({ name: "spatial_norm" }).apply(x) as tfl.SymbolicTensor;
  // mean over the patches of each group: [batch, nGroups, nPatches, embedDim] -> [batch, nGroups, embedDim]
  x = tfl.layers.averagePooling2d({ poolSize: [1, nPatches], strides: [1, nPatches], name: "patch_mean" })
    .apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.reshape({ targetShape: [nGroups, o.embedDim], name: "group_tokens" }).apply(x) as tfl.SymbolicTensor;
  x = new PositionalEmbedding({ name: "temporal_position" }).apply(x) as tfl.SymbolicTensor;
  for (let i = 0; i < o.temporalDepth; i++) x = block(x, `temporal_${i}`, o);
  x = tfl.layers.globalAveragePooling1d({ name: "group_mean" }).apply(x) as tfl.SymbolicTensor;
  x = new LayerNorm({ name: "head_norm" }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.dropout({ rate: o.dropProb, name: "head_dropout" }).apply(x) as tfl.SymbolicTensor;
  // A zero classifier starts at the uniform prediction (loss ln nOutputs), as in ViT: a random
  // one reads LayerNorm-ed, unit-variance features and starts far above it.
  const output = fuseDenseTraining(tfl.layers.dense({
    units: nOutputs,
    activation: "softmax",
    kernelInitializer: o.zeroHead ? "zeros" : "glorotUniform",
    name: "classifier",
  }))
    .apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: output, name: "vivit" });
}

/** Throws for a size, depth, dropout, activation, `stem` or `stemNorm` out of range (see {@linkcode VivitOptions}). */
function checkScalarOptions(o: Required<VivitOptions>): void {
  for (const key of ["embedDim", "numHeads", "keyDim", "mlpRatio"] as const) checkInt("vivit", key, o[key], 1);
  checkInt("vivit", "cellFilters", o.cellFilters, 0);
  checkInt("vivit", "cellPool", o.cellPool, 1);
  checkInt("vivit", "spatialFilters", o.spatialFilters, 0);
  checkInt("vivit", "cellFilterTaps", o.cellFilterTaps, 0);
  checkInt("vivit", "spatialDepth", o.spatialDepth, 0);
  checkInt("vivit", "temporalDepth", o.temporalDepth, 0);
  checkProb("vivit", "dropProb", o.dropProb);
  checkProb("vivit", "attentionDropProb", o.attentionDropProb);
  checkActivation("vivit", o.activation);
  checkActivation("vivit", o.stemActivation);
  if (o.stem !== "linear" && o.stem !== "energy" && o.stem !== "logEnergy") {
    throw new RangeError(
      `Cannot build vivit: stem must be "linear", "energy" or "logEnergy", got ${JSON.stringify(o.stem)}`,
    );
  }
  if (o.stemNorm !== "batch" && o.stemNorm !== "none") {
    throw new RangeError(`Cannot build vivit: stemNorm must be "batch" or "none", got ${JSON.stringify(o.stemNorm)}`);
  }
}

/** Throws unless `spatialFilters` and `cellFilterTaps` have what they need (see {@linkcode VivitOptions}). */
function checkCellFilterOptions(o: Required<VivitOptions>, gridRows: number, gridCols: number): void {
  const [, h, w] = o.tubelet;
  if (o.spatialFilters > 0 && (o.cellFilters === 0 || h !== gridRows || w !== gridCols)) {
    throw new RangeError(
      `Cannot build vivit: spatialFilters needs cellFilters > 0 and a whole-grid tubelet [t, ${gridRows}, ${gridCols}], ` +
        `got cellFilters ${o.cellFilters} and tubelet [${
          o.tubelet.join(", ")
        }] (a smaller tubelet needs spatialFilters: 0)`,
    );
  }
  if (o.cellFilterTaps > 0 && (o.spatialFilters === 0 || o.cellPower)) {
    throw new RangeError(
      `Cannot build vivit: cellFilterTaps needs spatialFilters > 0 and no cellPower, got spatialFilters ` +
        `${o.spatialFilters} and cellPower ${o.cellPower}`,
    );
  }
  if (o.cellPool > 1 && (o.cellFilters === 0 || o.cellFilterTaps > 0 || h % o.cellPool !== 0 || w % o.cellPool !== 0)) {
    throw new RangeError(
      `Cannot build vivit: cellPool needs cellFilters > 0, no cellFilterTaps and must divide the tubelet's rows and ` +
        `columns, got cellPool ${o.cellPool}, cellFilters ${o.cellFilters}, cellFilterTaps ${o.cellFilterTaps} and ` +
        `tubelet [${o.tubelet.join(", ")}]`,
    );
  }
  if (o.cellNorm && o.cellFilters === 0) {
    throw new RangeError("Cannot build vivit: cellNorm needs cellFilters > 0");
  }
  if (o.spatialNorm && o.spatialFilters === 0) {
    throw new RangeError("Cannot build vivit: spatialNorm needs spatialFilters > 0");
  }
  if (o.energyNorm && o.stem === "linear") {
    throw new RangeError('Cannot build vivit: energyNorm needs stem "energy" or "logEnergy", got "linear"');
  }
}

/** Tubelet tokens: linear (the paper), or (log) energies of learned filters (`stem: "energy"`, `"logEnergy"`). */
function stem(input: tfl.SymbolicTensor, o: Required<VivitOptions>): tfl.SymbolicTensor {
  let tubelet = o.tubelet;
  if (o.cellFilters > 0) {
    if (o.cellPool > 1) {
      // [batch, nTimes, rows, cols] read as channels first: the pooling runs over the grid of every frame
      input = tfl.layers.averagePooling2d({
        poolSize: [o.cellPool, o.cellPool],
        strides: [o.cellPool, o.cellPool],
        dataFormat: "channelsFirst",
        name: "cell_pool",
      }).apply(input) as tfl.SymbolicTensor;
    }
    input = cellFilterOutputs(input, o);
    tubelet = o.spatialFilters > 0
      ? [1, 1, o.cellFilters * o.spatialFilters]
      : [1, o.tubelet[1] / o.cellPool, (o.tubelet[2] / o.cellPool) * o.cellFilters];
  }
  if (o.stem === "linear") {
    return new TubeletEmbedding({ tubelet, embedDim: o.embedDim, name: "tubelet_embedding" })
      .apply(input) as tfl.SymbolicTensor;
  }
  const filtered = new TubeletEmbedding({ tubelet, embedDim: 2 * o.embedDim, name: "tubelet_embedding" })
    .apply(input) as tfl.SymbolicTensor;
  const squared = o.stem === "logEnergy"
    ? new LogEnergy({ name: "tubelet_log_energy" }).apply(filtered) as tfl.SymbolicTensor
    : tfl.layers.multiply({ name: "tubelet_square" }).apply([filtered, filtered]) as tfl.SymbolicTensor;
  const energies = o.energyNorm
    ? tfl.layers.batchNormalization({ axis: -1, name: "energy_norm" }).apply(squared) as tfl.SymbolicTensor
    : squared;
  return fuseDenseTraining(tfl.layers.dense({ units: o.embedDim, useBias: false, name: "tubelet_energy" }))
    .apply(energies) as tfl.SymbolicTensor;
}

/**
 * `cellFilters`: `[batch, nTimes, rows, cols]` -> `[batch, nGroups, rows, cols * cellFilters]`,
 * every cell's `t` samples of each time group projected onto the same filters (`cell_filters`;
 * with `cellPower` twice as many, then their log pair powers, `cell_log_power`), BatchNorm (`cell_filter_norm`, one
 * fused op in training: `layers/_fused_batch_norm.ts`; with `cellNorm` over every (cell, filter) pair, between
 * `cell_filter_flat` and `cell_filter_cells`), each cell's filter outputs side by side (`cell_bands`), so a
 * `[1, h, w * cellFilters]` tubelet holds the filter outputs of `h x w` cells. With
 * `spatialFilters` S instead -> `[batch, nGroups, 1, cellFilters * S]`: every filter's outputs
 * over all cells mixed by the same S spatial filters (`filter_maps`, `spatial_filters`,
 * `spatial_bands`; with `spatialNorm`, then BatchNorm, `spatial_filter_norm`).
 */
function cellFilterOutputs(input: tfl.SymbolicTensor, o: Required<VivitOptions>): tfl.SymbolicTensor {
  const [nTimes, rows, cols] = input.shape.slice(1) as number[];
  const t = o.tubelet[0];
  const layers: { apply(x: tfl.SymbolicTensor): unknown }[] = o.cellFilterTaps > 0 ? bandPowerLayers(input, o) : [
    tfl.layers.reshape({ targetShape: [nTimes / t, t, rows * cols], name: "cell_pieces" }),
    tfl.layers.permute({ dims: [1, 3, 2], name: "cell_series" }),
    fuseDenseTraining(
      tfl.layers.dense({ units: (o.cellPower ? 2 : 1) * o.cellFilters, useBias: false, name: "cell_filters" }),
    ),
    ...(o.cellPower ? [new LogEnergy({ pairs: true, name: "cell_log_power" })] : []),
    ...(o.cellNorm
      ? [
        tfl.layers.reshape({ targetShape: [nTimes / t, rows * cols * o.cellFilters], name: "cell_filter_flat" }),
        // gamma 1 and beta 0, not trained (tfjs cannot train a BatchNorm without them)
        tfl.layers.batchNormalization({ axis: -1, trainable: false, name: "cell_filter_norm" }),
        tfl.layers.reshape({ targetShape: [nTimes / t, rows * cols, o.cellFilters], name: "cell_filter_cells" }),
      ]
      // one op in training (float64 statistics): the stock layer's ~30 kernels over [batch, groups, cells,
      // filters] were about a third of the cross recipe's step
      : [fuseBatchNormTraining(tfl.layers.batchNormalization({ axis: -1, name: "cell_filter_norm" }))]),
    ...(o.spatialFilters > 0
      ? [
        tfl.layers.permute({ dims: [1, 3, 2], name: "filter_maps" }),
        fuseDenseTraining(tfl.layers.dense({ units: o.spatialFilters, useBias: false, name: "spatial_filters" })),
        tfl.layers.reshape({ targetShape: [nTimes / t, 1, o.cellFilters * o.spatialFilters], name: "spatial_bands" }),
        ...(o.spatialNorm ? [tfl.layers.batchNormalization({ axis: -1, name: "spatial_filter_norm" })] : []),
      ]
      : [tfl.layers.reshape({ targetShape: [nTimes / t, rows, cols * o.cellFilters], name: "cell_bands" })]),
  ];
  let x = input;
  for (const layer of layers) x = layer.apply(x) as tfl.SymbolicTensor;
  return x;
}

/**
 * `cellFilterTaps`: `[batch, nTimes, rows, cols]` -> `[batch, nGroups, 1, spatialFilters * cellFilters]`:
 * every frame's cells mixed by the spatial filters (`spatial_filters`), each spatial filter's
 * series through the same `cellFilters` FIR filters (`cell_filters`), each output's log mean
 * power over every tubelet's `t` samples (`cell_log_power`), BatchNorm (`cell_filter_norm`).
 */
function bandPowerLayers(
  input: tfl.SymbolicTensor,
  o: Required<VivitOptions>,
): { apply(x: tfl.SymbolicTensor): unknown }[] {
  const [nTimes, rows, cols] = input.shape.slice(1) as number[];
  const bands = o.spatialFilters * o.cellFilters;
  return [
    tfl.layers.reshape({ targetShape: [nTimes, rows * cols], name: "cell_frames" }),
    tfl.layers.dense({ units: o.spatialFilters, useBias: false, name: "spatial_filters" }),
    // a direct convolution on wasm (the banded product's bits): backends/kernels/fir_filter_bank.ts
    directFilterBank(
      new TemporalFilterBank({ filters: o.cellFilters, kernelSize: o.cellFilterTaps, name: "cell_filters" }),
    ),
    tfl.layers.reshape({ targetShape: [nTimes, bands], name: "filter_series" }),
    // its gradient as one kernel on wasm (tfjs's bits): backends/kernels/log_mean_power_grad.ts
    fuseLogMeanPowerTraining(new LogMeanPower({ pool: o.tubelet[0], name: "cell_log_power" })),
    tfl.layers.batchNormalization({ axis: -1, name: "cell_filter_norm" }),
    tfl.layers.reshape({ targetShape: [nTimes / o.tubelet[0], 1, bands], name: "spatial_bands" }),
  ];
}

/** One pre-LayerNorm transformer block over the second-to-last axis of `x`. */
function block(x: tfl.SymbolicTensor, name: string, o: Required<VivitOptions>): tfl.SymbolicTensor {
  let y = new LayerNorm({ name: `${name}_attention_norm` }).apply(x) as tfl.SymbolicTensor;
  y = new MultiHeadSelfAttention({
    numHeads: o.numHeads,
    keyDim: o.keyDim,
    dropout: o.attentionDropProb,
    name: `${name}_attention`,
  }).apply(y) as tfl.SymbolicTensor;
  y = tfl.layers.dropout({ rate: o.dropProb, name: `${name}_attention_dropout` }).apply(y) as tfl.SymbolicTensor;
  x = tfl.layers.add({ name: `${name}_attention_residual` }).apply([x, y]) as tfl.SymbolicTensor;
  y = new LayerNorm({ name: `${name}_mlp_norm` }).apply(x) as tfl.SymbolicTensor;
  y = fuseDenseTraining(
    tfl.layers.dense({ units: o.mlpRatio * o.embedDim, activation: o.activation, name: `${name}_mlp_hidden` }),
  ).apply(y) as tfl.SymbolicTensor;
  y = tfl.layers.dropout({ rate: o.dropProb, name: `${name}_mlp_dropout` }).apply(y) as tfl.SymbolicTensor;
  y = fuseDenseTraining(tfl.layers.dense({ units: o.embedDim, name: `${name}_mlp_output` })).apply(
    y,
  ) as tfl.SymbolicTensor;
  y = tfl.layers.dropout({ rate: o.dropProb, name: `${name}_mlp_output_dropout` }).apply(y) as tfl.SymbolicTensor;
  return tfl.layers.add({ name: `${name}_mlp_residual` }).apply([x, y]) as tfl.SymbolicTensor;
}
