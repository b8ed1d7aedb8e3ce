/**
 * Hyper-parameter search for megflow runs: search spaces, grid, random and
 * successive-halving strategies, resumable trials, the trials table, a worker
 * pool and the search report. `deno task tune` is the command line;
 * `runSearch` is the same in a script.
 *
 * @example
 * ```ts
 * import { parseSearchSpace, planSearch } from "./mod.ts";
 * import { runConfig } from "../training/run_config.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const space = parseSearchSpace({ learningRate: { logUniform: [1e-4, 1e-2] }, windowSeconds: { choice: [1, 2] } });
 * const settings = {
 *   base: runConfig("cross", "/data", { epochs: 3 }), space, strategy: "random", trials: 4, seed: 1,
 *   rankBy: "window", eta: 2,
 * } as const;
 * const plan = await planSearch(settings, (trials) => Promise.resolve(trials.map(() => ({ status: "pending" }) as never)));
 * assertEquals(plan.stages[0].trials.length, 4);
 * ```
 *
 * @module
 */
export {
  type ChoiceSpec,
  type IntSpec,
  type LogUniformSpec,
  type ParamSpec,
  parseSearchSpace,
  type SearchSpace,
  type UniformSpec,
} from "./search_space.ts";
export { DEFAULT_SPACES } from "./default_spaces.ts";
export {
  DEFAULT_TRIALS,
  planSearch,
  type SearchPlan,
  type SearchSettings,
  type StagePlan,
  type Strategy,
} from "./plan_search.ts";
export { type HalvingRung, halvingSchedule, type HalvingScheduleOptions } from "./halving_schedule.ts";
export { bestTrial, type RankBy } from "./best_trial.ts";
export { type TrialRow, type TrialStatus } from "./trial_row.ts";
export { readTrialsTable } from "./trials_table.ts";
export { runSearch, type RunSearchOptions, type SearchResult } from "./run_search.ts";
export { renderSearchReport, type SearchReportInput, type SearchReportOptions } from "./report.ts";
