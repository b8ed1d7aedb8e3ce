/**
 * The three search strategies, as plans of trials stage by stage:
 * - `grid`: one stage, every grid point (see `gridPoints`); with `trials`
 *   smaller than the grid, a seeded random subset of the points, in grid order;
 * - `random`: one stage, `trials` seeded draws (see `sampleParams`);
 * - `halving`: successive halving (see `halvingSchedule`): stage 0 trains
 *   `trials` random draws for a few epochs, each next stage the best `1/eta` of
 *   the previous one (by validation accuracy) for `eta` times as many, up to the
 *   full budget (`base.epochs`). A stage can only be planned once the one before
 *   has finished.
 *
 * Trials never touch the final test: a cross-subject trial evaluates only its
 * validation splits (test1, test2), an intra-subject trial only its training
 * data (it validates on held-out training chunks).
 *
 * @module
 */
import { hashSeed, Random } from "../core/random.ts";
import type { RunConfig } from "../training/run_config.ts";
import { applyParams } from "./apply_params.ts";
import { type RankBy, trialScore } from "./best_trial.ts";
import { gridPoints } from "./grid_points.ts";
import { halvingSchedule, promote } from "./halving_schedule.ts";
import type { TrialSpec } from "./run_trial.ts";
import { sampleParams } from "./sample_params.ts";
import type { SearchSpace } from "./search_space.ts";
import { trialId } from "./trial_id.ts";
import type { TrialRow } from "./trial_row.ts";

/** A search strategy. */
export type Strategy = "grid" | "random" | "halving";

/** Everything that defines a search (what `search.json` holds). */
export interface SearchSettings {
  /** The fixed part of every trial's configuration; `epochs` is the full budget, `testSplits` the final tests. */
  base: RunConfig;
  /** The searched parameters. */
  space: SearchSpace;
  /** grid, random or halving. */
  strategy: Strategy;
  /** Random: trials; halving: configurations of the first stage; grid: at most this many points (null: all). */
  trials: number | null;
  /** Seed of the draws (and of the grid subset). */
  seed: number;
  /** Which validation accuracy ranks trials first. */
  rankBy: RankBy;
  /** Halving's reduction factor. */
  eta: number;
}

/** The trials of one stage. */
export interface StagePlan {
  /** Stage number, from 0. */
  stage: number;
  /** The trials, `index` = position. */
  trials: TrialSpec[];
}

/** What {@linkcode planSearch} knows so far. */
export interface SearchPlan {
  /** Stages from 0 up to the first unfinished one (or the last). */
  stages: StagePlan[];
  /** Number of stages the search will have. */
  totalStages: number;
  /** True when every stage has finished. */
  complete: boolean;
}

/** Default number of trials of random search and of the first halving stage. */
export const DEFAULT_TRIALS = 8;

/**
 * The configuration of a trial: `base` with the values applied, the stage's
 * epoch budget, and the test splits replaced by the validation folders (none with held-out or
 * leave-one-subject-out validation): a trial evaluates no test split.
 *
 * @param settings The search.
 * @param values The trial's parameter values.
 * @param epochs Epoch budget. Default: as the values and base say.
 * @returns The run configuration.
 *
 * @example
 * ```ts
 * import { trialConfig } from "./plan_search.ts";
 * import { runConfig } from "../training/run_config.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const settings = { base: runConfig("cross", "/data"), space: {}, strategy: "random", trials: 1, seed: 1, rankBy: "window", eta: 2 } as const;
 * const config = trialConfig(settings as never, { learningRate: 0.002 }, 2);
 * // Held-out validation (the default): a trial evaluates no test split.
 * assertEquals([config.learningRate, config.epochs, config.testSplits], [0.002, 2, []]);
 * ```
 */
export function trialConfig(settings: SearchSettings, values: Record<string, unknown>, epochs?: number): RunConfig {
  const config = applyParams(settings.base, values);
  return { ...config, epochs: epochs ?? config.epochs, testSplits: [...config.validationSplits] };
}

/**
 * The configuration the best values are retrained with: `base` with the values
 * applied, the full epoch budget and the final test splits.
 *
 * @param settings The search.
 * @param values The best trial's values.
 * @returns The run configuration.
 *
 * @example
 * ```ts
 * import { finalConfig } from "./plan_search.ts";
 * import { runConfig } from "../training/run_config.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const settings = { base: runConfig("cross", "/data", { epochs: 8 }), space: {}, strategy: "halving", trials: 4, seed: 1, rankBy: "window", eta: 2 } as const;
 * const config = finalConfig(settings as never, { learningRate: 0.002 });
 * assertEquals([config.epochs, config.testSplits.at(-1)], [8, "Cross/test3"]);
 * ```
 */
