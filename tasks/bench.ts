/**
 * `deno task bench`: measures ingest (and, with `--train`, training) and
 * writes a JSON report.
 *
 * ```
 * deno task bench [--data DIR] [--files 16,64] [--repeat N] [--wait-load 0.7] [--train] [--out FILE]
 * ```
 *
 * Ingest (`bench/ingest_suite.ts`): for each `--files` count, megflow from
 * cold (no resample cache), megflow from the cache that run filled, and the
 * Python reference (h5py + scipy `resample_poly` + z-score) on the same
 * h5py-written copies of the files, each timed run in a process of its own, so
 * that every peak RSS is that of one run alone. The `ingest` key holds the
 * cold run with the most files; `ingestRuns` holds everything.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { resolve } from "node:path";
import { benchIngestSuite, type IngestSuiteReport, ingestTable } from "../bench/ingest_suite.ts";
import type { TrainBenchBackend } from "../bench/train.ts";
import { writeFileAtomic } from "../core/atomic_write.ts";
import { commaList } from "./_flags.ts";
import { ensureDefaultDataset } from "../synth/default_dataset.ts";

const USAGE = `Usage: deno task bench [options]

  --data DIR        dataset root holding Cross/train (default: the generated full-size dataset)
  --files LIST      comma-separated file counts, each run in its own process (default: 16,64)
  --workers N       workers that read and resample in the stream; 0: one thread (default: cores)
  --concurrency K   recordings read at once (default: max(2, workers))
  --sink-ms N       milliseconds the sink spends per batch, like a training step (default: 0)
  --repeat N        timed runs of each kind per count; the report has all and the median (default: 1)
  --wait-load X     before each timed run, wait until the 1-minute load average is below X
  --wait-max S      longest such wait in seconds (default: 900)
  --python CMD      Python with h5py, scipy and numpy for the reference route and the h5py
                    copies (default: $MEGFLOW_PYTHON, python3 or /usr/bin/python3, the first that has them)
  --no-python       skip the Python reference and bench the files as they are
  --h5py-dir DIR    where the h5py-written copies go (default: in the megflow cache)
  --routes LIST     Python routes: exact (resample_poly 125/2034), decimate16 (default: exact)
  --train           also benchmark training and inference (bench/train.ts)
  --backends LIST   training backends to measure (default: wasm,webgpu,cpu)
  --models LIST     registered models to measure (default: all)
  --no-ingest       skip the ingest runs (with --train)
  --out FILE        JSON report (default: bench/report.json)
  --help            this text`;

const FLAGS = {
  data: { type: "string" },
  files: { type: "string", default: "16,64" },
  workers: { type: "string" },
  concurrency: { type: "string" },
  "sink-ms": { type: "string", default: "0" },
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
  out: { type: "string", default: "bench/report.json" },
  help: { type: "boolean", default: false },
} as const;

function positiveIntegers(flag: string, text: string): number[] {
  const values = text.split(",").map(Number);
  if (values.some((v) => !Number.isInteger(v) || v < 1)) {
    throw new RangeError(`--${flag} must list positive integers, got ${text}`);
  }
  return values;
}

function optionalNumber(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(`--${flag} must be a non-negative number, got ${text}`);
  }
  return value;
}

async function ingest(values: ReturnType<typeof parse>["values"]): Promise<IngestSuiteReport> {
  const dataDir = values.data
    ? resolve(values.data)
    : await ensureDefaultDataset({ preset: "full", splits: ["Cross/train"], onProgress: (m) => console.error(m) });
  const suite = await benchIngestSuite({
    dataDir,
    counts: positiveIntegers("files", values.files),
    workers: optionalNumber("workers", values.workers),
    concurrency: optionalNumber("concurrency", values.concurrency),
    sinkMs: optionalNumber("sink-ms", values["sink-ms"]),
    repeat: positiveIntegers("repeat", values.repeat)[0],
    waitLoad: optionalNumber("wait-load", values["wait-load"]),
    waitMaxSeconds: optionalNumber("wait-max", values["wait-max"]),
    python: values["no-python"] ? false : values.python,
    h5pyDir: values["h5py-dir"],
    routes: commaList(values.routes) as ("exact" | "decimate16")[],
  });
  console.error(`\n${ingestTable(suite)}\n`);
  return suite;
}

function parse(args: string[]) {
  return parseArgs({ args, options: FLAGS });
}

/** Runs the benchmark with command-line `args`. */
export async function main(args: string[]): Promise<void> {
  const { values } = parse(args);
  if (values.help) return console.log(USAGE);
  const report: Record<string, unknown> = {
    date: new Date().toISOString(),
    command: `deno task bench ${args.join(" ")}`.trim(),
    machine: {
      cpus: navigator.hardwareConcurrency,
      os: Deno.build.os,
      arch: Deno.build.arch,
      deno: Deno.version.deno,
      memoryGB: Deno.systemMemoryInfo().total / 2 ** 30,
      loadavgAtStart: Deno.loadavg(),
    },
  };
  if (!values["no-ingest"]) {
    const suite = await ingest(values);
    const largest = suite.counts.reduce((a, b) => (b.files > a.files ? b : a));
    Object.assign(report, { data: suite.filesDir, ingest: largest.cold.median, ingestRuns: suite });
  }
  if (values.train) {
    const { benchTrain } = await import("../bench/train.ts");
    const list = (text?: string) => text === undefined ? undefined : commaList(text);
    report.train = await benchTrain({
      backends: list(values.backends) as TrainBenchBackend[] | undefined,
      models: list(values.models),
    });
  }
  await writeFileAtomic(values.out, JSON.stringify(report, null, 2) + "\n");
  console.error(`bench: report written to ${values.out}`);
}

if (import.meta.main) {
  await main(Deno.args).catch((error) => {
    console.error(`bench: ${error instanceof Error ? error.message : error}`);
    Deno.exit(1);
  });
}
