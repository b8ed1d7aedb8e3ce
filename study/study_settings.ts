/**
 * What a study runs: the models, seeds, epochs and data of its training runs,
 * the improvements it measures and the searches it runs or reads. The
 * defaults train every model well past chance level within about 45 minutes
 * on 2 CPU cores (see `study/README.md`): EEGNet-8,2, small versions of the
 * GRU and ViViT, 2 s windows (every 0.5 s within one subject, as
 * `train-intra`), 12 epochs; flags of `deno task study` scale it up or down.
 *
 * @module
 */
import type { BackendChoice } from "../backends/backend.ts";
import type { RunConfig } from "../training/run_config.ts";
import { INTRA_STRIDE_SECONDS, runConfig } from "../training/run_config.ts";
import type { Strategy } from "../tune/plan_search.ts";
import type { SearchSpace } from "../tune/search_space.ts";
import { parseValidationFlag } from "../training/validation_plan.ts";

/** The hyper-parameter searches of a study (part c). */
export interface StudySearchSettings {
  /** Model searched in both settings. */
  model: string;
  /** Strategy of both searches. */
  strategy: Strategy;
  /** Trials of each search (halving: first-stage configurations). */
  trials: number;
  /** Epoch budget of each trial and of the retrained best. */
  epochs: number;
  /** The searched parameters. */
  space: SearchSpace;
  /** An existing cross-subject search folder to read instead of searching. Default: none. */
  crossDir?: string;
  /** An existing intra-subject search folder to read instead of searching. Default: none. */
  intraDir?: string;
}

/** Everything a study depends on (written into `study.json`). */
export interface StudySettings {
  /** Dataset root holding `Intra/` and `Cross/`. */
  data: string;
  /** Models compared intra vs cross (part b). */
  models: string[];
  /** Seeds: every configuration is trained once per seed. */
  seeds: number[];
  /** Epochs of each run. */
  epochs: number;
  /** Windows per batch. */
  batchSize: number;
  /** Peak learning rate. */
  learningRate: number;
  /** Window length in seconds. */
  windowSeconds: number;
  /** Window stride in seconds of cross-subject runs. */
  strideSeconds: number;
  /** Window stride in seconds of intra-subject runs (fewer training recordings, so denser windows). */
  intraStrideSeconds: number;
  /** Use only the first N raw samples of each recording; null: all. */
  maxSamples: number | null;
  /** Options of each model (model name to options; missing: the model's defaults). */
  modelOptions: Record<string, Record<string, unknown>>;
  /** Model the improvements are measured with (cross-subject). */
  improvementModel: string;
  /** Improvements measured against the baseline (names in `IMPROVEMENTS`). */
  improvements: string[];
  /** The searches of part c; null: none. */
  search: StudySearchSettings | null;
  /** Cache of resampled recordings; null: none. */
  cacheDir: string | null;
  /** tfjs backend. */
  backend: BackendChoice;
  /**
   * What chooses the best epoch of the cross-subject runs (`--validation`: `holdout`, `loso`,
   * `loso:SUBJECT` or a comma list of folders). Default `holdout`: held-out chunks of the
   * training subjects, so test1, test2 and test3 are all untouched test splits. Intra-subject
   * runs always hold out chunks (one subject: no subject to leave out). Absent: `holdout`
   * (studies made before the field validated on `Cross/test1,Cross/test2`).
   */
  validation?: string;
  /**
   * Part b trains every model with its own recipe (`training/model_recipes.ts`: the settings of
   * `train-cross --model M` / `train-intra --model M`, augmentation and AdaBN included) instead of
   * the shared budget above (`epochs`, `batchSize`, `learningRate`, `modelOptions` and the
   * windows are then not used). The improvements are measured against the same recipe runs; an
   * improvement the recipe already has trains nothing. Absent: false (the shared budget).
   */
  recipes?: boolean;
}

/** Small versions of the gru and vivit models, so that a default study fits on 2 cores. */
export const STUDY_MODEL_OPTIONS: Readonly<Record<string, Record<string, unknown>>> = {
  // EEGNet-8,2 itself: computed spatial filter first, it trains faster than the small GRU.
  cnn: {},
  gru: { units: 32, projectionUnits: 32, attentionUnits: 32, poolSize: 4 },
  // A small version of vivit's registry defaults before session 21 (10 x 10-cell tubelets of 25 samples, no cell
  // or spatial filters), written out so that the study's network stayed the same when the defaults became the
  // cross recipe's network.
  vivit: {
    tubelet: [25, 10, 10],
    cellFilters: 0,
    spatialFilters: 0,
    embedDim: 32,
    numHeads: 2,
    keyDim: 16,
    spatialDepth: 1,
    temporalDepth: 1,
    cellFilterTaps: 0,
    stem: "energy",
  },
  // Raw or spectral? The same protocol on log band powers (the baseline trains without augmentation,
  // which the spectral model needs: a dropped sensor's log power is -30).
  spectral: {},
  // AA-CascadeNet at its defaults: it trains about as fast as EEGNet-8,2.
  cascade: {},
  // The Crossformer at its defaults (32 virtual sensors, one two-stage layer).
  tsa: {},
};

