/**
 * The worker process of a search that runs trials in parallel:
 * `deno run -A --config deno.json tune/_trial_worker.ts --run-trial I --out OUT` runs trial
 * `I` of `OUT/trials/plan.json`, as `deno task tune --run-trial I --out OUT` does, and exits
 * non-zero when the trial failed. It lives in `tune/` so that the search names nothing of
 * the command-line layer above it.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { runPlannedTrial } from "./run_search.ts";

/**
 * Runs the trial that `args` (`--run-trial I --out OUT`) name.
 *
 * @param args The worker's command-line arguments.
 * @throws {RangeError} when an argument is missing or not a trial index; an Error when the trial failed.
 */
export async function runTrialWorker(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { "run-trial": { type: "string" }, out: { type: "string" } } });
  const index = Number(values["run-trial"]);
  if (!values.out || values["run-trial"] === undefined || !Number.isSafeInteger(index) || index < 0) {
    throw new RangeError(`usage: _trial_worker.ts --run-trial I --out OUT, got ${args.join(" ")}`);
  }
  const outcome = await runPlannedTrial(values.out, index);
  console.log(`tune: trial ${index} (${outcome.trialId}): ${outcome.status}`);
  if (outcome.status === "failed") throw new Error(outcome.error);
}

if (import.meta.main) {
  try {
    await runTrialWorker(Deno.args);
  } catch (error) {
    console.error(`tune: ${error instanceof Error ? error.message : error}`);
    Deno.exit(1);
  }
}
