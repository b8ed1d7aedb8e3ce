/**
 * `deno task bench`: measures ingest (and, with `--train`, training) and
 * writes a JSON report.
 *
 * ```
 * deno task bench [--data DIR] [--files 16,64] [--sink-ms 0] [--train] [--serve] [--out FILE]
 * ```
 *
 * Each `--files` count runs in a fresh child process, so every peak RSS is
 * that of one run alone. The `ingest` key holds the run with the most files;
 * `ingestRuns` holds all of them.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join, resolve } from "node:path";
import { benchIngest, type IngestReport } from "../bench/ingest.ts";
import type { TrainBenchBackend } from "../bench/train.ts";
import { catalog, recordingsOf } from "../sources/catalog.ts";
import { writeFileAtomic } from "../core/atomic_write.ts";
import { commaList, positiveIntFlag } from "./_flags.ts";
import { ensureDefaultDataset } from "../synth/default_dataset.ts";
import type { Recording } from "../core/types.ts";
import { hashSeed, Random } from "../core/random.ts";

const USAGE = `Usage: deno task bench [options]

  --data DIR        dataset root holding Cross/train (default: the generated full-size dataset)
  --files LIST      comma-separated file counts, each run in its own process (default: 16,64)
  --sink-ms N       milliseconds the sink spends per batch, like a training step (default: 0)
  --concurrency K   recordings read at once (default: 2)
  --train           also benchmark training and inference (bench/train.ts)
  --backends LIST   training backends to measure (default: wasm,webgpu,cpu)
  --models LIST     registered models to measure (default: all)
  --no-ingest       skip the ingest runs (with --train)
  --serve           benchmark the prediction server instead (bench/serve.ts; ingest too only with --files)
  --run RUN_DIR     with --serve: the run to serve (default: one trained for the benchmark)
  --requests N      with --serve: uploads one after the other (default: 60), then 4 clients x 10
  --out FILE        JSON report (default: bench/report.json; with --serve bench/serve.json)
  --help            this text`;

/** Picks `n` recordings of Cross/train, balanced across classes, in a fixed order. */
export function pickRecordings(recordings: readonly Recording[], n: number): Recording[] {
  if (n > recordings.length) {
    throw new RangeError(`Cannot benchmark: asked for ${n} files, the folder has ${recordings.length}`);
  }
  const byLabel = new Map<string, Recording[]>();
  for (const recording of new Random(hashSeed("bench")).shuffle([...recordings])) {
    byLabel.set(recording.label, [...(byLabel.get(recording.label) ?? []), recording]);
  }
  const queues = [...byLabel.values()];
  const picked: Recording[] = [];
  for (let i = 0; picked.length < n; i = (i + 1) % queues.length) {
    const next = queues[i].shift();
    if (next) picked.push(next);
  }
  return picked;
}

async function crossTrainRecordings(dataDir: string): Promise<Recording[]> {
  return recordingsOf(await catalog(join(dataDir, "Cross", "train")));
}

async function runChild(dataDir: string, files: number, flags: Record<string, string>): Promise<IngestReport> {
  const args = ["run", "-A", "--v8-flags=--expose-gc", new URL(import.meta.url).pathname, "--child"];
  args.push("--data", dataDir, "--files", String(files));
  for (const [name, value] of Object.entries(flags)) args.push(`--${name}`, value);
  const output = await new Deno.Command(Deno.execPath(), { args, stdout: "piped", stderr: "inherit" }).output();
  if (!output.success) throw new Error(`bench child for ${files} files failed (exit ${output.code})`);
  return JSON.parse(new TextDecoder().decode(output.stdout));
}

/** Runs the benchmark with command-line `args`. */
export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      data: { type: "string" },
      files: { type: "string", default: "16,64" },
      "sink-ms": { type: "string", default: "0" },
      concurrency: { type: "string", default: "2" },
      train: { type: "boolean", default: false },
      backends: { type: "string" },
      models: { type: "string" },
      "no-ingest": { type: "boolean", default: false },
      serve: { type: "boolean", default: false },
      run: { type: "string" },
      requests: { type: "string", default: "60" },
      out: { type: "string" },
      child: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) return console.log(USAGE);
  const sinkMs = Number(values["sink-ms"]);
  const concurrency = Number(values.concurrency);
  if (values.child) {
    const recordings = pickRecordings(await crossTrainRecordings(values.data!), Number(values.files));
    const report = await benchIngest(recordings, { sinkMs, concurrency });
    return console.log(JSON.stringify(report));
  }
  const counts = values.files.split(",").map(Number);
  for (const count of counts) {
    if (!Number.isInteger(count) || count < 1) {
      throw new RangeError(`--files must list positive integers, got ${values.files}`);
    }
  }
  const ingestRuns: IngestReport[] = [];
  const noIngest = values["no-ingest"] || (values.serve && !args.some((arg) => arg.startsWith("--files")));
  const out = values.out ?? (values.serve ? "bench/serve.json" : "bench/report.json");
  const dataDir = noIngest
    ? undefined
    : values.data
    ? resolve(values.data)
    : await ensureDefaultDataset({ preset: "full", splits: ["Cross/train"], onProgress: (m) => console.error(m) });
  for (const count of dataDir ? counts : []) {
    console.error(`bench: ingest of ${count} files...`);
    const run = await runChild(dataDir!, count, { "sink-ms": String(sinkMs), concurrency: String(concurrency) });
    console.error(
      `bench: ${run.files} files, ${(run.rawBytes / 1e6).toFixed(0)} MB in ${run.seconds.toFixed(1)} s ` +
        `(${run.rawMBPerSecond.toFixed(0)} MB/s), ${run.windows} windows, peak RSS ${run.peakRssMB.toFixed(0)} MB`,
    );
    ingestRuns.push(run);
  }
  const report: Record<string, unknown> = {
    date: new Date().toISOString(),
    command: `deno task bench ${args.join(" ")}`.trim(),
    machine: { cpus: navigator.hardwareConcurrency, os: Deno.build.os, arch: Deno.build.arch, deno: Deno.version.deno },
    data: dataDir,
  };
  if (ingestRuns.length > 0) {
    report.ingest = ingestRuns.reduce((a, b) => (b.files > a.files ? b : a));
    report.ingestRuns = ingestRuns;
  }
  if (values.train) {
    const { benchTrain } = await import("../bench/train.ts");

    const list = (text?: string) => text === undefined ? undefined : commaList(text);
    report.train = await benchTrain({
      backends: list(values.backends) as TrainBenchBackend[] | undefined,
      models: list(values.models),
    });
  }
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
