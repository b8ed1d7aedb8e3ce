/**
 * Evaluating a finished run folder again: its best model on its test splits,
 * or on another dataset folder with the same layout, with `predictions.csv`,
 * `results.json` and `report.html` written again. The `evaluate` task is a thin
 * wrapper around {@linkcode reevaluateRun}.
 *
 * @module
 */
import { join, resolve } from "node:path";
import "../models/mod.ts";
import { type BackendChoice, setupBackend } from "../backends/backend.ts";
import { peakRssMB } from "../core/peak_rss.ts";
import { assertOutsideData } from "../core/_is_inside.ts";
import { validateRunInputs } from "../pipeline/validate_run_inputs.ts";
import type { RunResults } from "../evaluation/metrics.ts";
import { loadModel } from "../training/checkpoint.ts";
import type { EpochMetrics } from "../training/fit.ts";
import type { RunConfig } from "../training/run_config.ts";
import { evaluateRun, recordingsBySplit, writeRunOutputs } from "./train_run.ts";

/** Options of {@linkcode reevaluateRun}. */
export interface ReevaluateRunOptions {
  /** Dataset root to evaluate on, with the run's split folders. Default: the run's own (its `config.json`'s `data`). */
  data?: string;
  /** Folder to write `predictions.csv`, `results.json` and `report.html` into (created). Default: the run folder. */
  out?: string;
  /** tfjs backend: `auto`, `webgpu`, `wasm` or `cpu`. Default: `"auto"`. */
  backend?: BackendChoice;
  /** Receives one line per evaluated split. Default: `console.error`. */
  log?: (line: string) => void;
}

/** What {@linkcode reevaluateRun} returns. */
export interface ReevaluatedRun {
  /** The new `results.json`: the run's previous results with the new splits, backend and evaluation time. */
  results: RunResults;
  /** The folder written, absolute. */
  outDir: string;
}

/**
 * Evaluates the best model (`model/`) of a run folder on the training data and
 * every test split of its `config.json`, and writes `predictions.csv`,
 * `results.json` and `report.html` into `options.out` (default: the run
 * folder). The new results keep what the run's `results.json` said about
 * training (times, best epoch, start), take the new splits, backend and
 * evaluation seconds, and the larger peak RSS; the report shows the run's
 * `metrics.jsonl` history.
 *
 * @param runDir A run folder written by `trainRun` (the `train-cross` or `train-intra` task).
 * @param options Other data, output folder, backend, log.
 * @returns The new results and the folder written.
 * @throws {RangeError} when `runDir` has no `config.json` (not a megflow run
 *   folder) or the backend is unknown; the errors of loading the model and
 *   reading the data.
 *
 * @example
 * ```ts
 * import { reevaluateRun } from "./evaluate_run_folder.ts";
 * import { assertRejects } from "@std/assert";
 *
 * // A finished run evaluated on another dataset, written next to it:
 * async function onOtherData(runDir: string): Promise<number | undefined> {
 *   const { results } = await reevaluateRun(runDir, { data: "/data/other", out: `${runDir}-other`, backend: "wasm" });
 *   return results.splits.test3?.windowAccuracy;
 * }
 *
 * // A folder that is not a run folder is refused.
 * const dir = await Deno.makeTempDir();
 * await assertRejects(() => reevaluateRun(dir), RangeError, "not a megflow run folder");
 * await Deno.remove(dir);
 * ```
 */
export async function reevaluateRun(runDir: string, options: ReevaluateRunOptions = {}): Promise<ReevaluatedRun> {
  const dir = resolve(runDir);
  const config: RunConfig = await Deno.readTextFile(join(dir, "config.json")).then(JSON.parse, () => {
    throw new RangeError(`${dir}: no config.json (not a megflow run folder)`);
  });
  if (options.data) config.data = resolve(options.data);
  const outDir = resolve(options.out ?? dir);
  await assertOutsideData(outDir, config.data, "the evaluation");
  const backend = await setupBackend(options.backend ?? "auto");
  const model = await loadModel(join(dir, "model"));
  const bySplit = await recordingsBySplit(config);
  await validateRunInputs([...bySplit.values()].flat(), {
    steps: config.preprocess,
    maxSamples: config.maxSamples ?? undefined,
  });
  const evaluated = await evaluateRun(model, config, config.preprocess, bySplit, { log: options.log });
  model.dispose();
  const previous: Partial<RunResults> = await Deno.readTextFile(join(dir, "results.json")).then(
    JSON.parse,
    () => ({}),
  );
  const results: RunResults = {
    ...previous,
    task: config.task,
    model: config.model,
    backend: backend.backend,
    splits: evaluated.splits,
    adaptation: evaluated.adaptation,
    seconds: { ingest: 0, train: 0, ...previous.seconds, evaluate: evaluated.seconds },
    trainWindowsPerSecond: previous.trainWindowsPerSecond ?? 0,
    peakRssMB: Math.max(previous.peakRssMB ?? 0, peakRssMB()),
  };
  const history = await readJsonLines<EpochMetrics>(join(dir, "metrics.jsonl"));
  await writeRunOutputs(outDir, results, evaluated.rows, history, config);
  return { results, outDir };
}

/** The JSON values of a JSON-lines file, blank lines skipped; none when the file cannot be read. */
async function readJsonLines<T>(path: string): Promise<T[]> {
  const text = await Deno.readTextFile(path).catch(() => "");
  return text.split("\n").filter((line) => line.trim() !== "").map((line) => JSON.parse(line));
}
