/**
 * The ingest benchmark of `deno task bench`: for each file count, megflow
 * from cold (no resample cache), megflow from the cache the cold run filled,
 * and the Python reference route on the same h5py-written files, each timed
 * run in a process of its own and, when asked, only once the machine is quiet.
 *
 * @module
 */
import { basename, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { IngestReport } from "./ingest.ts";
import type { IngestChildSpec } from "./_ingest_child.ts";
import { pickRecordings } from "./pick_recordings.ts";
import {
  copyThroughH5py,
  findPython,
  type PythonInfo,
  type PythonReport,
  runPythonReference,
} from "./python_reference.ts";
import { catalog, recordingsOf } from "../sources/catalog.ts";
import { hashSeed } from "../core/random.ts";
import { megflowCacheDir } from "../synth/megflow_cache_dir.ts";

/** Options of {@linkcode benchIngestSuite}. */
export interface IngestSuiteOptions {
  /** Dataset root holding `Cross/train` (megflow's generated files, or any). */
  dataDir: string;
  /** File counts, each measured on its own (a prefix of the same class-balanced pick). */
  counts: readonly number[];
  /** Workers of the stream (see `streamWindows`). Default: `navigator.hardwareConcurrency`. */
  workers?: number;
  /** Recordings read at once. Default: `max(2, workers + 1)`. */
  concurrency?: number;
  /** Milliseconds the sink spends per batch. Default: 0. */
  sinkMs?: number;
  /**
   * Python command for the reference and the h5py copies; `false` skips both. Default:
   * the first Python found with h5py, scipy and numpy (`findPython`), else skipped with a note.
   */
  python?: string | false;
  /**
   * Where the h5py-written copies of the picked files go (`<dir>/Cross/train/...`), made once
   * and reused. Default: `<megflowCacheDir()>/bench-h5py/<data folder name>-<hash of its path>`.
   */
  h5pyDir?: string;
  /** Python routes to time: `exact` (resample_poly) and/or `decimate16`. Default: `["exact"]`. */
  routes?: readonly ("exact" | "decimate16")[];
  /** Each timed run waits until the 1-minute load average is below this. Default: no wait. */
  waitLoad?: number;
  /** Longest wait for a quiet machine, seconds; then the run goes ahead (its load is recorded). Default: 900. */
  waitMaxSeconds?: number;
  /** Timed runs of each kind per count; the report holds all and their median. Default: 1. */
  repeat?: number;
  /** Progress lines. Default: stderr. */
  log?: (line: string) => void;
}

/** Every timed run of one kind, and the median one. */
export interface Runs<T> {
  /** The run with the median rate. */
  median: T;
  /** All runs, in the order they ran. */
  runs: T[];
}

/** The measurements of one file count. */
export interface IngestCount {
  /** Files streamed. */
  files: number;
  /** megflow without a resample cache (it fills one, as a first epoch does). */
  cold: Runs<IngestReport>;
  /** megflow reading the cache the cold run filled. */
  cached: Runs<IngestReport>;
  /** The Python reference routes on the same files, by route. */
  python: Partial<Record<"exact" | "decimate16", Runs<PythonReport>>>;
  /** cold rate / Python exact rate (medians), when measured. */
  coldOverPython?: number;
}

/** What {@linkcode benchIngestSuite} measured. */
export interface IngestSuiteReport {
  /** Folder the runs read (the h5py copies when made). */
  filesDir: string;
  /** Whether those files were written by h5py (copied here). */
  h5pyWritten: boolean;
  /** The Python used, or why there is none. */
  python: PythonInfo | { skipped: string };
  /** One entry per count, in the order of `counts`. */
  counts: IngestCount[];
}

/**
 * Runs the ingest benchmark (see the module doc).
 *
 * @param options Data, counts, stream settings, Python, quiet-machine wait, repeats.
 * @returns Every measurement.
 */
export async function benchIngestSuite(options: IngestSuiteOptions): Promise<IngestSuiteReport> {
  const log = options.log ?? ((line: string) => console.error(line));
  const dataDir = resolve(options.dataDir);
  const all = recordingsOf(await catalog(join(dataDir, "Cross", "train")));
  const largest = Math.max(...options.counts);
  const picked = pickRecordings(all, largest);
  const python = options.python === false
    ? undefined
    : options.python
    ? await findPython([options.python])
    : await findPython();
  let filesDir = dataDir;
  if (python) {
    filesDir = resolve(options.h5pyDir ?? defaultH5pyDir(dataDir));
    log(`bench: writing ${picked.length} files through h5py into ${filesDir} (once)...`);
    const copy = await copyThroughH5py(python.command, dataDir, filesDir, picked.map((r) => relative(dataDir, r.path)));
    log(`bench: h5py copies: ${copy.copied} written, ${copy.skipped} already there`);
  } else {
    log(`bench: Python reference skipped: ${skipReason(options.python)}`);
  }
  const paths = picked.map((r) => join(filesDir, relative(dataDir, r.path)));
  log(`bench: reading ${paths.length} files once so that every run finds them in the page cache...`);
  for (const path of paths) await readThrough(path);
  const counts: IngestCount[] = [];
  for (const files of options.counts) {
    counts.push(await measureCount(files, filesDir, paths.slice(0, files), python, options, log));
  }
  return {
    filesDir,
    h5pyWritten: python !== undefined,
    python: python ?? { skipped: skipReason(options.python) },
    counts,
  };
}

function skipReason(python: string | false | undefined): string {
  if (python === false) return "--no-python";
  return `no ${
    python ?? "python3"
  } with h5py, scipy and numpy (apt-get install python3-h5py python3-scipy python3-numpy, or set MEGFLOW_PYTHON)`;
}

function defaultH5pyDir(dataDir: string): string {
  return join(megflowCacheDir(), "bench-h5py", `${basename(dataDir)}-${hashSeed(dataDir).toString(16)}`);
}

async function readThrough(path: string): Promise<void> {
  using file = await Deno.open(path);
  const buffer = new Uint8Array(8 << 20);
  while ((await file.read(buffer)) !== null) {
    // only to bring the file into the page cache
  }
}

/** Cold, cached and Python runs of one count, `repeat` times each. */
async function measureCount(
  files: number,
  filesDir: string,
  paths: readonly string[],
  python: PythonInfo | undefined,
  options: IngestSuiteOptions,
  log: (line: string) => void,
): Promise<IngestCount> {
  const repeat = options.repeat ?? 1;
  const spec = {
    dataDir: filesDir,
    files,
    workers: options.workers,
    concurrency: options.concurrency,
    sinkMs: options.sinkMs,
  };
  const cold: IngestReport[] = [];
  const cached: IngestReport[] = [];
  const py: Partial<Record<"exact" | "decimate16", PythonReport[]>> = {};
  for (let i = 0; i < repeat; i++) {
    const cacheDir = await Deno.makeTempDir({ prefix: "megflow-bench-cache-" });
    try {
      await quiet(options, log);
      cold.push(await runChild({ ...spec, cacheDir }));
      log(`bench: ${files} files, cold:   ${describe(cold[cold.length - 1])}`);
      await quiet(options, log);
      cached.push(await runChild({ ...spec, cacheDir }));
      log(`bench: ${files} files, cached: ${describe(cached[cached.length - 1])}`);
    } finally {
      await Deno.remove(cacheDir, { recursive: true });
    }
    for (const route of python ? options.routes ?? ["exact"] : []) {
      await quiet(options, log);
      const report = await runPythonReference(python!.command, paths, route);
      (py[route] ??= []).push(report);
      log(
        `bench: ${files} files, Python ${route}: ${report.rawMBPerSecond.toFixed(0)} MB/s (${
          report.seconds.toFixed(1)
        } s)`,
      );
    }
  }
  const result: IngestCount = { files, cold: runsOf(cold), cached: runsOf(cached), python: {} };
  for (const [route, runs] of Object.entries(py)) result.python[route as "exact"] = runsOf(runs);
  const exact = result.python.exact?.median;
  if (exact) result.coldOverPython = result.cold.median.rawMBPerSecond / exact.rawMBPerSecond;
  return result;
}

function describe(run: IngestReport): string {
  return `${run.rawMBPerSecond.toFixed(0)} MB/s (${run.seconds.toFixed(1)} s), ${run.windows} windows, ` +
    `peak RSS ${run.peakRssMB.toFixed(0)} MB, load ${run.loadavg[0].toFixed(2)}`;
}

/** The runs and the one with the median rate (the lower middle one for an even count). */
export function runsOf<T extends { rawMBPerSecond: number }>(runs: T[]): Runs<T> {
  const sorted = [...runs].sort((a, b) => a.rawMBPerSecond - b.rawMBPerSecond);
  return { median: sorted[Math.floor((sorted.length - 1) / 2)], runs };
}

/** Waits until the 1-minute load average is below `waitLoad` (at most `waitMaxSeconds`). */
async function quiet(options: IngestSuiteOptions, log: (line: string) => void): Promise<void> {
  if (options.waitLoad === undefined) return;
  const deadline = performance.now() + 1000 * (options.waitMaxSeconds ?? 900);
  let told = false;
  while (Deno.loadavg()[0] >= options.waitLoad && performance.now() < deadline) {
    if (!told) {
      log(
        `bench: waiting for the 1-minute load (${Deno.loadavg()[0].toFixed(2)}) to fall below ${options.waitLoad}...`,
      );
    }
    told = true;
    await new Promise((resolve) => setTimeout(resolve, 10_000));
  }
}

async function runChild(spec: IngestChildSpec): Promise<IngestReport> {
  const child = fileURLToPath(new URL("./_ingest_child.ts", import.meta.url));
  const args = ["run", "-A", "--v8-flags=--expose-gc", child, JSON.stringify(spec)];
  const output = await new Deno.Command(Deno.execPath(), { args, stdout: "piped", stderr: "inherit" }).output();
  if (!output.success) throw new Error(`bench child for ${spec.files} files failed (exit ${output.code})`);
  return JSON.parse(new TextDecoder().decode(output.stdout));
}

/**
 * The suite's results as a Markdown table: per count, raw MB, cold and cached
 * megflow MB/s (median and every run), the cores the cold run kept busy (CPU
 * seconds / wall seconds), Python MB/s and the ratio, peak RSS, windows, load.
 *
 * @param report What {@linkcode benchIngestSuite} returned.
 * @returns The table, one line per count, with its header.
 */
export function ingestTable(report: IngestSuiteReport): string {
  const mb = (x: number) => x.toFixed(0);
  const rates = (runs: { rawMBPerSecond: number }[]) => runs.map((r) => mb(r.rawMBPerSecond)).join(", ");
  const python = (runs: Runs<PythonReport> | undefined) =>
    runs ? `${mb(runs.median.rawMBPerSecond)} (${rates(runs.runs)})` : "skipped";
  const rows = report.counts.map((c) => {
    const cold = c.cold.median;
    return [
      c.files,
      mb(cold.rawBytes / 1e6),
      cold.seconds.toFixed(1),
      `**${mb(cold.rawMBPerSecond)}** (${rates(c.cold.runs)})`,
      (cold.cpuSeconds / cold.seconds).toFixed(2),
      `${mb(c.cached.median.rawMBPerSecond)} (${rates(c.cached.runs)})`,
      python(c.python.exact),
      c.coldOverPython === undefined ? "-" : `**${c.coldOverPython.toFixed(2)}x**`,
      python(c.python.decimate16),
      `${mb(Math.max(...c.cold.runs.map((r) => r.peakRssMB)))} MB`,
      `${mb(Math.max(...c.cached.runs.map((r) => r.peakRssMB)))} MB`,
      cold.windows,
      c.cold.runs.map((r) => r.loadavg[0].toFixed(2)).join(", "),
    ].join(" | ");
  });
  const header = "files | raw MB | cold s | cold MB/s (runs) | cores busy | cached MB/s (runs) | " +
    "Python exact MB/s (runs) | cold / Python | Python decimate16 MB/s | peak RSS cold | peak RSS cached | " +
    "windows | load at start (cold runs)";
  const rule = header.split(" | ").map(() => "---").join(" | ");
  return [header, rule, ...rows].map((line) => `| ${line} |`).join("\n");
}
