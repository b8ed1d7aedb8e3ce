/**
 * The known options of every operator, for `checkOptions` (core/check_options.ts): an
 * unknown key (a typo such as `resample({ to: 100 })`) or a value of the wrong type is
 * refused at once. Ranges are checked by each operator itself.
 *
 * @module
 */
import type { OptionRules } from "../core/check_options.ts";

const num = { type: "number" } as const;
const mode = { type: "string" } as const;

/** Options of each operator (and of its pure function), by the name its messages use. */
export const OPERATOR_OPTIONS = {
  resample: { fromHz: num, toHz: num },
  resamplePoly: { nChans: num },
  window: {
    windowSamples: num,
    windowSeconds: num,
    strideSamples: num,
    strideSeconds: num,
    release: { type: "boolean" },
  },
  zscore: { mode, epsilon: num },
  minmax: { mode, range: { type: "array" } },
  augment: {
    seed: num,
    timeShiftSeconds: num,
    sensorDropProb: num,
    gainStd: num,
    noiseStd: num,
    headRotationStd: num,
    headShiftStd: num,
    bandGainStd: num,
    timeScaleStd: num,
    scaleStd: num,
  },
  batch: { dropRemainder: { type: "boolean" } },
  shuffle: { bufferSize: num, seed: num },
  shuffleIntoBatches: { bufferSize: num, seed: num, dropRemainder: { type: "boolean" }, release: { type: "boolean" } },
  gridSensors: {
    rows: num,
    cols: num,
    layout: { type: "object" },
    fill: { type: "string" },
    neighbours: num,
  },
  gridShape: { rows: num, cols: num },
  euclideanAlign: { matrixOf: { type: "function" } },
  alignmentMatrix: { shrinkage: num },
  subjectZscore: { momentsOf: { type: "function" }, epsilon: num },
  mixup: { alpha: num, seed: num },
  bandPower: { bands: { type: "array" }, segmentSamples: num, relative: { type: "boolean" }, log: { type: "boolean" } },
} as const satisfies Record<string, OptionRules>;
