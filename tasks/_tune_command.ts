/**
 * The `deno task tune` command line: search flags, the training tasks' flags
 * for the fixed part of every trial, and the modes that spread a search over
 * machines (`--plan-only`, `--run-trial I`, `--merge DIR...`).
 *
 * @module
 */
import { join, resolve } from "node:path";
import { COMMON_FLAGS, parseTrainCommand, TRAIN_FLAG_OPTIONS } from "./_cli.ts";
import type { RunConfig } from "../training/run_config.ts";
import { writeFileAtomic } from "../core/atomic_write.ts";
import { applyParams } from "../tune/apply_params.ts";
import { bestTrial, type RankBy } from "../tune/best_trial.ts";
import { DEFAULT_SPACES } from "../tune/default_spaces.ts";
import { mergeTrialsTables } from "../tune/merge_trials_tables.ts";
import type { SearchSettings, Strategy } from "../tune/plan_search.ts";
import { renderSearchReport } from "../tune/report.ts";
import { runPlannedTrial, runSearch, type SearchFile } from "../tune/run_search.ts";
import { sampleParams } from "../tune/sample_params.ts";
import { readTrialsTable, rowsOfTable, writeTrialsTable } from "../tune/trials_table.ts";
import { positiveIntFlag, timeStamp } from "./_flags.ts";
import { readSearchSpaceFile } from "./_read_search_space.ts";

/** The flags of `deno task tune` besides the training flags, in `--help` form. */
export const TUNE_FLAGS = `  --task cross|intra      setting to tune (default: cross)
  --strategy NAME         grid | random | halving (default: random)
  --space FILE            search space JSON (default: the model's space, tune/default_spaces.ts)
  --trials N              random: trials (default 8); halving: configurations of the first stage
                          (default 8); grid: at most N grid points (default: all)
  --eta N                 halving: keep 1/eta per stage, eta times the epochs (default: 2)
  --rank-by LEVEL         window | recording: validation accuracy ranked first (default: window)
  --workers N             trials at once, as child processes (default: 1, in this process)
  --out DIR               search folder (default: runs/<time>-tune-<task>-<model>); rerunning
                          with the same DIR continues the search, reusing finished trials
  --plan-only             write DIR/search.json and DIR/trials/plan.json, run nothing
  --run-trial I           run trial I (from 0) of DIR/trials/plan.json, nothing else
  --merge DIR...          merge the trials tables of the search folders DIR... into --out
  --no-retrain            do not retrain and test the best configuration
  --epochs N              (training flag) the full epoch budget of each trial and of the final run
  --seed N                (training flag) seed of the trials' draws and of every run`;

/** What the command line asks for. */
export type TuneCommand =
  | { mode: "help" }
  | { mode: "search"; settings: SearchSettings; out: string; workers: number; planOnly: boolean; retrain: boolean }
  | { mode: "run-trial"; out: string; index: number }
  | { mode: "merge"; out: string; dirs: string[] };

export const TUNE_OPTIONS: Record<string, "string" | "boolean"> = {
  task: "string",
  strategy: "string",
  space: "string",
  trials: "string",
  eta: "string",
  "rank-by": "string",
  workers: "string",
  out: "string",
  "plan-only": "boolean",
  "run-trial": "string",
  merge: "boolean",
  "no-retrain": "boolean",
  help: "boolean",
};

/** Training flags that take no value (all of them: one left out would swallow the next flag). */
const COMMON_BOOLEANS = Object.entries(TRAIN_FLAG_OPTIONS).filter(([, o]) => o.type === "boolean").map(([n]) => n);

/** Flags that change what is searched (so `--out DIR` alone continues the search in DIR). */
const DEFINING = ["task", "strategy", "space", "trials", "eta", "rank-by"];

function splitArgs(args: readonly string[]) {
  const tune: Record<string, string | boolean> = {};
  const rest: string[] = [];
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith("--")) {
      positionals.push(arg);
      continue;
    }
    const [name, inline] = arg.slice(2).split(/=(.*)/s, 2);
    const kind = TUNE_OPTIONS[name];
    if (kind === "boolean") tune[name] = true;
    else if (kind === "string") {
      const value = inline ?? args[++i];
      if (value === undefined) throw new RangeError(`--${name} needs a value`);
      tune[name] = value;
    } else {
      rest.push(arg);
      if (inline === undefined && !COMMON_BOOLEANS.includes(name) && i + 1 < args.length) rest.push(args[++i]);
    }
  }
  return { tune, rest, positionals };
}

