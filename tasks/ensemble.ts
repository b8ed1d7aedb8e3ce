/**
 * `deno task ensemble --runs A,B,C --out DIR`: averages the saved
 * probabilities of finished run folders window by window and writes the
 * ensemble's `predictions.csv`, `results.json`, `report.html` and
 * `ensemble.json` (see `pipeline/ensemble_runs.ts`).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { commaList } from "./_flags.ts";
import { ensembleRuns } from "../orchestration/ensemble_runs.ts";
import { runMain } from "./_train_task.ts";

const USAGE = `Usage: deno task ensemble --runs DIR,DIR[,...] --out DIR [options]

  --runs LIST       comma-separated run folders (train-cross, train-intra, tune or study runs) that
                    evaluated the same windows; any model, seed or training option may differ
  --weights LIST    comma-separated weight per run (default: equal)
  --out DIR         folder for the ensemble's predictions.csv, results.json, report.html, ensemble.json
  --help            this text`;

/** Runs the ensemble task with command-line `args`. */
export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      runs: { type: "string" },
      weights: { type: "string" },
      out: { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) return console.log(USAGE);
  if (!values.runs) throw new RangeError(`--runs DIR,DIR is required\n\n${USAGE}`);
  if (!values.out) throw new RangeError(`--out DIR is required\n\n${USAGE}`);
  const runs = commaList(values.runs);
  const weights = values.weights?.split(",").map((s) => {
    const w = Number(s);
    if (s.trim() === "" || !Number.isFinite(w) || w < 0) {
      throw new RangeError(`--weights must be non-negative numbers, got ${values.weights}`);
    }
    return w;
  });
  const { results } = await ensembleRuns(runs, { out: values.out, weights });
  console.log(`ensemble of ${runs.length} runs (${results.model}):`);
  for (const [key, split] of Object.entries(results.splits)) {
    console.log(
      `  ${key.padEnd(8)} window acc ${split.windowAccuracy.toFixed(3)}  recording acc ${
        split.recordingAccuracy.toFixed(3)
      }  macro-F1 ${split.macroF1.toFixed(3)}`,
    );
  }
  console.log(`  folder: ${values.out} (open report.html)`);
}

if (import.meta.main) await runMain("ensemble", () => main(Deno.args));
