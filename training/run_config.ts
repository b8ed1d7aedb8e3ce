/**
 * The complete, serialisable description of a training run: what `config.json`
 * holds, what `--config FILE` and the command-line flags fill in, and what a
 * run is reproduced from.
 *
 * @module
 */
import type { LearningRateSchedule } from "./fit.ts";
import type { PreprocessStep } from "../pipeline/preprocess.ts";
import type { BackendChoice } from "../backends/backend.ts";
import { checkRunConfig } from "./check_run_config.ts";
import { MODEL_RECIPES, recipeSettings } from "./model_recipes.ts";
import type { TestTimeAdaptation } from "./adapt_entropy.ts";

/** Everything a training run depends on. */
export interface RunConfig {
  /** "cross" (train on Cross/train, test on unseen subjects) or "intra" (one subject). */
  task: "cross" | "intra";
  /** Dataset root holding `Intra/` and/or `Cross/`. */
  data: string;
  /** Registered model name (`cnn`, `gru`, `vivit`). */
  model: string;
  /** Model hyper-parameters overriding the model's defaults. */
  modelOptions: Record<string, unknown>;
  /** Maximum number of epochs. */
  epochs: number;
  /** Windows per batch. */
  batchSize: number;
  /** Peak learning rate of Adam. */
  learningRate: number;
  /** Learning-rate schedule. */
  schedule: LearningRateSchedule;
  /** Epochs of linear warm-up. */
  warmupEpochs: number;
  /** Early stopping: epochs without better validation accuracy. */
  patience: number;
  /** Seed of weights, recording order, shuffling and hold-out choice. */
  seed: number;
  /** tfjs backend. */
  backend: BackendChoice;
  /** Preprocessing steps, in order (a `gridSensors` step is added for grid models). */
  preprocess: PreprocessStep[];
  /** Shuffle buffer in windows. */
  shuffleBuffer: number;
  /** Recordings read at once (1 keeps runs repeatable: the window order then does not depend on I/O timing). */
  concurrency: number;
  /** Folders to train on, relative to `data`. */
  trainSplits: string[];
  /**
   * Where the validation that chooses (early stopping, best epoch, search trials) comes from:
   * `"holdout"` (`holdoutChunks` recordings per subject and class of the training folders),
   * `"loso"` / `"loso:SUBJECT"` (one training subject left out) or `"splits"` (the folders
   * of `validationSplits`). See `training/validation_plan.ts`. A config.json without it
   * (older runs) means `"splits"` when `validationSplits` lists folders, else `"holdout"`.
   */
  validation: string;
  /** The folders that validate when `validation` is `"splits"`; empty otherwise. */
  validationSplits: string[];
  /** Recordings per class and subject held out of training when `validation` is `"holdout"` (0: no validation). */
  holdoutChunks: number;
  /**
   * Folders evaluated at the end with the best model. A folder that also validates is
   * reported with the role `validation`, never as a test split.
   */
  testSplits: string[];
  /** Use only the first N samples of every recording (quick runs); null: all. */
  maxSamples: number | null;
  /** Cache of resampled recordings; null: no cache. */
  cacheDir: string | null;
  /**
   * Evaluate (and validate) each subject with BatchNorm statistics of that subject's own
   * windows (AdaBN, see `adaptBatchNorm`); labels are not used. No effect on models without
   * BatchNorm.
   */
  adaptBatchNorm: boolean;
  /**
   * Mixup of training batches (see `mixup`): the `alpha` of its Beta(alpha, alpha) mixing
   * weight, e.g. 0.2; 0: off. Validation and test windows are never mixed.
   */
  mixupAlpha: number;
  /**
   * Label smoothing of the training loss (see `trainStep`): targets
   * `(1 - labelSmoothing) * oneHot + labelSmoothing / nClasses`, e.g. 0.1; 0: off. Validation
   * and evaluation losses use the plain labels. A config.json without it (older runs) means 0.
   */
  labelSmoothing: number;
  /**
   * Decoupled weight decay (AdamW, see `training/weight_decay.ts`): each step multiplies every
   * kernel by `1 - lr * weightDecay`, `lr` that epoch's learning rate; biases, norm gains and
   * offsets and embeddings do not decay. E.g. 0.05; 0: off (plain Adam). A config.json without it
   * means 0.
   */
  weightDecay: number;
  /**
   * Label-free adaptation of each validated and tested subject after training (and after AdaBN):
   * `"entropy"` takes a few Adam steps of the normalisation gains and offsets (LayerNorm, and
   * BatchNorm's after AdaBN) minimising the mean prediction entropy on the subject's own windows
   * (TENT, see `adaptEntropy`), restored after the subject: the per-subject adaptation of models
   * with LayerNorm, which AdaBN cannot adapt. `"none"`: off. A config.json without it means
   * `"none"`.
   */
  testTimeAdaptation: TestTimeAdaptation;
  /**
   * An exponential moving average of the weights over epochs (see `WeightAverage`): after each
   * epoch `average = weightAverage * average + (1 - weightAverage) * weights`; validation (best
   * epoch, early stopping) and the saved model use the average, training goes on from the
   * trained weights. In [0, 1), e.g. 0.7; 0: off. A config.json without it means 0.
   */
  weightAverage: number;
}

