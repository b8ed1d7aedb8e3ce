/**
 * The study of megflow's models: intra- vs cross-subject accuracy over seeds,
 * hyper-parameter searches, the train/test gap and improvements for unseen
 * subjects. `deno task study` is the command line; `runStudy` is the same in a script.
 *
 * @example
 * ```ts
 * import { defaultStudySettings, planStudy } from "./mod.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const settings = { ...defaultStudySettings("/data", null), models: ["gru"], seeds: [1, 2, 3], improvements: ["align"] };
 * const runs = await planStudy(settings);
 * // gru intra + cross, the cnn cross baseline of the improvement, and cnn + align: 3 seeds each
 * assertEquals(runs.map((r) => `${r.values.task}-${r.values.model}-${r.values.variant}`).filter((_, i) => i % 3 === 0), [
 *   "intra-gru-baseline", "cross-gru-baseline", "cross-cnn-baseline", "cross-cnn-align",
 * ]);
 * ```
 *
 * @module
 */
export { type Improvement, IMPROVEMENTS } from "./improvements.ts";
export { defaultStudySettings, type StudySearchSettings, type StudySettings } from "./study_settings.ts";
export { planStudy, type StudyRunLabel } from "./plan_study.ts";
export {
  type AccuracyStat,
  type GapSummary,
  type GroupSummary,
  type ImprovementSummary,
  type Stat,
  type StudyRun,
  type StudyRunSummary,
  type StudySummary,
  summariseStudy,
} from "./summarise_study.ts";
export { renderStudyReport } from "./report.ts";
export { runStudy, type RunStudyOptions, type Study } from "./run_study.ts";