function oneOf<T extends string>(
  name: string,
  value: string | boolean | undefined,
  allowed: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T)) throw new RangeError(`--${name} must be ${allowed.join(", ")}, got ${value}`);
  return value as T;
}

/**
 * Parses the arguments of `deno task tune`. Without `--data`, the training
 * flags generate (once) and use the embedded synthetic dataset, as the
 * training tasks do.
 *
 * @param args Command-line arguments.
 * @returns The command.
 * @throws {RangeError} naming the flag for a bad value.
 *
 * @example
 * ```ts
 * import { parseTuneCommand } from "./_tune_command.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const command = await parseTuneCommand(["--run-trial", "3", "--out", "/tmp/search"]);
 * assertEquals(command, { mode: "run-trial", out: "/tmp/search", index: 3 });
 * ```
 */
export async function parseTuneCommand(args: readonly string[]): Promise<TuneCommand> {
  const { tune, rest, positionals } = splitArgs(args);
  if (tune.help || rest.includes("--help")) return { mode: "help" };
  if (tune.merge) {
    if (positionals.length === 0) throw new RangeError(`--merge needs at least one search folder`);
    if (typeof tune.out !== "string") throw new RangeError(`--merge needs --out DIR for the merged table`);
    return { mode: "merge", out: resolve(tune.out), dirs: positionals.map((d) => resolve(d)) };
  }
  if (positionals.length > 0) {
    throw new RangeError(`Unexpected argument ${positionals[0]} (only --merge takes folders)`);
  }
  if (tune["run-trial"] !== undefined) {
    const index = Number(tune["run-trial"]);
    if (!Number.isSafeInteger(index) || index < 0) {
      throw new RangeError(`--run-trial must be a trial index (0, 1, ...), got ${tune["run-trial"]}`);
    }
    if (typeof tune.out !== "string") throw new RangeError(`--run-trial needs --out DIR (the search folder)`);
    return { mode: "run-trial", out: resolve(tune.out), index };
  }
  if (rest.some((a) => a === "--resume" || a.startsWith("--resume="))) {
    throw new RangeError(`--resume is not a tune flag: rerun the same command (same --out) to continue a search`);
  }
  const workers = positiveIntFlag("workers", tune.workers) ?? 1;
  const common = { workers, planOnly: tune["plan-only"] === true, retrain: tune["no-retrain"] !== true };
  const continuing = typeof tune.out === "string" && rest.length === 0 && !DEFINING.some((f) => f in tune);
  if (continuing) {
    const file = await Deno.readTextFile(join(resolve(tune.out as string), "search.json")).catch(() => undefined);
    if (file !== undefined) {
      const { settings } = JSON.parse(file) as SearchFile;
      return { mode: "search", settings, out: resolve(tune.out as string), ...common };
    }
  }
  const task = oneOf("task", tune.task, ["cross", "intra"] as const, "cross");
  const strategy = oneOf<Strategy>("strategy", tune.strategy, ["grid", "random", "halving"], "random");
  const rankBy = oneOf<RankBy>("rank-by", tune["rank-by"], ["window", "recording"], "window");
  const train = await parseTrainCommand(task, rest);
  const base: RunConfig = train.config;
  const space = typeof tune.space === "string"
    ? await readSearchSpaceFile("space", tune.space)
    : DEFAULT_SPACES[base.model];
  if (!space) throw new RangeError(`No default search space for model ${base.model}: give --space FILE`);
  const eta = positiveIntFlag("eta", tune.eta) ?? 2;
  if (eta < 2) throw new RangeError(`--eta must be at least 2, got ${eta}`);
  const settings: SearchSettings = {
    base,
    space,
    strategy,
    trials: positiveIntFlag("trials", tune.trials) ?? null,
    seed: base.seed,
    rankBy,
    eta,
  };
  applyParams(base, sampleParams(space, settings.seed, 0)); // unknown names fail now, not after a first trial
  const out = resolve(
    typeof tune.out === "string" ? tune.out : join("runs", `${timeStamp()}-tune-${task}-${base.model}`),
  );
  return { mode: "search", settings, out, ...common };
}

