/**
 * Running a list of planned trials of one folder, one after the other in this
 * process or as child processes (the worker pool), skipping finished ones.
 *
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runTrial, type TrialRunner, type TrialSpec } from "./run_trial.ts";
import { runWorkers } from "./run_workers.ts";
import { readTrialRow, type TrialRow } from "./trial_row.ts";

/** Options of {@linkcode runTrials}. */
export interface RunTrialsOptions {
  /**
   * Trials run at once. 1 runs them one after the other in this process; more
   * runs each as a child process, the command line of `workerArgs` (which must
   * run trial I of `OUT/trials/plan.json`, so the trials must be that plan's). Default: 1.
   */
  workers?: number;
  /** Runs a trial in this process (workers = 1). Default: `trainTrial`. */
  runner?: TrialRunner;
  /** Receives progress lines. Default: `console.error`. */
  log?: (line: string) => void;
  /**
   * The command line (after `deno`) of a worker running trial `index` of
   * `out/trials/plan.json`. Default: {@linkcode defaultWorkerArgs}.
   */
  workerArgs?: (index: number, out: string) => string[];
  /** Prefix of progress lines. Default: "tune". */
  name?: string;
}

/**
 * The command line (after `deno`) of a worker running trial `index` of `out/trials/plan.json`:
 * `run -A --config <repo>/deno.json <repo>/tune/_trial_worker.ts --run-trial I --out OUT`.
 *
 * @param index Trial index in `OUT/trials/plan.json`.
 * @param out The folder holding `trials/plan.json`.
 * @returns Arguments for `deno`.
 *
 * @example
 * ```ts
 * import { defaultWorkerArgs } from "./run_trials.ts";
 * import { assertEquals, assertStringIncludes } from "@std/assert";
 *
 * const args = defaultWorkerArgs(3, "/s");
 * assertStringIncludes(args[4], "_trial_worker.ts");
 * assertEquals(args.slice(-4), ["--run-trial", "3", "--out", "/s"]);
 * ```
 */
export function defaultWorkerArgs(index: number, out: string): string[] {
  const config = fileURLToPath(new URL("../deno.json", import.meta.url));
  const worker = fileURLToPath(new URL("./_trial_worker.ts", import.meta.url));
  return ["run", "-A", "--config", config, worker, "--run-trial", String(index), "--out", out];
}

/**
 * One line about a trial's row: validation accuracies, epochs and time, or its status.
 *
 * @param row The row.
 * @returns The text.
 *
 * @example
 * ```ts
 * import { rowSummary } from "./run_trials.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(rowSummary({ status: "failed", error: "RangeError: bad" } as never), "failed: RangeError: bad");
 * ```
 */
export function rowSummary(row: TrialRow): string {
  return row.status === "done"
    ? `validation ${row.valWindowAccuracy?.toFixed(3)} per window, ${
      row.valRecordingAccuracy?.toFixed(3)
    } per recording, ` +
      `${row.epochsRun} epochs, ${row.seconds?.toFixed(0)} s`
    : `${row.status}${row.error ? `: ${row.error}` : ""}`;
}

/**
 * Runs the given trials of `out/trials/plan.json` into `out/trials/<trialId>/`
 * (see `runTrial`: finished ones are reused, interrupted ones resume, failures are recorded).
 *
 * @param trials The trials to run (of the plan written in `out`).
 * @param out The folder holding `trials/`.
 * @param options Workers, runner, log.
 * @returns The rows of the trials afterwards.
 * @throws {RangeError} when `workers` is not a positive integer.
 *
 * @example
 * ```ts
 * import { runTrials } from "./run_trials.ts";
 * import { assertRejects } from "@std/assert";
 *
 * await assertRejects(() => runTrials([], "/tmp/search", { workers: 0 }), RangeError, "positive integer");
 * ```
 */
export async function runTrials(
  trials: readonly TrialSpec[],
  out: string,
  options: RunTrialsOptions = {},
): Promise<TrialRow[]> {
  const log = options.log ?? ((line: string) => console.error(line));
  const workers = options.workers ?? 1;
  const name = options.name ?? "tune";
  if (!Number.isSafeInteger(workers) || workers < 1) {
    throw new RangeError(`Cannot run trials: workers must be a positive integer, got ${workers}`);
  }
  const label = (t: TrialSpec, i: number) => `${name}: ${t.trialId} (${i + 1}/${trials.length})`;
  if (workers === 1) {
    for (const [i, trial] of trials.entries()) {
      log(`${label(trial, i)} ${JSON.stringify(trial.values)}`);
      await runTrial(trial, join(out, "trials", trial.trialId), { runner: options.runner, log });
      log(`${name}: ${trial.trialId}: ${rowSummary(await readTrialRow(out, trial))}`);
    }
  } else {
    const args = options.workerArgs ?? defaultWorkerArgs;
    await runWorkers(
      trials.map((trial, i) => ({
        args: args(trial.index, out),
        logFile: join(out, "trials", trial.trialId, "log.txt"),
        label: label(trial, i),
      })),
      { workers, log },
    );
    for (const trial of trials) log(`${name}: ${trial.trialId}: ${rowSummary(await readTrialRow(out, trial))}`);
  }
  return await Promise.all(trials.map((t) => readTrialRow(out, t)));
}
