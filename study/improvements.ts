/**
 * The improvements for unseen subjects that the study measures against the
 * baseline, each a change of a run's preprocessing steps that a user can make
 * in any `config.json` (or with `--config FILE` of the training tasks).
 *
 * @module
 */
import type { PreprocessStep } from "../pipeline/preprocess.ts";
import type { RunConfig } from "../pipeline/run_config.ts";

/** One improvement: what it changes and why it should help. */
export interface Improvement {
  /** Name used in run ids, flags and reports. */
  name: string;
  /** One sentence: what the change is. */
  description: string;
  /** Why it should help with unseen subjects. */
  rationale: string;
  /** The changed configuration (the input is not modified). */
  apply(config: RunConfig): RunConfig;
}

function normaliserAt(steps: readonly PreprocessStep[]): number {
  return steps.findIndex((s) => s.op === "zscore" || s.op === "minmax" || s.op === "subjectZscore");
}

/**
 * The improvements the study can measure, by name: `align` (per-subject
 * Euclidean alignment), `subjectZscore` (z-scoring per subject instead of per
 * recording), `augment` (training-time augmentation) and `adaptBatchNorm`
 * (per-subject BatchNorm statistics at validation and test time, AdaBN).
 *
 * @example
 * ```ts
 * import { IMPROVEMENTS } from "./improvements.ts";
 * import { runConfig } from "../pipeline/run_config.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const aligned = IMPROVEMENTS.align.apply(runConfig("cross", "/data")); // the defaults augment
 * assertEquals(aligned.preprocess.map((s) => s.op), ["resample", "zscore", "align", "window", "augment"]);
 * ```
 */
export const IMPROVEMENTS: Readonly<Record<string, Improvement>> = {
  align: {
    name: "align",
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
    description: "validating and testing each subject with BatchNorm statistics of its own windows instead of the " +
      "training subjects' (AdaBN; `adaptBatchNorm: true`, `--adapt-bn`)",
    rationale: "an unseen subject's features are shifted as a whole, which piles its predictions onto one or two " +
      "classes; normalising every BatchNorm input with the subject's own mean and variance removes that shift " +
      "(unsupervised and transductive: it uses the test subject's unlabelled windows; no effect without BatchNorm)",
    apply(config) {
      return { ...config, adaptBatchNorm: true };
    },
  },
};
