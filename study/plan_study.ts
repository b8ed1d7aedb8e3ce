/**
 * The training runs of a study, as trials of one plan (so they can run in
 * this process or as workers, and a rerun reuses finished ones):
 * - part b: every model x {intra, cross} x seed, baseline preprocessing;
 * - part d: every improvement x seed, cross-subject, with the improvement
 *   model (its baseline is the part-b run with the same seed); an ensemble
 *   trains nothing (it averages the part-b runs, see `runStudy`).
 *
 * @module
 */
import type { RunConfig } from "../training/run_config.ts";
import type { TrialSpec } from "../tune/run_trial.ts";
import { trialId } from "../tune/trial_id.ts";
import { IMPROVEMENTS } from "./improvements.ts";
import { studyRunConfig, type StudySettings } from "./study_settings.ts";

/** What a study run is: its place in the study. */
export interface StudyRunLabel {
  /** "intra" or "cross". */
  task: RunConfig["task"];
  /** Model name. */
  model: string;
  /** "baseline" or an improvement's name. */
  variant: string;
  /** Seed. */
  seed: number;
}

/**
 * The runs of a study. Each trial's `values` hold its {@linkcode StudyRunLabel};
 * its id is `<task>-<model>-<variant>-s<seed>-<8 hex digits of the config hash>`,
 * so a changed setting gives a new folder and a rerun reuses finished runs.
 *
 * @param settings The study.
 * @returns The trials, baseline runs first.
 * @throws {RangeError} for an unknown improvement.
 *
 * @example
 * ```ts
 * import { planStudy } from "./plan_study.ts";
 * import { defaultStudySettings } from "./study_settings.ts";
 * import { assertEquals, assertMatch } from "@std/assert";
 *
 * const runs = await planStudy(defaultStudySettings("/data", null));
 * assertEquals(runs.length, 6 * 2 * 3 + 4 * 3); // models x tasks x seeds + trained improvements x seeds
 * assertMatch(runs[0].trialId, /^intra-cnn-baseline-s1-[0-9a-f]{8}$/);
 * ```
 */
export async function planStudy(settings: StudySettings): Promise<TrialSpec[]> {
  for (const name of settings.improvements) {
    if (!IMPROVEMENTS[name]) {
      throw new RangeError(`Unknown improvement ${name}: expected one of ${Object.keys(IMPROVEMENTS).join(", ")}`);
    }
  }
  const runs: Array<{ label: StudyRunLabel; config: RunConfig }> = [];
  const models = [...settings.models];
  if (settings.improvements.length > 0 && !models.includes(settings.improvementModel)) {
    models.push(settings.improvementModel);
  }
  for (const model of models) {
    for (const task of ["intra", "cross"] as const) {
      if (!settings.models.includes(model) && task === "intra") continue; // only the improvements' baseline
      for (const seed of settings.seeds) {
        runs.push({
          label: { task, model, variant: "baseline", seed },
          config: studyRunConfig(settings, task, model, seed),
        });
      }
    }
  }
  for (const variant of settings.improvements) {
    if (IMPROVEMENTS[variant].kind === "ensemble") continue; // computed from the baseline runs, no training
    for (const seed of settings.seeds) {
      const base = studyRunConfig(settings, "cross", settings.improvementModel, seed);
      const config = IMPROVEMENTS[variant].apply(base);
      // A recipe that already has the improvement: the baseline run is that run.
      if (await trialId(config) === await trialId(base)) continue;
      runs.push({ label: { task: "cross", model: settings.improvementModel, variant, seed }, config });
    }
  }
  const trials: TrialSpec[] = [];
  for (const [index, { label, config }] of runs.entries()) {
    const hash = (await trialId(config)).slice(1, 9);
    trials.push({
      index,
      trialId: `${label.task}-${label.model}-${label.variant}-s${label.seed}-${hash}`,
      stage: 0,
      values: { ...label },
      config,
    });
  }
  return trials;
}