export function finalConfig(settings: SearchSettings, values: Record<string, unknown>): RunConfig {
  const config = applyParams(settings.base, values);
  return settings.strategy === "halving" ? { ...config, epochs: settings.base.epochs } : config;
}

async function specs(
  settings: SearchSettings,
  stage: number,
  list: Array<Record<string, unknown>>,
  epochs?: number,
): Promise<StagePlan> {
  const trials: TrialSpec[] = [];
  for (const [index, values] of list.entries()) {
    const config = trialConfig(settings, values, epochs);
    trials.push({ index, trialId: await trialId(config), stage, values, config });
  }
  return { stage, trials };
}

function checkSettings(settings: SearchSettings): void {
  const { trials, strategy } = settings;
  if (trials !== null && (!Number.isSafeInteger(trials) || trials < 1)) {
    throw new RangeError(`Cannot plan a search: trials must be a positive integer, got ${trials}`);
  }
  if (!["grid", "random", "halving"].includes(strategy)) {
    throw new RangeError(`Cannot plan a search: strategy must be grid, random or halving, got ${strategy}`);
  }
  if (strategy === "halving" && "epochs" in settings.space) {
    throw new RangeError(
      `Cannot plan successive halving over epochs: the stages set the epochs; remove "epochs" from the space`,
    );
  }
}

/**
 * Plans the search up to its first unfinished stage.
 *
 * @param settings The search.
 * @param rowsOf Reads the rows of planned trials (e.g. `readTrialRow` over the search folder).
 * @returns The stages planned so far and whether all have finished.
 * @throws {RangeError} for bad settings or a value `applyParams` rejects.
 *
 * @example
 * ```ts
 * import { planSearch } from "./plan_search.ts";
 * import { runConfig } from "../training/run_config.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const settings = {
 *   base: runConfig("cross", "/data", { epochs: 4 }), space: { learningRate: { logUniform: [1e-4, 1e-2] } },
 *   strategy: "halving", trials: 4, seed: 1, rankBy: "window", eta: 2,
 * } as const;
 * const pending = (trials: { trialId: string; stage: number }[]) =>
 *   Promise.resolve(trials.map((t) => ({ trial: t.trialId, stage: t.stage, status: "pending" }) as never));
 * const plan = await planSearch(settings as never, pending);
 * assertEquals([plan.stages.length, plan.totalStages, plan.complete], [1, 3, false]);
 * assertEquals(plan.stages[0].trials.map((t) => t.config.epochs), [1, 1, 1, 1]);
 * assertEquals(plan.stages[0].trials[0].config.testSplits, []); // trials never evaluate a test split
 * ```
 */
export async function planSearch(
  settings: SearchSettings,
  rowsOf: (trials: TrialSpec[]) => Promise<TrialRow[]>,
): Promise<SearchPlan> {
  checkSettings(settings);
  const finished = (rows: TrialRow[]) => rows.every((r) => r.status === "done" || r.status === "failed");
  if (settings.strategy !== "halving") {
    let points: Array<Record<string, unknown>>;
    if (settings.strategy === "grid") {
      points = gridPoints(settings.space);
      if (settings.trials !== null && settings.trials < points.length) {
        const keep = new Set(
          new Random(hashSeed(settings.seed, "grid")).shuffle([...points.keys()]).slice(0, settings.trials),
        );
        points = points.filter((_, i) => keep.has(i));
      }
    } else {
      const n = settings.trials ?? DEFAULT_TRIALS;
      points = Array.from({ length: n }, (_, i) => sampleParams(settings.space, settings.seed, i));
    }
    const stage = await specs(settings, 0, points);
    return { stages: [stage], totalStages: 1, complete: finished(await rowsOf(stage.trials)) };
  }
  const n = settings.trials ?? DEFAULT_TRIALS;
  const rungs = halvingSchedule(n, settings.base.epochs, { eta: settings.eta });
  const first = Array.from({ length: n }, (_, i) => sampleParams(settings.space, settings.seed, i));
  const stages = [await specs(settings, 0, first, rungs[0].epochs)];
  for (let r = 0;; r++) {
    const rows = await rowsOf(stages[r].trials);
    if (!finished(rows)) return { stages, totalStages: rungs.length, complete: false };
    if (r === rungs.length - 1) return { stages, totalStages: rungs.length, complete: true };
    const scores = rows.map((row) =>
      trialScore(row, settings.rankBy)[0] + 1e-6 * Math.max(-1, trialScore(row, settings.rankBy)[1])
    );
    const advancing = promote(scores, rungs[r + 1].configs).map((i) => stages[r].trials[i].values);
    if (advancing.length === 0) return { stages, totalStages: rungs.length, complete: true }; // every trial failed
    stages.push(await specs(settings, r + 1, advancing, rungs[r + 1].epochs));
  }
}
