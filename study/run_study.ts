/**
 * A whole study in one folder:
 *
 * ```
 * <out>/
 *   trials/plan.json          every training run of parts b and d (what workers run)
 *   trials/<run id>/          one run folder per run (a trainRun folder)
 *   ensembles/<name>/         the ensemble improvement: the baseline runs of all seeds, averaged
 *   search-cross/, search-intra/   the searches of part c (tune search folders)
 *   study.json                every number: settings, runs, groups, gaps, improvements, searches, timings
 *   study.html                the report
 * ```
 *
 * Rerunning the same study reuses every finished run and search trial.
 *
 * @module
 */
import { join } from "node:path";
import { writeFileAtomic } from "../core/atomic_write.ts";
import { assertOutputsOutsideData } from "../core/_is_inside.ts";
import { ensembleRuns } from "../orchestration/ensemble_runs.ts";
import type { RunResults } from "../evaluation/metrics.ts";
import type { SearchSettings } from "../tune/plan_search.ts";
import type { PlanFile } from "../tune/run_search.ts";
import { runSearch } from "../tune/run_search.ts";
import type { TrialRunner } from "../tune/run_trial.ts";
import { runTrials } from "../tune/run_trials.ts";
import { readTrialRow } from "../tune/trial_row.ts";
import { IMPROVEMENTS } from "./improvements.ts";
import { planStudy, type StudyRunLabel } from "./plan_study.ts";
import { renderStudyReport } from "./report.ts";
import { type SearchSummary, summariseSearch } from "./search_summary.ts";
import { studyRunConfig, type StudySettings } from "./study_settings.ts";
import { ENSEMBLES_FOLDER, isEnsembleId, type StudyRun, type StudySummary, summariseStudy } from "./summarise_study.ts";

/** Options of {@linkcode runStudy}. */
export interface RunStudyOptions {
  /** The study folder (created). */
  out: string;
  /** Runs at once (child processes when more than 1, see `workerArgs`). Default: 1. */
  workers?: number;
  /**
   * The command line (after `deno`) of a worker running trial `index` of
   * `out/trials/plan.json`, e.g. the tune task's `--run-trial I --out OUT`.
   * Required when `workers` is more than 1. No default.
   */
  workerArgs?: (index: number, out: string) => string[];
  /** Runs a training run in this process. Default: `trainTrial` (trainRun, plus hold-out validation for intra). */
  runner?: TrialRunner;
  /** Receives progress lines. Default: `console.error`. */
  log?: (line: string) => void;
}

/** The content of `study.json`. */
export interface Study {
  /** Format version. */
  version: 1;
  /** What was run. */
  settings: StudySettings;
  /** When the study (this invocation) started, ISO 8601. */
  startedAt: string;
  /**
   * Seconds. `runs`, `searches`, `total`: wall clock of this invocation (reused runs cost nothing).
   * `runsSum`, `searchTrialsSum`: the training runs' and search trials' own seconds summed, whichever
   * invocation ran them (with several workers, more than the wall clock they took).
   */
  seconds: { runs: number; searches: number; total: number; runsSum: number; searchTrialsSum: number };
  /** Parts b and d. */
  summary: StudySummary;
  /** Part c, per setting; absent when not searched. */
  searches: { cross?: SearchSummary; intra?: SearchSummary };
}

/**
 * The search settings of part c for one setting: the study's fixed run
 * configuration of the search model (first seed), the search's epochs, space and strategy.
 *
 * @param settings The study (with `search`).
 * @param task "cross" or "intra".
 * @returns The settings of `runSearch`.
 *
 * @example
 * ```ts
 * import { studySearchSettings } from "./run_study.ts";
 * import { defaultStudySettings } from "./study_settings.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const search = studySearchSettings(defaultStudySettings("/data", null), "intra");
 * assertEquals([search.base.task, search.base.model, search.base.epochs, search.trials], ["intra", "cnn", 6, 4]);
 * ```
 */
export function studySearchSettings(settings: StudySettings, task: "cross" | "intra"): SearchSettings {
  const search = settings.search!;
  const base = { ...studyRunConfig(settings, task, search.model, settings.seeds[0]), epochs: search.epochs };
  return {
    base,
    space: search.space,
    strategy: search.strategy,
    trials: search.trials,
    seed: settings.seeds[0],
    rankBy: "window",
    eta: 2,
  };
}

/**
 * The ensemble improvements of a study: the cross-subject baseline runs of the
 * improvement model over all seeds, averaged (`<out>/ensembles/<name>/`), and
 * one entry per member seed so that the summary pairs the ensemble with each
 * member. Needs at least two finished members; recomputed on every invocation (seconds).
 */
