/**
 * An ensemble of finished run folders: their `predictions.csv` averaged window
 * by window ({@linkcode ensemblePredictions}), evaluated like a run, and
 * written as a run-like folder (`predictions.csv`, `results.json`,
 * `report.html`, plus `ensemble.json` naming the members). No model is loaded:
 * the members' saved probabilities are enough, so an ensemble of any size costs
 * a few seconds.
 *
 * @module
 */
import { join, resolve } from "node:path";
import { assertOutsideData, isInsideReal } from "../core/_is_inside.ts";
import { writeFileAtomic } from "../core/atomic_write.ts";
import { ensemblePredictions } from "../evaluation/ensemble_predictions.ts";
import { evaluatePredictions, type PredictionRow, type RunResults, type SplitMetrics } from "../evaluation/metrics.ts";
import { roleOfSplit, validationOf } from "../training/validation_plan.ts";
import { peakRssMB } from "../core/peak_rss.ts";
import { parsePredictionsCsv } from "../evaluation/predictions_csv.ts";
import type { RunConfig } from "../training/run_config.ts";
import { writeRunOutputs } from "./train_run.ts";

/** Options of {@linkcode ensembleRuns}. */
export interface EnsembleRunsOptions {
  /** Folder to write the ensemble into (created). Default: nothing written. */
  out?: string;
  /** Weight of each member. Default: equal. */
  weights?: readonly number[];
}

/** What {@linkcode ensembleRuns} returns. */
export interface EnsembleOfRuns {
  /** The ensemble's results, shaped like a run's `results.json` (model `ensemble(<members' models>)`). */
  results: RunResults;
  /** The ensemble's predictions. */
  rows: PredictionRow[];
  /** The members' folders, absolute. */
  members: string[];
}

async function readMember(dir: string): Promise<{ config: RunConfig; rows: PredictionRow[]; results: RunResults }> {
  const read = (name: string) =>
    Deno.readTextFile(join(dir, name)).catch(() => {
      throw new RangeError(`${dir}: no ${name} (not a finished megflow run folder)`);
    });
  const config = JSON.parse(await read("config.json")) as RunConfig;
  const results = JSON.parse(await read("results.json")) as RunResults;
  let rows: PredictionRow[];
  try {
    rows = parsePredictionsCsv(await read("predictions.csv"));
  } catch (error) {
    if (error instanceof RangeError && error.message.startsWith(dir)) throw error;
    throw new RangeError(`${join(dir, "predictions.csv")}: ${error instanceof Error ? error.message : error}`);
  }
  return { config, rows, results };
}

/**
 * The splits an ensemble can average: the test splits, and the train and validation splits
 * only when every member drew them alike (same validation, and the same seed where the seed
 * chooses held-out chunks or a left-out subject); otherwise each member's differ.
 */
function sharedSplits(
  read: ReadonlyArray<{ config: RunConfig; rows: PredictionRow[]; results: RunResults }>,
): string[] {
  const planOf = (c: RunConfig) => {
    const spec = validationOf(c);
    const seeded = spec.kind === "holdout" || (spec.kind === "loso" && spec.subject === undefined);
    return JSON.stringify([c.trainSplits, spec, seeded ? c.seed : null]);
  };
  const keys = [...new Set(read[0].rows.map((r) => r.split))];
  if (read.every((m) => planOf(m.config) === planOf(read[0].config))) return keys;
  return keys.filter((k) => read.every((m) => roleOfSplit(k, m.results.splits?.[k]?.role, m.config) === "test"));
}

/** The ensemble's splits with the roles its first member gave them. */
function withMemberRoles(
  splits: Record<string, SplitMetrics>,
  first: { config: RunConfig; results: RunResults },
): Record<string, SplitMetrics> {
  return Object.fromEntries(
    Object.entries(splits).map((
      [k, m],
    ) => [k, { ...m, role: roleOfSplit(k, first.results.splits?.[k]?.role, first.config) }]),
  );
}

/**
 * Ensembles finished run folders and, with `out`, writes the ensemble's folder.
 * The members must have evaluated the same windows (same data, splits and
 * windowing); any model, seed or training option may differ.
 *
 * @param runDirs Two or more run folders written by `train-cross`, `train-intra`, a search or a study.
 * @param options Output folder and weights.
 * @returns The ensemble's results and predictions.
 * @throws {RangeError} for fewer than 2 members, a folder that is not a finished
 *   run, members of different tasks or windows, or an output folder inside a
 *   member or inside a member's data folder.
 *
 * @example
 * ```ts ignore
 * import { ensembleRuns } from "./ensemble_runs.ts";
 *
 * const { results } = await ensembleRuns(["runs/s1", "runs/s2", "runs/s3"], { out: "runs/ensemble" });
 * console.log(results.splits.test3.windowAccuracy);
 * ```
 */
export async function ensembleRuns(
  runDirs: readonly string[],
  options: EnsembleRunsOptions = {},
): Promise<EnsembleOfRuns> {
  if (runDirs.length < 2) throw new RangeError(`An ensemble needs at least 2 run folders, got ${runDirs.length}`);
  const started = performance.now();
  const members = runDirs.map((d) => resolve(d));
  const read = await Promise.all(members.map(readMember));
  const task = read[0].config.task;
  for (const [i, m] of read.entries()) {
    if (m.config.task !== task) {
      throw new RangeError(`${members[i]}: a ${m.config.task}-subject run cannot join ${task}-subject ${members[0]}`);
    }
  }
  let rows: PredictionRow[];
  try {
    rows = ensemblePredictions(read.map((m) => m.rows), { weights: options.weights, splits: sharedSplits(read) });
  } catch (error) {
    const message = (error instanceof Error ? error.message : String(error))
      .replace(/member (\d+)/g, (_, i) => `member ${i} (${members[Number(i)]})`);
    throw new RangeError(message);
  }
  const models = [...new Set(read.map((m) => m.config.model))];
  const results: RunResults = {
    task,
    model: `ensemble(${models.join(",")})`,
    backend: [...new Set(read.map((m) => m.results.backend))].join(","),
    splits: withMemberRoles(evaluatePredictions(rows), read[0]),
    seconds: { ingest: 0, train: 0, evaluate: (performance.now() - started) / 1000 },
    trainWindowsPerSecond: 0,
    peakRssMB: peakRssMB(),
    startedAt: new Date().toISOString(),
  };
  if (options.out) {
    const out = resolve(options.out);
    for (const [i, m] of read.entries()) {
      if (await isInsideReal(out, members[i])) {
        throw new RangeError(`Refusing to write the ensemble ${out} into its member ${members[i]}`);
      }
      await assertOutsideData(out, m.config.data, "the ensemble");
    }
    await Deno.mkdir(out, { recursive: true });
    const config = { ...read[0].config, model: results.model };
    await writeRunOutputs(out, results, rows, [], config);
    const description = { members, weights: options.weights ?? members.map(() => 1), models };
    await writeFileAtomic(join(out, "ensemble.json"), JSON.stringify(description, null, 2) + "\n");
  }
  return { results, rows, members };
}
