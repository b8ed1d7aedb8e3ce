/**
 * Preprocessing as a list of named, serialisable steps, so a run's config says
 * exactly what was done to the signal and the same list rebuilds the same
 * operator chain.
 *
 * @module
 */
import { type Observable, type OperatorFunction, pipe } from "rxjs";
import { resample } from "../operators/resample.ts";
import { zscore } from "../operators/zscore.ts";
import { minmax } from "../operators/minmax.ts";
import { window } from "../operators/window.ts";
import { gridSensors } from "../operators/grid_sensors.ts";
import { alignmentMatrix, euclideanAlign } from "../operators/euclidean_align.ts";
import { subjectZscore } from "../operators/subject_zscore.ts";
import { augment } from "../operators/augment.ts";
import { bandPower, type FrequencyBand } from "../operators/band_power.ts";
import { fitSubjectStatistics, type SubjectStatistics } from "./fit_subject_statistics.ts";
import { hashSeed } from "../core/random.ts";
import { checkOptions, type OptionRules } from "../core/check_options.ts";
import { readBlocks } from "../sources/read_blocks.ts";
import type { Block, Recording, Window } from "../core/types.ts";

/** Anti-aliased polyphase resampling (see `resample`). */
export interface ResampleStep {
  /** Step name. */
  op: "resample";
  /** Target rate in Hz (integer). */
  toHz: number;
  /** Source rate in Hz. Default: the blocks' rate (2034 for raw recordings). */
  fromHz?: number;
}

/** Per-channel, per-recording z-scoring (see `zscore`). */
export interface ZscoreStep {
  /** Step name. */
  op: "zscore";
  /** "recording" (exact, buffers one resampled recording) or "running". Default: "recording". */
  mode?: "recording" | "running";
}

/** Per-channel, per-recording min-max scaling (see `minmax`). */
export interface MinmaxStep {
  /** Step name. */
  op: "minmax";
  /** "recording" or "running". Default: "recording". */
  mode?: "recording" | "running";
}

/** Cutting fixed-length windows (see `window`). */
export interface WindowStep {
  /** Step name. */
  op: "window";
  /** Window length in seconds. */
  windowSeconds: number;
  /** Stride in seconds. Default: the window length. */
  strideSeconds?: number;
}

/** Sensors to 2-D frames `[nTimes, rows, cols]` (see `gridSensors`). */
export interface GridSensorsStep {
  /** Step name. */
  op: "gridSensors";
  /** Grid rows. Default: 20. */
  rows?: number;
  /** Grid columns. Default: 20. */
  cols?: number;
  /** Empty cells: "zero" or "interpolate". Default: "zero". */
  fill?: "zero" | "interpolate";
}

/**
 * Per-subject Euclidean alignment (see `euclideanAlign`): every sample is
 * multiplied by `R^(-1/2)`, `R` the mean spatial covariance of the subject's
 * recordings after the steps before this one. Needs a first pass over all of
 * the subject's recordings in the recording's folder, test subjects included
 * (their unlabelled test data: transductive; see `fitSubjectStatistics`).
 */
export interface AlignStep {
  /** Step name. */
  op: "align";
  /** Shrinkage of `R` towards a scaled identity (see `alignmentMatrix`). Default: 0.01. */
  shrinkage?: number;
}

/**
 * Per-channel z-scoring with the mean and standard deviation of all of the
 * subject's recordings pooled (see `subjectZscore`), instead of per recording.
 * Needs a first pass over the subject's recordings, like {@linkcode AlignStep}.
 */
export interface SubjectZscoreStep {
  /** Step name. */
  op: "subjectZscore";
}

/**
 * Data augmentation of training windows (see `augment`): active in training
 * epochs only, seeded by the run's seed and the epoch; validation and
 * evaluation pass windows through unchanged. Acts on sensor windows, so it
 * comes after `window` and before `gridSensors`.
 */
export interface AugmentStep {
  /** Step name. */
  op: "augment";
  /** Largest circular time shift in seconds. Default: 0.25. */
  timeShiftSeconds?: number;
  /** Probability of zeroing a sensor in a window. Default: 0.1. */
  sensorDropProb?: number;
  /** Standard deviation of a gain per sensor (`1 + gainStd * N(0, 1)`). Default: 0.05. */
  gainStd?: number;
  /** White noise, relative to each sensor's standard deviation in the window. Default: 0.1. */
  noiseStd?: number;
  /** Rotation of the head under the sensors, standard deviation in radians (Magnes 3600 layout only). Default: 0, off. */
  headRotationStd?: number;
  /** Shift of the head under the sensors, standard deviation in half-widths of the helmet. Default: 0, off. */
  headShiftStd?: number;
  /** Log gain of one random 4-30 Hz band, shared by the sensors (`exp(bandGainStd * N(0, 1))`). Default: 0, off. */
  bandGainStd?: number;
  /** Log gain of the whole window, one for all sensors (`exp(scaleStd * N(0, 1))`). Default: 0, off. */
  scaleStd?: number;
  /** Log time scale of the window, one for all sensors (frequencies times `exp(timeScaleStd * N(0, 1))`). Default: 0, off. */
  timeScaleStd?: number;
}