async function ensembleStudyRuns(
  settings: StudySettings,
  runs: readonly StudyRun[],
  out: string,
  log: (line: string) => void,
): Promise<StudyRun[]> {
  const entries: StudyRun[] = [];
  for (const variant of settings.improvements.filter((v) => IMPROVEMENTS[v]?.kind === "ensemble")) {
    const model = settings.improvementModel;
    const members = runs.filter((r) =>
      r.results && r.label.task === "cross" && r.label.model === model && r.label.variant === "baseline"
    );
    if (members.length < 2) {
      log(`study: ${variant} skipped: ${members.length} finished cross-subject ${model} baseline run(s), 2 needed`);
      continue;
    }
    const id = `${ENSEMBLES_FOLDER}/cross-${model}-baseline`;
    try {
      const { results } = await ensembleRuns(members.map((m) => join(out, "trials", m.id)), { out: join(out, id) });
      log(
        `study: ${variant} of ${members.length} ${model} runs: test3 window accuracy ` +
          `${results.splits.test3?.windowAccuracy.toFixed(3) ?? "–"}`,
      );
      for (const m of members) {
        entries.push({ id, label: { ...m.label, variant }, config: m.config, results });
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      log(`study: ${variant} failed: ${message}`);
      entries.push({ id, label: { ...members[0].label, variant }, config: members[0].config, error: message });
    }
  }
  return entries;
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

/**
 * Runs (or continues) a study: the training runs of parts b and d, the
 * searches of part c (or reads given search folders), then `study.json` and
 * `study.html`.
 *
 * @param settings The study.
 * @param options Folder, workers, runner, log.
 * @returns The study as written to `study.json`.
 * @throws {RangeError} for bad settings. Failed runs are recorded, not thrown.
 */
export async function runStudy(settings: StudySettings, options: RunStudyOptions): Promise<Study> {
  const { out } = options;
  const log = options.log ?? ((line: string) => console.error(line));
  const started = performance.now();
  const startedAt = new Date().toISOString();
  await assertOutputsOutsideData(settings.data, { "the study folder": out, "the cache": settings.cacheDir });
  await Deno.mkdir(join(out, "trials"), { recursive: true });
  const trials = await planStudy(settings);
  const plan: PlanFile = { stage: 0, totalStages: 1, trials };
  await writeFileAtomic(join(out, "trials", "plan.json"), JSON.stringify(plan, null, 2) + "\n");
  const before = await Promise.all(trials.map((t) => readTrialRow(out, t)));
  const todo = trials.filter((_, i) => before[i].status !== "done");
  log(`study: ${trials.length} training runs, ${todo.length} to run`);
  await runTrials(todo, out, {
    workers: options.workers,
    runner: options.runner,
    log,
    name: "study",
    workerArgs: options.workerArgs,
  });
  const runsSeconds = (performance.now() - started) / 1000;

  const runs: StudyRun[] = [];
  for (const trial of trials) {
    const dir = join(out, "trials", trial.trialId);
    const results = await Deno.readTextFile(join(dir, "results.json")).then(
      (t) => JSON.parse(t) as RunResults,
      () => undefined,
    );
    const error = results ? undefined : await Deno.readTextFile(join(dir, "error.txt")).catch(() => "did not finish");
    runs.push({
      id: trial.trialId,
      label: trial.values as unknown as StudyRunLabel,
      config: trial.config,
      results,
      error,
    });
  }

  runs.push(...await ensembleStudyRuns(settings, runs, out, log));

  const searchStarted = performance.now();
  const searches: Study["searches"] = {};
  if (settings.search) {
    for (const task of ["cross", "intra"] as const) {
      const given = task === "cross" ? settings.search.crossDir : settings.search.intraDir;
      const dir = given ?? join(out, `search-${task}`);
      if (!given) {
        log(`study: ${task}-subject search (${settings.search.strategy}, ${settings.search.trials} trials) in ${dir}`);
        await runSearch(studySearchSettings(settings, task), {
          out: dir,
          workers: options.workers,
          runner: options.runner,
          log,
          workerArgs: options.workerArgs,
        });
      }
      searches[task] = await summariseSearch(dir);
    }
  }
  const searchSeconds = (performance.now() - searchStarted) / 1000;

  const study: Study = {
    version: 1,
    settings,
    startedAt,
    seconds: {
      runs: runsSeconds,
      searches: searchSeconds,
      total: (performance.now() - started) / 1000,
      runsSum: sum(runs.filter((r) => !isEnsembleId(r.id)).map((r) => r.results?.seconds.total ?? 0)),
      searchTrialsSum: sum(Object.values(searches).flatMap((s) => s.rows.map((r) => r.seconds ?? 0))),
    },
    summary: summariseStudy(runs),
    searches,
  };
  await writeFileAtomic(join(out, "study.json"), JSON.stringify(study, null, 2) + "\n");
  await writeFileAtomic(join(out, "study.html"), await renderStudyReport(study, out));
  return study;
}
