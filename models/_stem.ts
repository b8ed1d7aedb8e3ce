/**
 * EEGNet's front end as an optional stem of the sequence models (`gru`, `tsa`): the same
 * {@linkcode TemporalSpatialBlock} EEGNet starts with, then BatchNorm, ELU, average pooling
 * and dropout, reshaped to a sequence of feature vectors for the model's own sequence part.
 *
 * @module
 */

import * as tfl from "@tensorflow/tfjs-layers";
import { checkInt, checkProb } from "./_options.ts";
import { TemporalSpatialBlock } from "./layers/temporal_spatial_block.ts";

/** The front ends a sequence model can start with. */
export type StemKind = "none" | "temporalSpatial";

/** The stem options shared by `gru` and `tsa` (each model documents them on its own options). */
export interface StemOptions {
  /**
   * `"none"`: the model's own start on raw samples. `"temporalSpatial"`: EEGNet's front end
   * (temporal convolution = learned band-pass filters, depthwise spatial filters per band,
   * BatchNorm, ELU, average pooling = band power envelopes), whose BatchNorms AdaBN re-estimates
   * per unseen subject.
   */
  stem: StemKind;
  /** Temporal filters of the stem (EEGNet's F1). */
  stemFilters: number;
  /** Spatial filters per temporal filter (EEGNet's D); the stem gives `stemFilters * stemDepthMultiplier` features. */
  stemDepthMultiplier: number;
  /** Temporal kernel length in samples (EEGNet: 64, half a second at 128 Hz). */
  stemKernLength: number;
  /** Average-pooling factor over time after the ELU (250 samples at 125 Hz / 5 = 50 steps at 25 Hz). */
  stemPool: number;
  /** Dropout rate after the pooling. */
  stemDropout: number;
}

/** The stem defaults: off, and EEGNet-8,2's first block when turned on. */
export const STEM_DEFAULTS: Readonly<StemOptions> = Object.freeze({
  stem: "none" as StemKind,
  stemFilters: 8,
  stemDepthMultiplier: 2,
  stemKernLength: 64,
  stemPool: 5,
  stemDropout: 0.25,
});

/** Throws for an unknown stem kind, a non-positive size, a bad dropout or windows shorter than the pooling. */
export function checkStem(model: string, o: StemOptions, nTimes: number): void {
  if (o.stem !== "none" && o.stem !== "temporalSpatial") {
    throw new RangeError(`Cannot build ${model}: stem must be "none" or "temporalSpatial", got "${o.stem}"`);
  }
  for (const key of ["stemFilters", "stemDepthMultiplier", "stemKernLength", "stemPool"] as const) {
    checkInt(model, key, o[key], 1);
  }
  checkProb(model, "stemDropout", o.stemDropout);
  if (o.stem !== "none" && nTimes < o.stemPool) {
    throw new RangeError(`Cannot build ${model}: nTimes must be at least stemPool = ${o.stemPool}, got ${nTimes}`);
  }
}

/**
 * The temporal-spatial stem on `[batch, nChans, nTimes]`: {@linkcode TemporalSpatialBlock}
 * (layer `stem_temporal_spatial`; temporal conv, BatchNorm, depthwise spatial conv, max norm 1),
 * BatchNorm (`stem_bn`, momentum 0.9), ELU, average pooling by `stemPool` (`stem_pool`), dropout,
 * reshaped to time-major steps `[batch, floor(nTimes / stemPool), stemFilters * stemDepthMultiplier]`
 * (`stem_steps`). The caller runs `applyConstraints` on the built model (max norm).
 */
export function temporalSpatialStem(input: tfl.SymbolicTensor, o: StemOptions): tfl.SymbolicTensor {
  const nTimes = input.shape[2] as number;
  const features = o.stemFilters * o.stemDepthMultiplier;
  const steps = Math.floor(nTimes / o.stemPool);
  const layers: { apply(x: tfl.SymbolicTensor): unknown }[] = [
    new TemporalSpatialBlock({
      filters: o.stemFilters,
      kernLength: o.stemKernLength,
      depthMultiplier: o.stemDepthMultiplier,
      momentum: 0.9,
      spatialMaxNorm: 1,
      name: "stem_temporal_spatial",
    }),
    tfl.layers.batchNormalization({ axis: -1, momentum: 0.9, name: "stem_bn" }),
    tfl.layers.activation({ activation: "elu", name: "stem_activation" }),
    tfl.layers.averagePooling2d({ poolSize: [1, o.stemPool], strides: [1, o.stemPool], name: "stem_pool" }),
    tfl.layers.dropout({ rate: o.stemDropout, name: "stem_dropout" }),
    tfl.layers.reshape({ targetShape: [steps, features], name: "stem_steps" }),
  ];
  let x = input;
  for (const layer of layers) x = layer.apply(x) as tfl.SymbolicTensor;
  return x;
}