/**
 * Sensor windows to log band powers `[nChans, nBands]` (see `bandPower`): Welch
 * PSD (Hann, 50 % overlap) integrated over named bands. Comes last, after
 * `augment`; not with `gridSensors`. Models that take band powers (`spectral`)
 * get this step added with its defaults when the config has none.
 */
export interface BandPowerStep {
  /** Step name. */
  op: "bandPower";
  /** Bands `{name, loHz, hiHz}`. Default: delta 1-4, theta 4-8, alpha 8-13, beta 13-30, gamma 30-45 Hz. */
  bands?: FrequencyBand[];
  /** Samples per Welch segment. Default: the power of two nearest one second (128 at 125 Hz), within the window. */
  segmentSamples?: number;
  /** Each band's share of the channel's total over the bands. Default: false. */
  relative?: boolean;
  /** log10 of the power. Default: true. */
  log?: boolean;
}

/** One serialisable preprocessing step. */
export type PreprocessStep =
  | ResampleStep
  | ZscoreStep
  | MinmaxStep
  | WindowStep
  | GridSensorsStep
  | AlignStep
  | SubjectZscoreStep
  | AugmentStep
  | BandPowerStep;

/** A step that acts on blocks (before `window`). */
export type BlockStep = ResampleStep | ZscoreStep | MinmaxStep | AlignStep | SubjectZscoreStep;

/** A step that acts on windows (after `window`). */
export type WindowLevelStep = GridSensorsStep | AugmentStep | BandPowerStep;

/**
 * What the operator chain of a step list may need besides the steps: where the
 * subject-level steps (`align`, `subjectZscore`) read a subject's recordings
 * for their fit, and whether the stream is a training epoch (for `augment`).
 */
export interface PreprocessContext {
  /**
   * The blocks of a recording as the chain receives them (the same reading as
   * the stream's), used by subject-level steps to read the subject's other
   * recordings. Default: `readBlocks(recording)` (raw blocks, all samples).
   */
  read?(recording: Recording): Observable<Block>;
  /** Identity of `read` (reading options as text) for the fit cache. Default: `"raw"`. */
  readKey?: string;
  /**
   * Training epoch (from 1) when the stream feeds training: training-only
   * steps (`augment`) apply. Default: none (validation / evaluation: they pass windows through).
   */
  epoch?: number;
  /** Seed of training-only steps, mixed with the epoch. Default: 0. */
  seed?: number;
}

/**
 * The default chain of megflow: 2034 -> 125 Hz, z-score per channel and
 * recording, 2 s windows every 1 s.
 */
export const DEFAULT_PREPROCESS: readonly PreprocessStep[] = [
  { op: "resample", toHz: 125 },
  { op: "zscore", mode: "recording" },
  { op: "window", windowSeconds: 2, strideSeconds: 1 },
];

const number = { type: "number" } as const;
const normaliseMode = { type: "string", oneOf: ["recording", "running"] } as const;

/** The keys of each step (a typo such as `windowSecond` is refused, not silently ignored). */
const STEP_RULES: Readonly<Record<PreprocessStep["op"], OptionRules>> = {
  resample: { op: { type: "string" }, toHz: number, fromHz: number },
  zscore: { op: { type: "string" }, mode: normaliseMode },
  minmax: { op: { type: "string" }, mode: normaliseMode },
  window: { op: { type: "string" }, windowSeconds: number, strideSeconds: number },
  gridSensors: {
    op: { type: "string" },
    rows: number,
    cols: number,
    fill: { type: "string", oneOf: ["zero", "interpolate"] },
  },
  align: { op: { type: "string" }, shrinkage: number },
  subjectZscore: { op: { type: "string" } },
  bandPower: {
    op: { type: "string" },
    bands: { type: "array" },
    segmentSamples: number,
    relative: { type: "boolean" },
    log: { type: "boolean" },
  },
  augment: {
    op: { type: "string" },
    timeShiftSeconds: number,
    sensorDropProb: number,
    gainStd: number,
    noiseStd: number,
    headRotationStd: number,
    headShiftStd: number,
    bandGainStd: number,
    scaleStd: number,
    timeScaleStd: number,
  },
};