/** The default (small) search space of a study's searches. */
export const STUDY_SPACE: SearchSpace = {
  learningRate: { logUniform: [1e-3, 1e-2] },
  dropProb: { uniform: [0.1, 0.5] },
  batchSize: { choice: [8, 16] },
};

/**
 * The default study settings (see the module doc), given the data folder and cache.
 *
 * @param data Dataset root.
 * @param cacheDir Cache of resampled recordings, or null.
 * @returns A fresh settings object (safe to modify).
 *
 * @example
 * ```ts
 * import { defaultStudySettings } from "./study_settings.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const s = defaultStudySettings("/data", null);
 * assertEquals([s.models, s.seeds, s.improvements.length], [["cnn", "gru", "vivit", "spectral", "cascade", "tsa"], [1, 2, 3], 5]);
 * ```
 */
export function defaultStudySettings(data: string, cacheDir: string | null): StudySettings {
  // A deep copy: the options of each model and the search space must not be shared with the
  // constants (or with the settings of the next call), so changing one study changes no other.
  return structuredClone({
    data,
    models: ["cnn", "gru", "vivit", "spectral", "cascade", "tsa"],
    seeds: [1, 2, 3],
    epochs: 12,
    batchSize: 16,
    learningRate: 3e-3,
    windowSeconds: 2,
    strideSeconds: 1,
    intraStrideSeconds: INTRA_STRIDE_SECONDS,
    maxSamples: null,
    modelOptions: STUDY_MODEL_OPTIONS,
    improvementModel: "cnn",
    improvements: ["align", "augment", "adaptBatchNorm", "mixup", "ensemble"],
    search: { model: "cnn", strategy: "random", trials: 4, epochs: 6, space: STUDY_SPACE },
    cacheDir,
    backend: "auto",
    validation: "holdout",
  });
}

/**
 * The run configuration of one baseline run of a study.
 *
 * @param settings The study.
 * @param task "cross" or "intra".
 * @param model Model name.
 * @param seed Seed of the run.
 * @returns The configuration: 125 Hz, z-score per recording, the study's windows, epochs and model options;
 *   with `settings.recipes`, the model's recipe (the `train-*` defaults of that model) instead.
 *
 * @example
 * ```ts
 * import { defaultStudySettings, studyRunConfig } from "./study_settings.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const config = studyRunConfig(defaultStudySettings("/data", null), "intra", "gru", 2);
 * assertEquals([config.task, config.model, config.seed, config.validation], ["intra", "gru", 2, "holdout"]);
 * assertEquals(studyRunConfig(defaultStudySettings("/data", null), "cross", "cnn", 1).validation, "holdout");
 * assertEquals(config.preprocess.map((s) => s.op), ["resample", "zscore", "window"]);
 * const recipe = studyRunConfig({ ...defaultStudySettings("/data", null), recipes: true }, "cross", "cnn", 1);
 * assertEquals([recipe.epochs, recipe.adaptBatchNorm], [30, true]); // train-cross's own settings
 * ```
 */
export function studyRunConfig(
  settings: StudySettings,
  task: RunConfig["task"],
  model: string,
  seed: number,
): RunConfig {
  const validation = task === "cross" ? parseValidationFlag(settings.validation ?? "holdout") : {};
  if (settings.recipes) {
    // The model's own recipe and the task's defaults, as `train-cross --model M` would run it.
    const { data, backend, maxSamples, cacheDir } = settings;
    return runConfig(task, data, { ...validation, model, seed, backend, maxSamples, cacheDir });
  }
  return runConfig(task, settings.data, {
    ...validation,
    model,
    modelOptions: { ...(settings.modelOptions[model] ?? {}) },
    epochs: settings.epochs,
    batchSize: settings.batchSize,
    learningRate: settings.learningRate,
    seed,
    backend: settings.backend,
    maxSamples: settings.maxSamples,
    cacheDir: settings.cacheDir,
    // The baseline: no augmentation, training BatchNorm statistics (the improvements add them).
    adaptBatchNorm: false,
    preprocess: [
      { op: "resample", toHz: 125 },
      { op: "zscore", mode: "recording" },
      {
        op: "window",
        windowSeconds: settings.windowSeconds,
        strideSeconds: task === "intra" ? settings.intraStrideSeconds : settings.strideSeconds,
      },
    ],
  });
}