function line(label: string, value: string): string {
  return `  ${label.padEnd(22)} ${value}`;
}

/**
 * Runs `deno task tune` with `args`: parses, runs the search (or one trial, or
 * a merge) and prints a summary.
 *
 * @param args Command-line arguments.
 * @throws Errors of parsing and of the search (printed by the task as one line).
 */
export async function runTuneCommand(args: readonly string[]): Promise<void> {
  const command = await parseTuneCommand(args);
  switch (command.mode) {
    case "help":
      console.log(
        `Usage: deno task tune [search flags] [training flags]\n` +
          `       deno task tune --out DIR --run-trial I\n` +
          `       deno task tune --merge DIR... --out DIR\n\nSearch flags:\n${TUNE_FLAGS}\n\n` +
          `Training flags (the fixed part of every trial):\n${COMMON_FLAGS}`,
      );
      return;
    case "run-trial": {
      const outcome = await runPlannedTrial(command.out, command.index);
      console.log(`tune: trial ${command.index} (${outcome.trialId}): ${outcome.status}`);
      if (outcome.status === "failed") throw new Error(outcome.error);
      return;
    }
    case "merge":
      return await runMerge(command);
    case "search":
      return await runSearchCommand(command);
  }
}

/** `--merge DIR... --out DIR`: one trials table (and report) of several search folders. */
async function runMerge(command: Extract<TuneCommand, { mode: "merge" }>): Promise<void> {
  const tables = await Promise.all(command.dirs.map((d) => readTrialsTable(d)));
  const merged = mergeTrialsTables(tables);
  await Deno.mkdir(command.out, { recursive: true });
  await writeTrialsTable(command.out, merged);
  const searchFile = await Deno.readTextFile(join(command.dirs[0], "search.json")).catch(() => undefined);
  if (searchFile !== undefined) {
    const { settings } = JSON.parse(searchFile) as SearchFile;
    const rows = rowsOfTable(merged, Object.keys(settings.space));
    await writeFileAtomic(
      join(command.out, "search.html"),
      await renderSearchReport({ settings, rows, best: bestTrial(rows, settings.rankBy) }, {
        title: "megflow hyper-parameter search (merged)",
      }),
    );
  }
  console.log(`tune: merged ${merged.numRows()} trials from ${command.dirs.length} folders into ${command.out}`);
}

/** Runs (or plans) a search, its workers running `tasks/tune.ts --run-trial`, and prints its outcome. */
async function runSearchCommand(command: Extract<TuneCommand, { mode: "search" }>): Promise<void> {
  const { settings } = command;
  const result = await runSearch(settings, {
    out: command.out,
    workers: command.workers,
    planOnly: command.planOnly,
    retrain: command.retrain,
  });
  if (command.planOnly) {
    const n = result.plan.stages[result.plan.stages.length - 1].trials.length;
    console.log(`tune: planned ${n} trials in ${command.out}/trials/plan.json; run each with`);
    console.log(`  deno task tune --out ${command.out} --run-trial I    (I = 0..${n - 1})`);
    return;
  }
  const done = result.rows.filter((r) => r.status === "done").length;
  console.log(
    `\n${settings.base.task}-subject ${settings.strategy} search of ${settings.base.model}: ${done}/${result.rows.length} trials done`,
  );
  if (result.best) {
    console.log(line("best trial", `${result.best.trial} ${JSON.stringify(result.best.values)}`));
    console.log(
      line(
        "validation accuracy",
        `${result.best.valWindowAccuracy?.toFixed(3)} per window, ${
          result.best.valRecordingAccuracy?.toFixed(3)
        } per recording`,
      ),
    );
  }
  if (result.final) {
    for (const [key, m] of Object.entries(result.final.results.splits)) {
      console.log(
        line(
          `retrained: ${key}`,
          `window acc ${m.windowAccuracy.toFixed(3)}  recording acc ${m.recordingAccuracy.toFixed(3)}`,
        ),
      );
    }
  }
  if (!result.plan.complete) console.log(`  the search is not complete: rerun the same command to continue it`);
  console.log(`  search folder: ${command.out} (open search.html)`);
}