/** The block steps, the window step and the window steps of a chain, checked. */
export interface PreprocessPlan {
  /** Steps that act on blocks, in order (resample, zscore, minmax, align, subjectZscore). */
  blockSteps: BlockStep[];
  /** The one window step. */
  windowStep: WindowStep;
  /** Steps that act on windows, in order (augment, gridSensors). */
  windowSteps: WindowLevelStep[];
}

/**
 * Checks the order of a step list: block steps, then exactly one `window`,
 * then window steps.
 *
 * @param steps The steps.
 * @returns The steps grouped by stage.
 * @throws {TypeError} for an unknown step, a step in the wrong stage, or an unknown key of a step
 *   (naming it and the step's known keys).
 * @throws {RangeError} when there is not exactly one window step.
 *
 * @example
 * ```ts
 * import { DEFAULT_PREPROCESS, planPreprocess } from "./preprocess.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const plan = planPreprocess(DEFAULT_PREPROCESS);
 * assertEquals(plan.blockSteps.map((s) => s.op), ["resample", "zscore"]);
 * assertEquals(plan.windowStep.windowSeconds, 2);
 * ```
 */
export function planPreprocess(steps: readonly PreprocessStep[]): PreprocessPlan {
  const plan: PreprocessPlan = { blockSteps: [], windowStep: undefined!, windowSteps: [] };
  for (const [index, step] of steps.entries()) {
    const where = `step ${index} (${JSON.stringify(step)})`;
    switch (step?.op) {
      case "resample":
      case "zscore":
      case "minmax":
      case "align":
      case "subjectZscore":
        if (plan.windowStep) {
          throw new TypeError(`Cannot preprocess: ${where} acts on blocks and must come before "window"`);
        }
        plan.blockSteps.push(step);
        break;
      case "window":
        if (plan.windowStep) {
          throw new RangeError(`Cannot preprocess: expected exactly one "window" step, got a second at ${where}`);
        }
        plan.windowStep = step;
        break;
      case "gridSensors":
      case "augment":
      case "bandPower":
        checkWindowLevel(plan, where);
        plan.windowSteps.push(step);
        break;
      default:
        throw new TypeError(
          `Cannot preprocess: unknown ${where}; expected op resample, zscore, minmax, subjectZscore, align, window, augment, gridSensors or bandPower`,
        );
    }
  }
  if (!plan.windowStep) throw new RangeError(`Cannot preprocess: expected exactly one "window" step, got none`);
  steps.forEach((step, index) => checkOptions(`preprocess: step ${index} (${step.op})`, step, STEP_RULES[step.op]));
  return plan;
}

/** Throws when a window-level step comes before `window`, or after a step that changed the sensor windows. */
function checkWindowLevel(plan: PreprocessPlan, where: string): void {
  if (!plan.windowStep) {
    throw new TypeError(`Cannot preprocess: ${where} acts on windows and must come after "window"`);
  }
  const reshaped = plan.windowSteps.find((s) => s.op === "gridSensors" || s.op === "bandPower");
  if (reshaped !== undefined) {
    throw new TypeError(
      `Cannot preprocess: ${where} acts on sensor windows [nChans, nTimes] and must come before "${reshaped.op}"`,
    );
  }
}

/**
 * Operator of one block step. Subject-level steps (`align`, `subjectZscore`)
 * fit on the subject's recordings read with `context.read` and preprocessed by
 * `before` (the block steps ahead of this one).
 *
 * @param step The step.
 * @param context Reading for subject-level fits. Default: raw reading.
 * @param before The block steps ahead of `step` in its chain. Default: none.
 * @returns The operator.
 */
export function blockOperator(
  step: BlockStep,
  context: PreprocessContext = {},
  before: readonly BlockStep[] = [],
): OperatorFunction<Block, Block> {
  switch (step.op) {
    case "resample":
      return resample({ toHz: step.toHz, fromHz: step.fromHz });
    case "zscore":
      return zscore({ mode: step.mode });
    case "minmax":
      return minmax({ mode: step.mode });
    case "subjectZscore": {
      const fit = subjectFit(context, before, false);
      return subjectZscore({ momentsOf: async (recording) => (await fit(recording)).moments });
    }
    case "align": {
      const fit = subjectFit(context, before, true);
      const shrinkage = step.shrinkage ?? 0.01;
      alignmentMatrix(Float64Array.of(1), 1, { shrinkage }); // checks the shrinkage now, not mid-stream
      return euclideanAlign({ matrixOf: async (recording) => alignmentOf(await fit(recording), shrinkage) });
    }
  }
}

