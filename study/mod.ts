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
export * from "./improvements.ts";
export * from "./study_settings.ts";
export * from "./plan_study.ts";
export * from "./summarise_study.ts";
export * from "./search_summary.ts";
export * from "./accuracy_bars_plot.ts";
export * from "./report.ts";
export * from "./run_study.ts";
