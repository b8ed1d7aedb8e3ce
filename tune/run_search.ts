/**
 * A whole hyper-parameter search in one folder:
 *
 * ```
 * <out>/
 *   search.json          the search: fixed configuration, space, strategy, seed (enough to rerun)
 *   trials/plan.json     the trials of the current stage (what `--run-trial I` runs)
 *   trials/<trialId>/    one run folder per trial (trial.json + what trainRun writes; log.txt from workers)
 *   trials.csv, trials.json   the trials table
 *   best/                the best configuration retrained with the full budget, tested on every test split
 *   best.json            the best trial, its values and the final results' summary
 *   search.html          the report
 * ```
 *
 * Rerunning the same search reuses every finished trial (same configuration,
 * same id, `results.json` present), resumes interrupted ones from their
 * checkpoint and retries failed ones (of the current stage, once per run). The
 * final test split is used only by the retrained best configuration.
 *
 * @module
 */
import type * as aq from "arquero";
import { join } from "node:path";
import { writeFileAtomic } from "../core/atomic_write.ts";
import { assertOutputsOutsideData } from "../core/_is_inside.ts";
import type { RunResults } from "../evaluation/metrics.ts";
import type { RunConfig } from "../training/run_config.ts";
import { bestTrial } from "./best_trial.ts";
import { roleOfSplit } from "../training/validation_plan.ts";
import { finalConfig, planSearch, type SearchPlan, type SearchSettings } from "./plan_search.ts";
import { renderSearchReport } from "./report.ts";
import { isTrialFinished, runTrial, type TrialRunner, type TrialSpec } from "./run_trial.ts";
import { runTrials } from "./run_trials.ts";
import { searchBase } from "./search_base.ts";
import { readTrialRow, type TrialRow } from "./trial_row.ts";
import { trialsTable, writeTrialsTable } from "./trials_table.ts";

/** Options of {@linkcode runSearch}. */
export interface RunSearchOptions {
  /** The search folder (created). */
  out: string;
  /**
   * Trials run at once. 1 runs them one after the other in this process; more
   * runs each trial as a child process, the command line of `workerArgs`. Default: 1.
   */
  workers?: number;
  /** Only write `search.json` and `trials/plan.json` of the current stage, run nothing. Default: false. */
  planOnly?: boolean;
  /** Retrain the best configuration with the full budget and test it. Default: true. */
  retrain?: boolean;
  /** Runs a trial in this process (workers = 1). Default: `trainTrial` (trainRun + hold-out validation). */
  runner?: TrialRunner;
  /** Receives progress lines. Default: `console.error`. */
  log?: (line: string) => void;
  /**
   * The command line (after `deno`) of a worker running trial `index` of
   * `out/trials/plan.json`, e.g. the tune task's `--run-trial I --out OUT`.
   * Required when `workers` is more than 1. No default.
   */
  workerArgs?: (index: number, out: string) => string[];
}

/** What {@linkcode runSearch} returns. */
export interface SearchResult {
  /** The search's plan (stages so far). */
  plan: SearchPlan;
  /** Every planned trial of every stage. */
  rows: TrialRow[];
  /** The trials table as written. */
  table: aq.ColumnTable;
  /** The best trial, when one finished. */
  best?: TrialRow;
  /** The retrained best configuration and its results, when retrained. */
  final?: { runDir: string; config: RunConfig; results: RunResults };
}

/** The `search.json` written into a search folder. */
export interface SearchFile {
  /** Format version. */
  version: 1;
  /** The search's settings. */
  settings: SearchSettings;
}

/** The `trials/plan.json` written into a search folder. */
export interface PlanFile {
  /** Stage of the listed trials. */
  stage: number;
  /** Number of stages of the search. */
  totalStages: number;
  /** The trials; `--run-trial I` runs `trials[I]`. */
  trials: TrialSpec[];
}

/** The rows of planned trials, read from their folders. */
export function trialRowsReader(out: string): (trials: TrialSpec[]) => Promise<TrialRow[]> {
  return (trials) => Promise.all(trials.map((t) => readTrialRow(out, t)));
}

/**
 * Runs (or continues) a search: stage by stage, the trials not finished yet;
 * then the trials table, the retrained best configuration and the report.
 *
 * @param settings The search.
 * @param options Folder, workers, plan-only, retrain, runner, log.
 * @returns The plan, the rows, the table, the best trial and the final run.
 * @throws {RangeError} for bad settings; errors of writing the folder. A
 *   failing trial does not throw (see `runTrial`); a failing final run does.
 */
export async function runSearch(settings: SearchSettings, options: RunSearchOptions): Promise<SearchResult> {
  const { out } = options;
  const log = options.log ?? ((line: string) => console.error(line));
  const base = searchBase(settings.base);
  if (base !== settings.base) {
    log(
      `tune: ${base.model}'s ${base.task} configuration holds no chunk out; a search ranks its trials by ` +
        `validation, so they hold one chunk per class out (holdoutChunks 1)`,
    );
    settings = { ...settings, base };
  }
  const workers = options.workers ?? 1;
  if (!Number.isSafeInteger(workers) || workers < 1) {
    throw new RangeError(`Cannot search: workers must be a positive integer, got ${workers}`);
  }
  await assertOutputsOutsideData(settings.base.data, { "the search folder": out, "the cache": settings.base.cacheDir });
  await Deno.mkdir(join(out, "trials"), { recursive: true });
  const file: SearchFile = { version: 1, settings };
  await writeFileAtomic(join(out, "search.json"), JSON.stringify(file, null, 2) + "\n");
  const rowsOf = trialRowsReader(out);
  const plan = await runStages(settings, rowsOf, { ...options, workers, log });

  const rows = (await Promise.all(plan.stages.map((s) => rowsOf(s.trials)))).flat();
  const table = trialsTable(rows, Object.keys(settings.space));
  await writeTrialsTable(out, table);
  const best = plan.complete ? bestTrial(rows, settings.rankBy) : undefined;
  const final = best && options.retrain !== false && !options.planOnly
    ? await retrainBest(settings, plan, best, out, { runner: options.runner, log })
    : undefined;
  if (best) await writeFileAtomic(join(out, "best.json"), bestFileText(best, final));
  await writeFileAtomic(
    join(out, "search.html"),
    await renderSearchReport({ settings, rows, totalStages: plan.totalStages, best, final: final?.results }),
  );
  return { plan, rows, table, best, final };
}