/**
 * Defaults shared by both tasks: EEGNet, 125 Hz, z-score per recording, 2 s windows every
 * 1 s, augmentation of training windows, Adam 1e-3 with cosine decay over at most 30 epochs
 * (patience 10), BatchNorm statistics adapted to each evaluated subject. Measured on the
 * generated cross-subject data against 15 epochs without augmentation and adaptation, under
 * the old protocol (test1 + test2 validated, so only test3 is an untouched test split): test3
 * 0.24 -> 0.34 per window; test1 0.62 -> 0.73 and test2 0.30 -> 0.49 were validation numbers
 * (docs/accuracy.md). To be re-measured on held-out validation.
 */
export const RUN_DEFAULTS: Omit<
  RunConfig,
  "task" | "data" | "trainSplits" | "validation" | "validationSplits" | "testSplits"
> = {
  model: "cnn",
  modelOptions: {},
  epochs: 30,
  batchSize: 32,
  learningRate: 1e-3,
  schedule: "cosine",
  warmupEpochs: 0,
  patience: 10,
  seed: 42,
  backend: "auto",
  preprocess: [
    { op: "resample", toHz: 125 },
    { op: "zscore", mode: "recording" },
    { op: "window", windowSeconds: 2, strideSeconds: 1 },
    // Training windows only: time shift, sensor dropout, gain jitter, noise.
    { op: "augment" },
  ],
  shuffleBuffer: 256,
  // One recording at a time: the cache is warmed on all cores before training, and with
  // several reads in flight the order of windows (and so the run) would depend on timing.
  concurrency: 1,
  holdoutChunks: 1,
  maxSamples: null,
  cacheDir: null,
  adaptBatchNorm: true,
  mixupAlpha: 0,
  labelSmoothing: 0,
  weightDecay: 0,
  testTimeAdaptation: "none",
  weightAverage: 0,
};

/**
 * The default splits of each task. Both validate on held-out chunks of the training
 * subjects (`validation: "holdout"`), so no test subject chooses anything: cross-subject
 * runs report test1, test2 and test3 as three untouched test splits. (The seed project
 * validated on test1 + test2, leaving test3 the only test split: `--validation
 * Cross/test1,Cross/test2`.)
 */
export const TASK_SPLITS: Record<
  RunConfig["task"],
  Pick<RunConfig, "trainSplits" | "validation" | "validationSplits" | "testSplits">
> = {
  cross: {
    trainSplits: ["Cross/train"],
    validation: "holdout",
    validationSplits: [],
    testSplits: ["Cross/test1", "Cross/test2", "Cross/test3"],
  },
  intra: {
    trainSplits: ["Intra/train"],
    validation: "holdout",
    validationSplits: [],
    testSplits: ["Intra/test"],
  },
};

/**
 * A full config for `task` from defaults and overrides.
 *
 * @param task "cross" or "intra".
 * @param data Dataset root.
 * @param overrides Any fields to change.
 * @returns The config (its default objects are fresh copies, never shared with another call).
 * @throws {TypeError | RangeError} for an unknown key in `overrides` (naming it and the known
 *   ones) or a value of the wrong type or out of range (see `checkRunConfig`).
 *
 * @example
 * ```ts
 * import { runConfig } from "./run_config.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const config = runConfig("cross", "/data", { epochs: 3 });
 * assertEquals([config.validation, config.validationSplits], ["holdout", []]);
 * assertEquals(config.epochs, 3);
 * assertEquals(runConfig("intra", "/data").preprocess.find((s) => s.op === "window"), {
 *   op: "window",
 *   windowSeconds: 2,
 *   strideSeconds: 0.5,
 * });
 * ```
 */
export function runConfig(task: RunConfig["task"], data: string, overrides: Partial<RunConfig> = {}): RunConfig {
  if (task !== "cross" && task !== "intra") throw new RangeError(`Unknown task: expected cross or intra, got ${task}`);
  // A fresh copy of every default object: mutating one config must not change the next.
  const defaults: RunConfig = structuredClone({ ...RUN_DEFAULTS, ...TASK_SPLITS[task], task, data });
  // The model's recipe (training/model_recipes.ts) sits between the shared defaults and the overrides.
  const model = typeof overrides.model === "string" ? overrides.model : defaults.model;
  Object.assign(defaults, recipeSettings(model, task));
  // The intra stride applies to the shared steps and a recipe's shared steps; a recipe's own intra steps are kept as written.
  const ownIntraSteps = Object.hasOwn(MODEL_RECIPES, model) && MODEL_RECIPES[model].intra?.preprocess !== undefined;
  if (task === "intra" && !ownIntraSteps) {
    defaults.preprocess = defaults.preprocess.map((step) =>
      step.op === "window" ? { ...step, strideSeconds: INTRA_STRIDE_SECONDS } : step
    );
  }
  checkRunConfig("runConfig", overrides, defaults); // unknown keys, types, ranges
  // Folders given without a `validation` (scripts written before it) validate as before.
  const legacy = overrides.validationSplits?.length && overrides.validation === undefined
    ? { validation: "splits" }
    : {};
  return { ...defaults, ...overrides, ...legacy };
}

/**
 * Window stride of the intra-subject task: one subject gives only 28 training recordings, and
 * windows every 0.5 s instead of 1 s (twice the windows) took Intra/test from 0.62 to 0.86
 * per window in one measured run each (docs/accuracy.md). That choice was argued from a test
 * split (Intra/test), under the old protocol; the held-out validation accuracy of both strides
 * is to be re-measured (docs/accuracy.md, "Re-measuring under the new protocol"). Cross-subject
 * keeps 1 s: 0.5 s with half the epochs was not better there and doubles the time per epoch.
 */
export const INTRA_STRIDE_SECONDS = 0.5;
