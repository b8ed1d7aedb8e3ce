/**
 * The ingest benchmark: streams recordings through
 * read -> resample -> zscore -> window -> shuffle -> batch into a sink that
 * does nothing (or sleeps per batch, like a training step) and then hands the
 * batch back (`releaseBatch`, as `fit` does after each step), and reports
 * throughput and the process's peak resident memory (workers included: they
 * are threads of the process).
 *
 * @module
 */
import process from "node:process";
import { consume } from "../pipeline/consume.ts";
import { peakRssMB } from "../core/peak_rss.ts";
import { PullGate } from "../core/pull_gate.ts";
import { DEFAULT_PREPROCESS, type PreprocessStep } from "../pipeline/preprocess.ts";
import { streamBatches } from "../pipeline/stream_batches.ts";
import { releaseBatch } from "../operators/shuffle_into_batches.ts";
import type { Recording } from "../core/types.ts";

/** Options of {@linkcode benchIngest}. */
export interface IngestBenchOptions {
  /** Preprocessing steps. Default: DEFAULT_PREPROCESS (125 Hz, z-score, 2 s windows every 1 s). */
  steps?: readonly PreprocessStep[];
  /** Recordings read at once. Default: `max(2, workers + 1)`, as `streamWindows`. */
  concurrency?: number;
  /** Workers that read and resample (see `streamWindows`); 0: this thread. Default: `navigator.hardwareConcurrency`. */
  workers?: number;
  /**
   * Resample cache folder: a cold run fills it, a second run reads it (the cached rate).
   * Default: none (every run reads and resamples the raw files).
   */
  cacheDir?: string;
  /** Windows per batch. Default: 32. */
  batchSize?: number;
  /** Shuffle buffer in windows. Default: 256. */
  shuffleBuffer?: number;
  /** Milliseconds the sink waits per batch, standing in for a training step. Default: 0. */
  sinkMs?: number;
  /** Batches the sink may hold before readers wait. Default: 2. */
  highWaterMark?: number;
}

/** What {@linkcode benchIngest} measured. */
export interface IngestReport {
  /** Recordings streamed. */
  files: number;
  /** Bytes of the h5 files read. */
  rawBytes: number;
  /** Wall-clock seconds from subscription to the last batch. */
  seconds: number;
  /** rawBytes / 1e6 / seconds. */
  rawMBPerSecond: number;
  /**
   * CPU seconds of the process over the same span, all threads (workers included):
   * `cpuSeconds / seconds` is how many cores the stream kept busy.
   */
  cpuSeconds: number;
  /** Windows that reached the sink. */
  windows: number;
  /** Batches that reached the sink. */
  batches: number;
  /** Peak resident set size of the process, MB. */
  peakRssMB: number;
  /** Most batches the sink held at once. */
  gatePeak: number;
  /** 1-, 5- and 15-minute load averages of the machine when the run started. */
  loadavg: number[];
  /** Settings used (`cacheDir` null: no cache). */
  settings: Required<Omit<IngestBenchOptions, "steps" | "cacheDir">> & {
    steps: readonly PreprocessStep[];
    cacheDir: string | null;
  };
}

/**
 * Streams `recordings` once and measures it.
 *
 * @param recordings Recordings to stream (e.g. Cross/train).
 * @param options Pipeline and sink settings.
 * @returns The measurements.
 */
export async function benchIngest(
  recordings: readonly Recording[],
  options: IngestBenchOptions = {},
): Promise<IngestReport> {
  const workers = options.workers ?? Math.max(1, navigator.hardwareConcurrency ?? 1);
  const settings = {
    steps: options.steps ?? DEFAULT_PREPROCESS,
    concurrency: options.concurrency ?? Math.max(2, workers + 1),
    workers,
    cacheDir: options.cacheDir ?? null,
    batchSize: options.batchSize ?? 32,
    shuffleBuffer: options.shuffleBuffer ?? 256,
    sinkMs: options.sinkMs ?? 0,
    highWaterMark: options.highWaterMark ?? 2,
  };
  let rawBytes = 0;
  for (const recording of recordings) rawBytes += (await Deno.stat(recording.path)).size;
  const gate = new PullGate(settings.highWaterMark);
  const batches$ = streamBatches(recordings, { ...settings, cacheDir: options.cacheDir, gate, seed: 1 });
  const loadavg = Deno.loadavg();
  let windows = 0;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const batches = await consume(batches$, async (batch) => {
    windows += batch.ys.length;
    if (settings.sinkMs > 0) await new Promise((resolve) => setTimeout(resolve, settings.sinkMs));
    releaseBatch(batch); // done with it, as fit() is after each training step
  }, { gate });
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  return {
    files: recordings.length,
    rawBytes,
    seconds,
    rawMBPerSecond: rawBytes / 1e6 / seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    windows,
    batches,
    peakRssMB: peakRssMB(),
    gatePeak: gate.peak,
    loadavg,
    settings,
  };
}