/**
 * Plans and runs stage after stage (writing each stage's `trials/plan.json`)
 * until a stage has nothing left to run; each trial is tried once per call.
 *
 * @returns The plan after the last stage run (with `planOnly`, after planning the current stage).
 */
async function runStages(
  settings: SearchSettings,
  rowsOf: (trials: TrialSpec[]) => Promise<TrialRow[]>,
  options: RunSearchOptions & { workers: number; log: (line: string) => void },
): Promise<SearchPlan> {
  const { out, log } = options;
  const attempted = new Set<string>();
  for (;;) {
    const plan = await planSearch(settings, rowsOf);
    const stage = plan.stages[plan.stages.length - 1];
    const planFile: PlanFile = { stage: stage.stage, totalStages: plan.totalStages, trials: stage.trials };
    await writeFileAtomic(join(out, "trials", "plan.json"), JSON.stringify(planFile, null, 2) + "\n");
    const rows = await rowsOf(stage.trials);
    const todo = stage.trials.filter((t, i) => rows[i].status !== "done" && !attempted.has(`${t.stage}/${t.trialId}`));
    log(
      `tune: stage ${stage.stage + 1}/${plan.totalStages}: ${stage.trials.length} trials, ${todo.length} to run` +
        (options.planOnly ? " (plan only: see trials/plan.json)" : ""),
    );
    if (options.planOnly || todo.length === 0) return plan;
    for (const t of todo) attempted.add(`${t.stage}/${t.trialId}`);
    await runTrials(todo, out, {
      workers: options.workers,
      runner: options.runner,
      log,
      workerArgs: options.workerArgs,
    });
  }
}

/**
 * Retrains the best trial's values with the full budget into `out/best/`
 * (reused when finished) and tests it on every test split.
 *
 * @throws {Error} when the final run fails.
 */
async function retrainBest(
  settings: SearchSettings,
  plan: SearchPlan,
  best: TrialRow,
  out: string,
  options: { runner?: TrialRunner; log: (line: string) => void },
): Promise<NonNullable<SearchResult["final"]>> {
  const { log } = options;
  const config = finalConfig(settings, best.values);
  const runDir = join(out, "best");
  const tests = config.testSplits.join(", ");
  log(
    await isTrialFinished(runDir, config)
      ? `tune: the best trial ${best.trial} is already retrained and tested on ${tests} (${runDir})`
      : `tune: retraining the best trial ${best.trial} with ${config.epochs} epochs, testing on ${tests}`,
  );
  const outcome = await runTrial(
    { index: 0, trialId: "best", stage: plan.totalStages, values: best.values, config },
    runDir,
    { runner: options.runner, log },
  );
  if (outcome.status === "failed") {
    throw new Error(`The final run of the best configuration failed: ${outcome.error}`);
  }
  const results: RunResults = JSON.parse(await Deno.readTextFile(join(runDir, "results.json")));
  return { runDir, config, results };
}

/** The text of `best.json`: the best trial, its validation accuracy and the final run's test metrics (or null). */
function bestFileText(best: TrialRow, final: SearchResult["final"]): string {
  return JSON.stringify(
    {
      trial: best.trial,
      stage: best.stage,
      values: best.values,
      validation: { window: best.valWindowAccuracy, recording: best.valRecordingAccuracy },
      final: final
        ? Object.fromEntries(
          Object.entries(final.results.splits).map(([k, m]) => [k, {
            role: roleOfSplit(k, m.role, final.config),
            windowAccuracy: m.windowAccuracy,
            recordingAccuracy: m.recordingAccuracy,
            macroF1: m.macroF1,
          }]),
        )
        : null,
    },
    null,
    2,
  ) + "\n";
}

/**
 * Runs trial `index` of a search folder's `trials/plan.json` (what a worker,
 * a SLURM array task or a Kubernetes indexed job does).
 *
 * @param out The search folder (written by a `--plan-only` run or a search).
 * @param index Position in the plan, from 0.
 * @param options Runner and log.
 * @returns The trial's outcome.
 * @throws {RangeError} when the plan has no trial `index`.
 */
export async function runPlannedTrial(
  out: string,
  index: number,
  options: { runner?: TrialRunner; log?: (line: string) => void } = {},
): Promise<Awaited<ReturnType<typeof runTrial>>> {
  const plan: PlanFile = JSON.parse(await Deno.readTextFile(join(out, "trials", "plan.json")));
  const trial = plan.trials[index];
  if (!trial) {
    throw new RangeError(`--run-trial ${index}: the plan of ${out} has trials 0..${plan.trials.length - 1}`);
  }
  return await runTrial(trial, join(out, "trials", trial.trialId), options);
}