/** The fit of a subject-level step: statistics of the subject's recordings after the steps before it. */
function subjectFit(
  context: PreprocessContext,
  before: readonly BlockStep[],
  covariance: boolean,
): (recording: Recording) => Promise<SubjectStatistics> {
  const read = context.read ?? ((recording: Recording) => readBlocks(recording));
  const sourceKey = JSON.stringify({ read: context.readKey ?? "raw", before });
  const source = (recording: Recording): Observable<Block> => {
    const ops = before.map((step, i) => blockOperator(step, context, before.slice(0, i)));
    // deno-lint-ignore no-explicit-any
    return (read(recording).pipe as (...fns: OperatorFunction<any, any>[]) => Observable<Block>)(...ops);
  };
  return (recording) => fitSubjectStatistics(recording, { source, sourceKey, covariance });
}

const alignments = new WeakMap<SubjectStatistics, Map<number, Float64Array>>();

/** The alignment matrix of a subject's statistics (computed once per statistics object and shrinkage). */
function alignmentOf(stats: SubjectStatistics, shrinkage: number): Float64Array {
  let byShrinkage = alignments.get(stats);
  if (byShrinkage === undefined) alignments.set(stats, byShrinkage = new Map());
  let matrix = byShrinkage.get(shrinkage);
  if (matrix === undefined) {
    matrix = alignmentMatrix(stats.covariance!, stats.nChans, { shrinkage });
    byShrinkage.set(shrinkage, matrix);
  }
  return matrix;
}

/**
 * Builds the per-recording operator chain `Block -> Window` of a step list.
 * Apply it to the blocks of each recording separately (inside `mergeMap`), so
 * every recording gets its own normalisation state.
 *
 * @param steps The steps (see {@linkcode planPreprocess} for their order).
 * @param context Reading for subject-level steps, training epoch for training-only
 *   steps (see {@linkcode PreprocessContext}). Default: raw reading, not training.
 * @returns The operator.
 * @throws {TypeError | RangeError} as {@linkcode planPreprocess}.
 *
 * @example
 * ```ts
 * import { lastValueFrom, of, toArray } from "rxjs";
 * import { preprocess } from "./preprocess.ts";
 * import type { Block, Recording } from "../core/types.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const recording = { path: "rest_1_1.h5", label: "rest" } as Recording;
 * const data = Float64Array.from({ length: 2 * 4068 }, (_, i) => Math.sin(i));
 * const block: Block = { recording, startSample: 0, sfreq: 2034, nChans: 2, nTimes: 4068, data };
 * const windows = await lastValueFrom(of(block).pipe(
 *   preprocess([{ op: "resample", toHz: 125 }, { op: "zscore" }, { op: "window", windowSeconds: 1 }]),
 *   toArray(),
 * ));
 * assertEquals(windows.map((w) => w.shape), [[2, 125], [2, 125]]);
 * ```
 */
export function preprocess(
  steps: readonly PreprocessStep[],
  context: PreprocessContext = {},
): OperatorFunction<Block, Window> {
  return chainOf(planPreprocess(steps), context);
}

/**
 * Builds the operator chain of a checked plan (see {@linkcode planPreprocess}).
 *
 * @param plan Steps grouped by stage.
 * @param context Reading for subject-level steps, training epoch (see {@linkcode PreprocessContext}).
 * @returns The per-recording operator `Block -> Window`.
 */
export function chainOf(plan: PreprocessPlan, context: PreprocessContext = {}): OperatorFunction<Block, Window> {
  const { windowSeconds, strideSeconds } = plan.windowStep;
  const training = context.epoch !== undefined && context.epoch >= 1;
  // deno-lint-ignore no-explicit-any
  const ops: OperatorFunction<any, any>[] = [
    ...plan.blockSteps.map((step, i) => blockOperator(step, context, plan.blockSteps.slice(0, i))),
    // every block step makes new arrays, which only this chain sees: free each once windowed
    window({ windowSeconds, strideSeconds, release: plan.blockSteps.length > 0 }),
  ];
  for (const step of plan.windowSteps) {
    if (step.op === "gridSensors") ops.push(gridSensors({ rows: step.rows, cols: step.cols, fill: step.fill }));
    else if (step.op === "bandPower") {
      ops.push(
        bandPower({ bands: step.bands, segmentSamples: step.segmentSamples, relative: step.relative, log: step.log }),
      );
    } else if (training) {
      const { op: _, ...strengths } = step;
      ops.push(augment({ ...strengths, seed: hashSeed(context.seed ?? 0, context.epoch!, "augment") }));
    }
  }
  // deno-lint-ignore no-explicit-any
  return (pipe as (...fns: OperatorFunction<any, any>[]) => OperatorFunction<Block, Window>)(...ops);
}
