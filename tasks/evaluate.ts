/**
 * `deno task evaluate --run RUN_DIR [--data DIR] [--out DIR] [--backend NAME]`:
 * evaluates the best model of a run folder on its test splits (or on another
 * dataset folder with the same layout) and writes `predictions.csv`,
 * `results.json` and `report.html` again (into `--out`, default the run folder).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join, resolve } from "node:path";
import "../models/mod.ts";
import { setupBackend } from "../backends/backend.ts";
import { loadModel } from "../training/checkpoint.ts";
import type { EpochMetrics } from "../training/fit.ts";
import type { RunResults } from "../evaluation/metrics.ts";
import { peakRssMB } from "../core/peak_rss.ts";
import type { RunConfig } from "../training/run_config.ts";
import type { BackendChoice } from "../backends/backend.ts";
import { evaluateRun, recordingsBySplit, writeRunOutputs } from "../orchestration/train_run.ts";
import { runMain } from "./_train_task.ts";

const USAGE = `Usage: deno task evaluate --run RUN_DIR [options]

  --run RUN_DIR     a run folder written by train-cross or train-intra
  --data DIR        dataset root to evaluate on (default: the run's own data)
  --out DIR         where to write predictions.csv, results.json, report.html (default: RUN_DIR)
  --backend NAME    auto | webgpu | wasm | cpu (default: auto)
  --help            this text`;

async function readJsonLines<T>(path: string): Promise<T[]> {
  const text = await Deno.readTextFile(path).catch(() => "");
  return text.split("\n").filter((line) => line.trim() !== "").map((line) => JSON.parse(line));
}

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
  const runDir = resolve(values.run);
  const config: RunConfig = await Deno.readTextFile(join(runDir, "config.json")).then(JSON.parse, () => {
    throw new RangeError(`${runDir}: no config.json (not a megflow run folder)`);
  });
  if (values.data) config.data = resolve(values.data);
  const backend = await setupBackend(values.backend as BackendChoice);
  const model = await loadModel(join(runDir, "model"));
  const bySplit = await recordingsBySplit(config);
  const evaluated = await evaluateRun(model, config, config.preprocess, bySplit);
  model.dispose();
  const previous: Partial<RunResults> = await Deno.readTextFile(join(runDir, "results.json")).then(
    JSON.parse,
    () => ({}),
  );
  const results: RunResults = {
    ...previous,
    task: config.task,
    model: config.model,
    backend: backend.backend,
    splits: evaluated.splits,
    seconds: { ingest: 0, train: 0, ...previous.seconds, evaluate: evaluated.seconds },
    trainWindowsPerSecond: previous.trainWindowsPerSecond ?? 0,
    peakRssMB: Math.max(previous.peakRssMB ?? 0, peakRssMB()),
  };
  const history = await readJsonLines<EpochMetrics>(join(runDir, "metrics.jsonl"));
  const outDir = resolve(values.out ?? runDir);
  await writeRunOutputs(outDir, results, evaluated.rows, history, config);
  for (const [key, split] of Object.entries(results.splits)) {
    console.log(
      `${key}: window acc ${split.windowAccuracy.toFixed(3)}, recording acc ${split.recordingAccuracy.toFixed(3)}`,
    );
  }
  console.log(`written to ${outDir}`);
}

if (import.meta.main) await runMain("evaluate", () => main(Deno.args));
