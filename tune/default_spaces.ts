/**
 * The default search space of each registered model: the learning rate, the
 * window length and a few of the model's own hyper-parameters, kept small
 * enough for a random search of about 8 trials.
 *
 * @module
 */
import type { SearchSpace } from "./search_space.ts";

/**
 * Default search spaces by model name (`--space` replaces them).
 *
 * @example
 * ```ts
 * import { DEFAULT_SPACES } from "./default_spaces.ts";
 * import { MODELS } from "../models/registry.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(Object.keys(DEFAULT_SPACES), Object.keys(MODELS)); // one per registered model
 * ```
 */
export const DEFAULT_SPACES: Readonly<Record<string, SearchSpace>> = {
  cnn: {
    learningRate: { logUniform: [3e-4, 3e-3], steps: 3 },
    dropProb: { uniform: [0.1, 0.5], steps: 3 },
    temporalFilters: { choice: [4, 8, 16] },
    kernLength: { choice: [32, 64] },
    windowSeconds: { choice: [1, 2] },
  },
  gru: {
    learningRate: { logUniform: [3e-4, 3e-3], steps: 3 },
    dropProb: { uniform: [0.1, 0.5], steps: 3 },
    units: { choice: [32, 64] },
    poolSize: { choice: [2, 4] },
    projectionDropout: { choice: [0, 0.3] }, // the recipe's 0.3 raised validation 0.56 -> 0.66 (with weight decay, mixup)
    windowSeconds: { choice: [1, 2] },
  },
  // vivit's recipes cut 50-sample tubelets over the whole grid (one spatial token: no
  // spatialDepth to search) and train at 3e-3; windows of 1 s (125 samples) do not divide.
  vivit: {
    learningRate: { logUniform: [1e-3, 9e-3], steps: 3 },
    dropProb: { uniform: [0, 0.3], steps: 3 },
    embedDim: { choice: [32, 64] },
    temporalDepth: { int: [1, 2] },
    windowSeconds: { choice: [2, 4] },
  },
  spectral: {
    learningRate: { logUniform: [3e-4, 3e-3], steps: 3 },
    dropProb: { uniform: [0.1, 0.5], steps: 3 },
    hiddenUnits: { choice: [0, 32, 64] },
    l2: { choice: [0.0001, 0.001, 0.01] },
    windowSeconds: { choice: [1, 2] },
  },
  cascade: {
    learningRate: { logUniform: [1e-3, 3e-3], steps: 3 },
    dropProb: { uniform: [0.1, 0.5], steps: 3 },
    frameDepth: { choice: [5, 10] },
    units: { choice: [32, 64] },
    windowSeconds: { choice: [1, 2] },
  },
  tsa: {
    learningRate: { logUniform: [3e-4, 3e-3], steps: 3 },
    dropProb: { uniform: [0, 0.3], steps: 3 },
    sensorProjection: { choice: [16, 32] },
    depth: { int: [1, 2] },
    // The cross recipe's 50-sample segments do not divide 1 s windows (125 samples).
    windowSeconds: { choice: [2, 4] },
  },
};
