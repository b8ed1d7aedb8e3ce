/**
 * The improvements for unseen subjects that the study measures against the
 * baseline: changes of a run's preprocessing steps or options that a user can
 * make in any `config.json` (or with `--config FILE` of the training tasks),
 * and ensembling of the baseline's seeds (`deno task ensemble`).
 *
 * @module
 */
import type { PreprocessStep } from "../pipeline/preprocess.ts";
import type { RunConfig } from "../training/run_config.ts";

/** One improvement: what it changes and why it should help. */
export interface Improvement {
  /** Name used in run ids, flags and reports. */
  name: string;
  /** One sentence: what the change is. */
  description: string;
  /** Why it should help with unseen subjects. */
  rationale: string;
  /**
   * "run": trains its own runs, one per seed, with `apply`'s configuration;
   * "ensemble": trains nothing, averages the baseline runs of all seeds.
   */
  kind: "run" | "ensemble";
  /** The changed configuration (the input is not modified; identity for an ensemble). */
  apply(config: RunConfig): RunConfig;
}

function normaliserAt(steps: readonly PreprocessStep[]): number {
  return steps.findIndex((s) => s.op === "zscore" || s.op === "minmax" || s.op === "subjectZscore");
}

/**
 * The improvements the study can measure, by name: `align` (per-subject
 * Euclidean alignment), `subjectZscore` (z-scoring per subject instead of per
 * recording), `augment` (training-time augmentation), `adaptBatchNorm`
 * (per-subject BatchNorm statistics at validation and test time, AdaBN),
 * `mixup` (mixed training batches) and `ensemble` (the mean probabilities of
 * the baseline models of every seed).
 *
 * @example
 * ```ts
 * import { IMPROVEMENTS } from "./improvements.ts";
 * import { runConfig } from "../training/run_config.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const aligned = IMPROVEMENTS.align.apply(runConfig("cross", "/data")); // the defaults augment
 * assertEquals(aligned.preprocess.map((s) => s.op), ["resample", "zscore", "align", "window", "augment"]);
 * ```
 */
export const IMPROVEMENTS: Readonly<Record<string, Improvement>> = {
  align: {
    name: "align",
    kind: "run",
    description: "per-subject Euclidean alignment after normalisation: every sample times R^(-1/2), " +
      'R the subject\'s mean spatial covariance ({op: "align"})',
    rationale: "makes every subject's mean covariance the identity, removing head placement, source geometry and " +
      "gain differences between subjects; test subjects use their own unlabelled test recordings (transductive)",
    apply(config) {
      const steps = config.preprocess.filter((s) => s.op !== "align");
      const at = steps.findIndex((s) => s.op === "window");
      return { ...config, preprocess: [...steps.slice(0, at), { op: "align" }, ...steps.slice(at)] };
    },
  },
  subjectZscore: {
    name: "subjectZscore",
    kind: "run",
    description: "z-scoring each channel with the statistics of all of a subject's recordings instead of each " +
      'recording\'s own ({op: "subjectZscore"} in place of {op: "zscore"})',
    rationale: "removes subject-level scale and offset while keeping the differences between a subject's recordings " +
      "(each recording is one class, so per-recording z-scoring also divides out class-related power)",
    apply(config) {
      const steps = [...config.preprocess];
      const at = normaliserAt(steps);
      if (at >= 0) steps[at] = { op: "subjectZscore" };
      else steps.splice(steps.findIndex((s) => s.op === "window"), 0, { op: "subjectZscore" });
      return { ...config, preprocess: steps };
    },
  },
  augment: {
    name: "augment",
    kind: "run",
    description: "training-time augmentation of windows: circular time shift up to 0.25 s, sensor dropout 10 %, " +
      'per-sensor gain jitter 5 %, white noise at 10 % of each sensor\'s spread ({op: "augment"})',
    rationale: "varies what differs between sessions and heads (timing, sensor gains, noisy or missing sensors), " +
      "so the model cannot rely on it; validation and test windows are not augmented",
    apply(config) {
      const steps = config.preprocess.filter((s) => s.op !== "augment");
      const at = steps.findIndex((s) => s.op === "window");
      return { ...config, preprocess: [...steps.slice(0, at + 1), { op: "augment" }, ...steps.slice(at + 1)] };
    },
  },
  adaptBatchNorm: {
    name: "adaptBatchNorm",
    kind: "run",
    description: "validating and testing each subject with BatchNorm statistics of its own windows instead of the " +
      "training subjects' (AdaBN; `adaptBatchNorm: true`, `--adapt-bn`)",
    rationale: "an unseen subject's features are shifted as a whole, which piles its predictions onto one or two " +
      "classes; normalising every BatchNorm input with the subject's own mean and variance removes that shift " +
      "(unsupervised and transductive: it uses the test subject's unlabelled windows; no effect without BatchNorm)",
    apply(config) {
      return { ...config, adaptBatchNorm: true };
    },
  },
  mixup: {
    name: "mixup",
    kind: "run",
    description: "mixup of training batches: each window is lambda of itself and 1 - lambda of another window of " +
      "the batch, its loss the same mix of the two labels' cross-entropies, lambda ~ Beta(0.2, 0.2) folded to " +
      "[0.5, 1] (`mixupAlpha: 0.2`, `--mixup 0.2`)",
    rationale: "asks for predictions that change linearly between training windows of different recordings, " +
      "subjects and classes, which discourages sharp decision boundaries around features particular to the " +
      "training subjects; validation and test windows are not mixed",
    apply(config) {
      return { ...config, mixupAlpha: 0.2 };
    },
  },
  ensemble: {
    name: "ensemble",
    kind: "ensemble",
    description: "classifying each window by the mean softmax probabilities of the baseline models of all seeds " +
      "(`deno task ensemble --runs A,B,C`; no training of its own)",
    rationale: "models trained with different seeds fit different subject-specific details of the training " +
      "subjects; averaging them keeps what they share, which is what carries over to a new subject, and costs " +
      "only inference (compared with each member, i.e. the baseline run of every seed)",
    apply(config) {
      return config;
    },
  },
};
