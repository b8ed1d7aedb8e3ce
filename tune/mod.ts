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
export * from "./search_space.ts";
export * from "./sample_params.ts";
export * from "./grid_points.ts";
export * from "./halving_schedule.ts";
export * from "./apply_params.ts";
export * from "./trial_id.ts";
export * from "./plan_search.ts";
export * from "./run_trial.ts";
export * from "./validate_holdout.ts";
export * from "./trial_row.ts";
export * from "./trials_table.ts";
export * from "./merge_trials_tables.ts";
export * from "./best_trial.ts";
export * from "./run_workers.ts";
export * from "./run_trials.ts";
export * from "./run_search.ts";
export * from "./influence_plot.ts";
export * from "./report.ts";
export * from "./default_spaces.ts";
