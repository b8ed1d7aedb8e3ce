/**
 * The rules of a run folder when a run starts or resumes: a new run never
 * mixes its files with an older run's, a resumed run continues with the
 * configuration it started with, and resuming starts from the newest complete
 * checkpoint, never silently from epoch 1 when epochs were done.
 *
 * @module
 */
import { join } from "node:path";
import { recoverDir } from "../core/atomic_write.ts";
import { type Checkpoint, loadCheckpoint } from "./checkpoint.ts";
import { canonicalJson } from "../core/canonical_json.ts";

/** What a run writes into its folder: any of them there means the folder holds a run. */
export const RUN_FOLDER_ENTRIES: readonly string[] = [
  "config.json",
  "metrics.jsonl",
  "checkpoint",
  "model",
  "predictions.csv",
  "results.json",
  "report.html",
];

/**
 * Configuration keys that may differ from the saved `config.json` when a run
 * resumes: `epochs` (to extend a finished or stopped run; under the cosine or
 * step schedule the remaining epochs then follow the schedule of the new
 * count), `backend` (where it runs; results may differ in the last bits
 * between backends) and `cacheDir` (where resampled recordings are cached).
 * Every other key must match: it would change what the epochs already done
 * mean.
 */
export const RESUMABLE_KEYS: readonly string[] = ["epochs", "backend", "cacheDir"];

/**
 * Checks that a run may use `runDir`: a new run (`resume` false) needs a
 * folder that does not exist, is empty, or holds no run file
 * ({@linkcode RUN_FOLDER_ENTRIES}); a resumed run needs `config` to match the
 * folder's `config.json` in every key but {@linkcode RESUMABLE_KEYS} (keys the
 * saved file lacks, from older versions, are not compared).
 *
 * @param runDir The run folder.
 * @param config The run's configuration as it is written to `config.json`.
 * @param resume Whether the run continues the one in `runDir`.
 * @throws {RangeError} naming the folder and the files found, or the keys that differ with both values.
 *
 * @example
 * ```ts
 * import { checkRunFolder } from "./run_folder.ts";
 * import { assertRejects } from "@std/assert";
 *
 * const dir = await Deno.makeTempDir();
 * await checkRunFolder(dir, { seed: 1 }, false); // empty: fine
 * await Deno.writeTextFile(`${dir}/config.json`, JSON.stringify({ seed: 1, epochs: 3 }));
 * await assertRejects(() => checkRunFolder(dir, { seed: 1 }, false), RangeError, "holds a run");
 * await checkRunFolder(dir, { seed: 1, epochs: 5 }, true); // epochs may grow
 * await assertRejects(() => checkRunFolder(dir, { seed: 2, epochs: 3 }, true), RangeError, "seed");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function checkRunFolder(runDir: string, config: object, resume: boolean): Promise<void> {
  if (!resume) {
    const found: string[] = [];
    for (const name of RUN_FOLDER_ENTRIES) {
      if (await Deno.stat(join(runDir, name)).then(() => true, () => false)) found.push(name);
    }
    if (found.length > 0) {
      throw new RangeError(
        `Refusing to start a new run in ${runDir}: it holds a run already (${found.join(", ")}); ` +
          `resume it (--resume ${runDir}) or choose another folder (--out)`,
      );
    }
    return;
  }
  let saved: Record<string, unknown>;
  try {
    saved = JSON.parse(await Deno.readTextFile(join(runDir, "config.json")));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return; // killed before it was written: nothing to contradict
    throw new RangeError(`Cannot resume ${runDir}: cannot read its config.json: ${error}`);
  }
  const given = config as Record<string, unknown>;
  const differing = Object.keys(saved)
    .filter((key) => !RESUMABLE_KEYS.includes(key) && canonicalJson(given[key]) !== canonicalJson(saved[key]))
    .map((key) => `${key} is ${canonicalJson(given[key])} here but ${canonicalJson(saved[key])} in its config.json`);
  if (differing.length > 0) {
    throw new RangeError(
      `Cannot resume ${runDir} with another configuration: ${differing.join("; ")} ` +
        `(only ${RESUMABLE_KEYS.join(", ")} may change on resume)`,
    );
  }
}

/**
 * The checkpoint a resumed run continues from: the newest complete one in
 * `runDir/checkpoint` (newer unfinished or damaged ones are reported through
 * `log` and skipped). A best-model folder a kill left aside is put back first.
 *
 * @param runDir The run folder.
 * @param log Receives one line per skipped checkpoint, or that the run starts from epoch 1.
 * @returns The checkpoint, or undefined when the run was killed before its first checkpoint.
 * @throws {Error} when `metrics.jsonl` records finished epochs but no complete checkpoint is left,
 *   instead of silently training again from epoch 1.
 */
export async function loadResumeCheckpoint<S>(
  runDir: string,
  log: (line: string) => void,
): Promise<Checkpoint<S> | undefined> {
  await recoverDir(join(runDir, "model"));
  try {
    const checkpoint = await loadCheckpoint<S>(join(runDir, "checkpoint"));
    for (const skipped of checkpoint.skipped) log(`megflow: ignoring an incomplete checkpoint: ${skipped}`);
    return checkpoint;
  } catch (error) {
    const metrics = await Deno.readTextFile(join(runDir, "metrics.jsonl")).catch(() => "");
    const epochs = metrics.split("\n").filter((line) => line.trim() !== "").length;
    if (epochs > 0) {
      throw new Error(
        `Cannot resume ${runDir}: metrics.jsonl records ${epochs} epochs but ${
          error instanceof Error ? error.message : error
        }`,
        { cause: error },
      );
    }
    log(`megflow: ${runDir} has no checkpoint yet: training from epoch 1`);
    return undefined;
  }
}
