/**
 * One row of a search's trials table, read from a trial's folder.
 *
 * Validation accuracy (what a search ranks by; never a test split): the mean over
 * the splits of the trial's `results.json` whose role is `validation` (held-out
 * chunks or a left-out subject under the key `validation`, or the folders of
 * `--validation A,B`) of each split's accuracy, per window and per recording
 * (majority vote). They are evaluated exactly as the run's early stopping validated
 * (AdaBN included), so the window accuracy equals the best epoch's `valAccuracy` in
 * `metrics.jsonl`. Trials finished before roles existed: the folders of
 * `validationSplits`, or `validation.json` for held-out chunks.
 *
 * Train accuracy is that of the best model on the training recordings,
 * evaluated after training (`results.json`, split `train`).
 *
 * @module
 */
import { join } from "node:path";
import { exists } from "../core/_exists.ts";
import type { RunResults, SplitMetrics } from "../evaluation/metrics.ts";
import type { TrialSpec } from "./run_trial.ts";
import { roleOfSplit, validationOf } from "../training/validation_plan.ts";
import { splitKey } from "../core/_split_key.ts";

/** Status of a trial in the table. */
export type TrialStatus = "done" | "failed" | "interrupted" | "pending";

/** One trial of one stage. */
export interface TrialRow {
  /** Trial id (folder name). */
  trial: string;
  /** Stage (halving rung; 0 otherwise). */
  stage: number;
  /** Searched parameter values. */
  values: Record<string, unknown>;
  /** Epoch budget of the trial. */
  epochs: number;
  /** Mean validation accuracy per window (see the module doc); null until done. */
  valWindowAccuracy: number | null;
  /** Mean validation accuracy per recording (majority vote); null until done. */
  valRecordingAccuracy: number | null;
  /** Training accuracy per window after training; null until done. */
  trainWindowAccuracy: number | null;
  /** Training accuracy per recording after training; null until done. */
  trainRecordingAccuracy: number | null;
  /** Epochs trained (lines of metrics.jsonl; fewer than `epochs` after early stopping). */
  epochsRun: number | null;
  /** Epoch whose weights were kept. */
  bestEpoch: number | null;
  /** Wall-clock seconds of the run. */
  seconds: number | null;
  /** done, failed (see `error`), interrupted (started, no results) or pending. */
  status: TrialStatus;
  /** First line of the error of a failed trial. */
  error: string | null;
}

async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(path)) as T;
  } catch {
    return undefined;
  }
}

function mean(values: number[]): number | null {
  return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
}

/** The validation-role splits of a trial's results (see the module doc). */
async function validationOfTrial(dir: string, trial: TrialSpec, results: RunResults): Promise<SplitMetrics[]> {
  const spec = validationOf(trial.config);
  if (spec.kind === "splits") {
    const found = spec.splits.map((s) => results.splits?.[splitKey(s)]);
    // Done only with the results of every validation split (test1 alone is not the ranking measure).
    return found.every((m) => m !== undefined) ? found as SplitMetrics[] : [];
  }
  const withRole = Object.entries(results.splits ?? {})
    .filter(([key, m]) => roleOfSplit(key, m.role, trial.config) === "validation")
    .map(([, m]) => m);
  if (withRole.length > 0) return withRole;
  const heldOut = await readJson<SplitMetrics>(join(dir, "validation.json"));
  return heldOut ? [heldOut] : [];
}

/**
 * Reads the row of a planned trial from `<searchDir>/trials/<trialId>/`.
 *
 * @param searchDir The search folder.
 * @param trial The planned trial.
 * @returns The row (status `pending` when the folder holds nothing yet).
 */
export async function readTrialRow(searchDir: string, trial: TrialSpec): Promise<TrialRow> {
  const dir = join(searchDir, "trials", trial.trialId);
  const row: TrialRow = {
    trial: trial.trialId,
    stage: trial.stage,
    values: trial.values,
    epochs: trial.config.epochs,
    valWindowAccuracy: null,
    valRecordingAccuracy: null,
    trainWindowAccuracy: null,
    trainRecordingAccuracy: null,
    epochsRun: null,
    bestEpoch: null,
    seconds: null,
    status: "pending",
    error: null,
  };
  const results = await readJson<RunResults>(join(dir, "results.json"));
  const validation = results ? await validationOfTrial(dir, trial, results) : [];
  if (results && validation.length > 0) {
    row.status = "done";
    row.valWindowAccuracy = mean(validation.map((m) => m.windowAccuracy));
    row.valRecordingAccuracy = mean(validation.map((m) => m.recordingAccuracy));
    row.trainWindowAccuracy = results.splits.train?.windowAccuracy ?? null;
    row.trainRecordingAccuracy = results.splits.train?.recordingAccuracy ?? null;
    row.bestEpoch = results.bestEpoch ?? null;
    row.seconds = results.seconds.total ?? null;
    const metrics = await Deno.readTextFile(join(dir, "metrics.jsonl")).catch(() => "");
    row.epochsRun = metrics.split("\n").filter((line) => line.trim() !== "").length;
    return row;
  }
  const error = await Deno.readTextFile(join(dir, "error.txt")).catch(() => undefined);
  if (error !== undefined) {
    row.status = "failed";
    row.error = error.split("\n")[0].slice(0, 300);
  } else if (await exists(join(dir, "config.json"))) {
    row.status = "interrupted";
  }
  return row;
}
