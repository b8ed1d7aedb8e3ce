/**
 * `deno task bench`: measures ingest (and, with `--train`, training) and
 * writes a JSON report.
 *
 * ```
 * deno task bench [--data DIR] [--files 16,64] [--repeat N] [--wait-load 0.7] [--sink-ms 0] [--train] [--serve] [--out FILE]
 * ```
 *
 * Ingest (`bench/ingest_suite.ts`): for each `--files` count, megflow from
 * cold (no resample cache), megflow from the cache that run filled, and the
 * Python reference (h5py + scipy `resample_poly` + z-score) on h5py-written
 * copies of the same files, each timed run in a fresh child process, so that
 * every peak RSS is that of one run alone. The `ingest` key holds the cold run
 * with the most files; `ingestRuns` holds all of them.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { resolve } from "node:path";
import { benchIngestSuite, type IngestSuiteReport, ingestTable } from "../bench/ingest_suite.ts";
import type { TrainBenchBackend } from "../bench/train.ts";
import { writeFileAtomic } from "../core/atomic_write.ts";
import { commaList, positiveIntFlag } from "./_flags.ts";
import { ensureDefaultDataset } from "../synth/default_dataset.ts";

const USAGE = `Usage: deno task bench [options]

  --data DIR        dataset root holding Cross/train (default: the generated full-size dataset)
  --files LIST      comma-separated file counts, each run in its own process (default: 16,64)
  --sink-ms N       milliseconds the sink spends per batch, like a training step (default: 0)
  --concurrency K   recordings read at once (default: max(2, workers + 1))
  --workers N       workers that read and resample in the stream; 0: one thread (default: cores)
  --repeat N        timed runs of each kind per count; the report has all and the median (default: 1)
  --wait-load X     before each timed run, wait until the 1-minute load average is below X
  --wait-max S      longest such wait in seconds (default: 900)
  --python CMD      Python with h5py, scipy and numpy for the reference route and the h5py copies
                    (default: $MEGFLOW_PYTHON, python3 or /usr/bin/python3, the first that has them)
  --no-python       skip the Python reference and bench the files as they are
  --h5py-dir DIR    where the h5py-written copies go (default: in the megflow cache)
  --routes LIST     Python routes: exact (resample_poly 125/2034), decimate16 (default: exact)
  --train           also benchmark training and inference (bench/train.ts)
  --backends LIST   training backends to measure (default: wasm,webgpu,cpu)
  --models LIST     registered models to measure (default: all)
  --no-ingest       skip the ingest runs (with --train)
  --pytorch         with --train: each model on wasm, then its PyTorch twin (bench/pytorch_twins.py,
                    a Python with torch: --python CMD or the first candidate that imports it)
  --pytorch-threads N  PyTorch's threads (default: PyTorch's own default)
  --train-warmup N  untimed training steps per model on wasm, and per PyTorch twin (default: 2)
  --train-steps N   timed training steps per model on wasm, and per PyTorch twin; the median counts
                    (default: 5; a small model's first steps run in V8 before its code is optimised)
  --train-repeats N with --pytorch: rounds per model, megflow and its twin one right after the other, the
                    order alternating; the report has every round and the median ratio (default: 1)
  --serve           benchmark the prediction server instead (bench/serve.ts; ingest too only with --files)
  --run RUN_DIR     with --serve: the run to serve (default: one trained for the benchmark)
  --requests N      with --serve: uploads one after the other (default: 60), then 4 clients x 10
  --out FILE        JSON report (default: bench/report.json; with --serve bench/serve.json)
  --help            this text`;

/** A flag's number: `undefined` when absent, else a number >= 0 (an integer >= 1 with `positive`). */
function numberFlag(name: string, text: string | undefined, positive = false): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (positive ? !Number.isInteger(value) || value < 1 : !Number.isFinite(value) || value < 0) {
    throw new RangeError(`--${name} must be a ${positive ? "positive integer" : "non-negative number"}, got ${text}`);
  }
  return value;
}

/** The ingest runs of `deno task bench` (bench/ingest_suite.ts), with their table on stderr. */
async function benchIngestRuns(values: Record<string, string | boolean | undefined>): Promise<IngestSuiteReport> {
  const text = (name: string) => values[name] as string | undefined;
  const counts = text("files")!.split(",").map((count) => numberFlag("files", count, true)!);
  const dataDir = text("data")
    ? resolve(text("data")!)
    : await ensureDefaultDataset({ preset: "full", splits: ["Cross/train"], onProgress: (m) => console.error(m) });
  const suite = await benchIngestSuite({
    dataDir,
    counts,
    sinkMs: numberFlag("sink-ms", text("sink-ms")),
    concurrency: numberFlag("concurrency", text("concurrency"), true),
    workers: numberFlag("workers", text("workers")),
    repeat: numberFlag("repeat", text("repeat"), true),
    waitLoad: numberFlag("wait-load", text("wait-load")),
    waitMaxSeconds: numberFlag("wait-max", text("wait-max")),
    python: values["no-python"] ? false : text("python"),
    h5pyDir: text("h5py-dir"),
    routes: commaList(text("routes")!) as ("exact" | "decimate16")[],
  });
  console.error(`\n${ingestTable(suite)}\n`);
  return suite;
}

