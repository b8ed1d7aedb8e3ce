/**
 * The command line of a trial worker: a child `deno` process running one
 * planned trial through `tasks/tune.ts --run-trial`. The tune and study
 * commands hand it to the worker pool of `tune/` (which names no task itself).
 *
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The arguments (after `deno`) of a worker running trial `index` of
 * `out/trials/plan.json`: `run -A --config <repo>/deno.json <repo>/tasks/tune.ts --run-trial I --out OUT`.
 *
 * @param index Trial index in `OUT/trials/plan.json`.
 * @param out The folder holding `trials/plan.json`.
 * @returns Arguments for `deno`.
 *
 * @example
 * ```ts
 * import { tuneWorkerArgs } from "./_worker_args.ts";
 * import { assert, assertEquals } from "@std/assert";
 *
 * const args = tuneWorkerArgs(3, "/s");
 * assertEquals(args.slice(-4), ["--run-trial", "3", "--out", "/s"]);
 * assert(args[4].endsWith("tune.ts") && args[3].endsWith("deno.json"));
 * ```
 */
export function tuneWorkerArgs(index: number, out: string): string[] {
  const root = fileURLToPath(new URL("../", import.meta.url));
  return [
    "run",
    "-A",
    "--config",
    join(root, "deno.json"),
    join(root, "tasks", "tune.ts"),
    "--run-trial",
    String(index),
    "--out",
    out,
  ];
}
