/**
 * Running one trial of a search into its own run folder, so that a search can
 * be interrupted and rerun: a finished trial is reused, an interrupted one
 * resumes from its last checkpoint.
 *
 * @module
 */
import { join } from "node:path";
import { exists } from "../core/_exists.ts";
import { writeFileAtomic } from "../core/atomic_write.ts";
import type { RunConfig } from "../training/run_config.ts";
import { trainRun } from "../orchestration/train_run.ts";
import { validateHoldout } from "./validate_holdout.ts";
import type { RunResults } from "../evaluation/metrics.ts";
import { validationOf } from "../training/validation_plan.ts";

/** One planned trial: what `trials/plan.json` lists. */
export interface TrialSpec {
  /** Position in its stage's plan (what `--run-trial` takes), from 0. */
  index: number;
  /** Stable id (hash of `config`), also the trial's folder name. */
  trialId: string;
  /** Stage: 0 for grid and random search, the rung for successive halving. */
  stage: number;
  /** The searched parameters' values. */
  values: Record<string, unknown>;
  /** The complete run configuration. */
  config: RunConfig;
}

/** What a trial runner gets: as `trainRun`'s options. */
export interface TrialRunnerOptions {
  /** The trial's folder. */
  runDir: string;
  /** Whether the folder holds an interrupted run to continue. */
  resume: boolean;
  /** Receives log lines. */
  log: (line: string) => void;
}

/** Trains (and validates) one trial into its folder. */
export type TrialRunner = (config: RunConfig, options: TrialRunnerOptions) => Promise<void>;

/** Options of {@linkcode runTrial}. */
export interface RunTrialOptions {
  /** What runs the trial. Default: {@linkcode trainTrial}. */
  runner?: TrialRunner;
  /** Receives log lines. Default: `console.error`. */
  log?: (line: string) => void;
}

/** How a trial ended. */
export interface TrialOutcome {
  /** The trial's id. */
  trialId: string;
  /** `reused`: finished before, not run again; `done`: ran now; `failed`: threw (see `error.txt`). */
  status: "reused" | "done" | "failed";
  /** The error message of a failed trial. */
  error?: string;
}

/**
 * Whether a run of `config` validates on recordings drawn from its training folders
 * (held-out chunks, or a left-out subject) rather than on folders of their own.
 *
 * @param config A run configuration.
 * @returns True for validation `holdout` with chunks to hold out, or `loso`.
 *
 * @example
 * ```ts
 * import { validatesOnHoldout } from "./run_trial.ts";
 * import { runConfig } from "../training/run_config.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const folders = runConfig("cross", "/d", { validationSplits: ["Cross/test1", "Cross/test2"] });
 * assertEquals([validatesOnHoldout(runConfig("cross", "/d")), validatesOnHoldout(folders)], [true, false]);
 * ```
 */
export function validatesOnHoldout(config: RunConfig): boolean {
  const spec = validationOf(config);
  return spec.kind === "loso" || (spec.kind === "holdout" && spec.chunks > 0);
}

/** Whether a run folder's `results.json` holds a split with the role `validation` (runs written since roles exist). */
async function resultsHaveValidation(dir: string): Promise<boolean> {
  const text = await Deno.readTextFile(join(dir, "results.json")).catch(() => undefined);
  if (text === undefined) return false;
  try {
    const results = JSON.parse(text) as RunResults;
    return Object.values(results.splits ?? {}).some((m) => m.role === "validation");
  } catch {
    return false;
  }
}

/**
 * Whether the trial folder holds a finished trial: `results.json`, and for
 * validation drawn from the training folders its metrics (in `results.json`, or in
 * the `validation.json` of trials finished before roles existed).
 *
 * @param dir The trial folder.
 * @param config The trial's configuration.
 * @returns True when finished.
 */
export async function isTrialFinished(dir: string, config: RunConfig): Promise<boolean> {
  if (!(await exists(join(dir, "results.json")))) return false;
  if (!validatesOnHoldout(config)) return true;
  return (await resultsHaveValidation(dir)) || (await exists(join(dir, "validation.json")));
}

/**
 * The default trial runner: `trainRun` (unless `results.json` is there
 * already). `trainRun` writes the validation metrics into `results.json` (role
 * `validation`, evaluated as its early stopping validated, AdaBN included); only a
 * run finished before that gets them computed again, into `validation.json`.
 *
 * @param config The trial's configuration.
 * @param options Folder, resume, log.
 */
export async function trainTrial(config: RunConfig, options: TrialRunnerOptions): Promise<void> {
  if (!(await exists(join(options.runDir, "results.json")))) {
    await trainRun(config, { runDir: options.runDir, resume: options.resume, log: options.log });
  }
  if (validatesOnHoldout(config) && !(await resultsHaveValidation(options.runDir))) {
    const validation = await validateHoldout(config, options.runDir);
    await writeFileAtomic(join(options.runDir, "validation.json"), JSON.stringify(validation, null, 2) + "\n");
  }
}

/**
 * Runs one trial into its folder (a search puts it in
 * `<searchDir>/trials/<trialId>/`) unless it finished there before: writes `trial.json` (id, values, configuration), resumes an
 * interrupted run (a `config.json` without results), and records a failure in
 * `error.txt` instead of throwing, so one bad configuration does not stop a search.
 *
 * @param trial The planned trial.
 * @param dir The trial's folder (created).
 * @param options Runner and log.
 * @returns How the trial ended.
 *
 * @example
 * ```ts
 * import { runTrial } from "./run_trial.ts";
 * import { runConfig } from "../training/run_config.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const dir = await Deno.makeTempDir();
 * const config = runConfig("cross", "/data", { validationSplits: ["Cross/test1", "Cross/test2"] });
 * const trial = { index: 0, trialId: "t1", stage: 0, values: {}, config };
 * let runs = 0;
 * const runner = async (_: unknown, o: { runDir: string }) => {
 *   runs++;
 *   await Deno.writeTextFile(`${o.runDir}/results.json`, "{}");
 * };
 * assertEquals((await runTrial(trial, `${dir}/t1`, { runner })).status, "done");
 * assertEquals((await runTrial(trial, `${dir}/t1`, { runner })).status, "reused");
 * assertEquals(runs, 1);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function runTrial(
  trial: TrialSpec,
  dir: string,
  options: RunTrialOptions = {},
): Promise<TrialOutcome> {
  const log = options.log ?? ((line: string) => console.error(line));
  const runner = options.runner ?? trainTrial;
  if (await isTrialFinished(dir, trial.config)) return { trialId: trial.trialId, status: "reused" };
  await Deno.mkdir(dir, { recursive: true });
  await writeFileAtomic(
    join(dir, "trial.json"),
    JSON.stringify({ trialId: trial.trialId, values: trial.values, config: trial.config }, null, 2) + "\n",
  );
  await Deno.remove(join(dir, "error.txt")).catch(() => {});
  const resume = await exists(join(dir, "config.json"));
  try {
    await runner(trial.config, { runDir: dir, resume, log });
    return { trialId: trial.trialId, status: "done" };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const detail = error instanceof Error && error.stack ? error.stack : message;
    await writeFileAtomic(join(dir, "error.txt"), detail + "\n");
    log(`tune: trial ${trial.trialId} failed: ${message}`);
    return { trialId: trial.trialId, status: "failed", error: message };
  }
}