/** The training benchmark of `--train` (against the PyTorch twins with `--pytorch`): the report's fields. */
async function benchTrainRuns(values: Record<string, string | boolean | undefined>): Promise<Record<string, unknown>> {
  const { benchTrain } = await import("../bench/train.ts");
  const text = (name: string) => values[name] as string | undefined;
  const list = (value?: string) => value === undefined ? undefined : commaList(value);
  const warmup = numberFlag("train-warmup", text("train-warmup"));
  const steps = numberFlag("train-steps", text("train-steps"), true);
  if (warmup !== undefined && !Number.isInteger(warmup)) {
    throw new RangeError(`--train-warmup must be a non-negative integer, got ${text("train-warmup")}`);
  }
  const trainOptions = {
    backends: list(text("backends")) as TrainBenchBackend[] | undefined,
    models: list(text("models")),
    ...(warmup === undefined ? {} : { warmupSteps: { wasm: warmup } }),
    ...(steps === undefined ? {} : { steps: { wasm: steps } }),
  };
  if (!values.pytorch) return { train: await benchTrain(trainOptions) };
  const { benchTrainAgainstPytorch } = await import("../bench/pytorch_reference.ts");
  const threads = numberFlag("pytorch-threads", text("pytorch-threads"), true);
  const repeats = numberFlag("train-repeats", text("train-repeats"), true);
  return await benchTrainAgainstPytorch({
    ...trainOptions,
    python: text("python"),
    threads,
    repeats,
    onProgress: console.error,
  });
}

/** Runs the benchmark with command-line `args`. */
export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      data: { type: "string" },
      files: { type: "string", default: "16,64" },
      "sink-ms": { type: "string", default: "0" },
      concurrency: { type: "string" },
      workers: { type: "string" },
      repeat: { type: "string", default: "1" },
      "wait-load": { type: "string" },
      "wait-max": { type: "string", default: "900" },
      python: { type: "string" },
      "no-python": { type: "boolean", default: false },
      "h5py-dir": { type: "string" },
      routes: { type: "string", default: "exact" },
      train: { type: "boolean", default: false },
      backends: { type: "string" },
      models: { type: "string" },
      "no-ingest": { type: "boolean", default: false },
      pytorch: { type: "boolean", default: false },
      "pytorch-threads": { type: "string" },
      "train-warmup": { type: "string" },
      "train-steps": { type: "string" },
      "train-repeats": { type: "string" },
      serve: { type: "boolean", default: false },
      run: { type: "string" },
      requests: { type: "string", default: "60" },
      out: { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) return console.log(USAGE);
  if (values.pytorch && !values.train) throw new RangeError("--pytorch compares training speed: use it with --train");
  if (values["train-repeats"] !== undefined && !values.pytorch) {
    throw new RangeError("--train-repeats alternates megflow and its PyTorch twin: use it with --train --pytorch");
  }
  const report: Record<string, unknown> = {
    date: new Date().toISOString(),
    command: `deno task bench ${args.join(" ")}`.trim(),
    machine: {
      cpus: navigator.hardwareConcurrency,
      os: Deno.build.os,
      arch: Deno.build.arch,
      deno: Deno.version.deno,
      loadavgAtStart: Deno.loadavg(),
    },
  };
  const noIngest = values["no-ingest"] || (values.serve && !args.some((arg) => arg.startsWith("--files")));
  const out = values.out ?? (values.serve ? "bench/serve.json" : "bench/report.json");
  if (!noIngest) {
    const suite = await benchIngestRuns(values);
    report.data = suite.filesDir;
    report.ingest = suite.counts.reduce((a, b) => (b.files > a.files ? b : a)).cold.median;
    report.ingestRuns = suite;
  }
  if (values.train) Object.assign(report, await benchTrainRuns(values));
  if (values.serve) {
    const { runServeBench } = await import("../bench/serve.ts");
    report.serve = await runServeBench({
      runDir: values.run,
      sequential: positiveIntFlag("requests", values.requests),
    });
  }
  await writeFileAtomic(out, JSON.stringify(report, null, 2) + "\n");
  console.error(`bench: report written to ${out}`);
}

if (import.meta.main) {
  await main(Deno.args).catch((error) => {
    console.error(`bench: ${error instanceof Error ? error.message : error}`);
    Deno.exit(1);
  });
}
