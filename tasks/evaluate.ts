/**
 * `deno task evaluate --run RUN_DIR [--data DIR] [--out DIR] [--backend NAME]`:
 * evaluates the best model of a run folder on its test splits (or on another
 * dataset folder with the same layout) and writes `predictions.csv`,
 * `results.json` and `report.html` again (into `--out`, default the run folder).
 * The work is {@linkcode reevaluateRun}'s.
 *
 * @module
 */
import { parseArgs } from "node:util";
import type { BackendChoice } from "../backends/backend.ts";
import { reevaluateRun } from "../orchestration/evaluate_run_folder.ts";
import { runMain } from "./_train_task.ts";

const USAGE = `Usage: deno task evaluate --run RUN_DIR [options]

  --run RUN_DIR     a run folder written by train-cross or train-intra
  --data DIR        dataset root to evaluate on (default: the run's own data)
  --out DIR         where to write predictions.csv, results.json, report.html (default: RUN_DIR)
  --backend NAME    auto | webgpu | wasm | cpu (default: auto)
  --help            this text`;

/** Runs the evaluate task with command-line `args`. */
export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      run: { type: "string" },
      data: { type: "string" },
      out: { type: "string" },
      backend: { type: "string", default: "auto" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) return console.log(USAGE);
  if (!values.run) throw new RangeError(`--run RUN_DIR is required\n\n${USAGE}`);
  const { results, outDir } = await reevaluateRun(values.run, {
    data: values.data,
    out: values.out,
    backend: values.backend as BackendChoice,
  });
  for (const [key, split] of Object.entries(results.splits)) {
    console.log(
      `${key}: window acc ${split.windowAccuracy.toFixed(3)}, recording acc ${split.recordingAccuracy.toFixed(3)}`,
    );
  }
  console.log(`written to ${outDir}`);
}

if (import.meta.main) await runMain("evaluate", () => main(Deno.args));
