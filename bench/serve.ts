/**
 * The serving benchmark: a prediction server in a child process (so its memory
 * is its own), requests uploading one recording again and again, first one
 * after the other, then from several clients at once; reports requests per
 * second, latency percentiles and the server's resident memory at the start,
 * middle and end (flat: memory is bounded).
 *
 * @module
 */
import h5wasm from "h5wasm/node";
import { basename, join } from "node:path";
import type { BackendChoice } from "../backends/backend.ts";
import { trainRun } from "../orchestration/train_run.ts";
import { generateRecording } from "../synth/generate_recording.ts";
import { writeDataset } from "../synth/write_dataset.ts";
import { runConfig } from "../training/run_config.ts";

/** Options of {@linkcode benchServe}. */
export interface ServeBenchOptions {
  /** Run folder to serve. */
  runDir: string;
  /** The h5 file every request uploads (sent as `?name=` its file name). */
  recording: string;
  /** Requests sent one after the other. Default: 60. */
  sequential?: number;
  /** Clients sending at once in the concurrent phase. Default: 4. */
  clients?: number;
  /** Requests each client sends, one after the other, in the concurrent phase. Default: 10. */
  perClient?: number;
  /** The server's limit of predictions at once (`--max-concurrent`). Default: 4. */
  maxConcurrent?: number;
  /** tfjs backend of the server. Default: `"auto"`. */
  backend?: BackendChoice;
}

/** Latency percentiles (nearest rank) of a phase, in milliseconds. */
export interface LatencyStats {
  /** Median. */
  p50Ms: number;
  /** 90th percentile. */
  p90Ms: number;
  /** 99th percentile. */
  p99Ms: number;
  /** Slowest request. */
  maxMs: number;
  /** Mean. */
  meanMs: number;
}

/** One phase of the benchmark. */
export interface ServePhaseReport {
  /** Requests sent. */
  requests: number;
  /** Responses per HTTP status, e.g. `{"200": 40}`. */
  statuses: Record<string, number>;
  /** Wall-clock seconds of the phase. */
  seconds: number;
  /** Responses per second. */
  requestsPerSecond: number;
  /** Latency of the requests, upload and answer included. */
  latency: LatencyStats;
}

/** The server's memory after some requests. */
export interface MemorySample {
  /** Requests answered before the sample. */
  afterRequests: number;
  /** Resident memory of the server process then, MB (10^6 bytes). */
  rssMB: number;
  /** Highest resident memory of the server process so far, MB. */
  peakRssMB: number;
  /** JavaScript heap in use then, MB. */
  heapUsedMB: number;
  /** Memory outside the JavaScript heap held by JavaScript objects (array buffers, the wasm heaps), MB. */
  externalMB: number;
}

/** What {@linkcode benchServe} measured. */
export interface ServeBenchReport {
  /** The tfjs backend the server predicted on. */
  backend: string;
  /** Bytes of each upload. */
  uploadBytes: number;
  /** Windows predicted per request. */
  windowsPerRequest: number;
  /** Requests one after the other. */
  sequential: ServePhaseReport;
  /** Requests from several clients at once. */
  concurrent: ServePhaseReport;
  /** Server memory: once the model is loaded, after the first request (start), half-way (middle) and at the end. */
  memory: {
    loaded: MemorySample;
    start: MemorySample;
    middle: MemorySample;
    end: MemorySample;
    samples: MemorySample[];
  };
  /** Settings used. */
  settings: Required<Omit<ServeBenchOptions, "runDir" | "recording">> & { runDir: string; recording: string };
}

/** A started server process. */
interface ServerProcess {
  url: string;
  backend: string;
  memory(afterRequests: number): Promise<MemorySample>;
  stop(): Promise<void>;
}

async function startServer(runDir: string, backend: string, maxConcurrent: number): Promise<ServerProcess> {
  const config = new URL("../deno.json", import.meta.url).pathname;
  const script = new URL("./_serve_child.ts", import.meta.url).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--config", config, script, runDir, backend, String(maxConcurrent)],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { done, value } = await lines.read();
    if (done) throw new Error(`the benchmark's server exited before listening (${(await child.status).code})`);
    text += value;
  }
  lines.releaseLock();
  child.stdout.cancel().catch(() => {});
  const { url, backend: started } = JSON.parse(text.split("\n")[0]);
  return {
    url,
    backend: started,
    memory: async (afterRequests) => ({ afterRequests, ...(await (await fetch(`${url}/__memory`)).json()) }),
    stop: async () => {
      await child.stdin.close();
      await child.status;
    },
  };
}

/** Nearest-rank percentiles and mean of durations in ms. */
export function latencyStats(ms: readonly number[]): LatencyStats {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
  const mean = sorted.length === 0 ? 0 : sorted.reduce((a, b) => a + b, 0) / sorted.length;
  return { p50Ms: at(50), p90Ms: at(90), p99Ms: at(99), maxMs: sorted.at(-1) ?? 0, meanMs: mean };
}

/** Sends one upload; its status, latency and the number of windows predicted (0 unless 200). */
async function upload(
  url: string,
  bytes: Uint8Array<ArrayBuffer>,
): Promise<{ status: number; ms: number; windows: number }> {
  const started = performance.now();
  const response = await fetch(url, {
    method: "POST",
    body: bytes,
    headers: { "content-type": "application/octet-stream" },
  });
  const body = await response.json();
  const ms = performance.now() - started;
  return { status: response.status, ms, windows: response.status === 200 ? body.windows.length : 0 };
}

function phaseReport(results: { status: number; ms: number }[], seconds: number): ServePhaseReport {
  const statuses: Record<string, number> = {};
  for (const { status } of results) statuses[status] = (statuses[status] ?? 0) + 1;
  return {
    requests: results.length,
    statuses,
    seconds,
    requestsPerSecond: results.length / seconds,
    latency: latencyStats(results.map((r) => r.ms)),
  };
}

/**
 * Serves `runDir` in a child process and measures it: `sequential` uploads of
 * `recording` one after the other, then `clients` clients sending `perClient`
 * uploads each at the same time. The server's memory is sampled once loaded,
 * after the first request, every 10 requests, half-way and after the last.
 *
 * @param options Run, recording, request counts, server limit, backend.
 * @returns Throughput, latency and memory.
 * @throws {Error} when the server cannot start or a request gets neither 200 nor 503.
 */
export async function benchServe(options: ServeBenchOptions): Promise<ServeBenchReport> {
  const settings = {
    sequential: 60,
    clients: 4,
    perClient: 10,
    maxConcurrent: 4,
    backend: "auto" as const,
    ...options,
  };
  const bytes = await Deno.readFile(settings.recording);
  const server = await startServer(settings.runDir, settings.backend, settings.maxConcurrent);
  try {
    const url = `${server.url}/predict?name=${encodeURIComponent(basename(settings.recording))}`;
    const total = settings.sequential + settings.clients * settings.perClient;
    const samples = [await server.memory(0)];
    let answered = 0;
    const send = async () => {
      const result = check(await upload(url, bytes));
      const n = ++answered;
      if (n === 1 || n % 10 === 0 || n === Math.floor(total / 2) || n === total) samples.push(await server.memory(n));
      return result;
    };
    const sequential: { status: number; ms: number; windows: number }[] = [];
    let started = performance.now();
    for (let i = 0; i < settings.sequential; i++) sequential.push(await send());
    const sequentialSeconds = (performance.now() - started) / 1000;
    started = performance.now();
    const concurrent = (await Promise.all(Array.from({ length: settings.clients }, async () => {
      const results = [];
      for (let i = 0; i < settings.perClient; i++) results.push(await send());
      return results;
    }))).flat();
    const concurrentSeconds = (performance.now() - started) / 1000;
    samples.sort((a, b) => a.afterRequests - b.afterRequests);
    const nearest = (n: number) =>
      samples.reduce((a, b) => (Math.abs(b.afterRequests - n) < Math.abs(a.afterRequests - n) ? b : a));
    return {
      backend: server.backend,
      uploadBytes: bytes.length,
      windowsPerRequest: sequential[0]?.windows ?? 0,
      sequential: phaseReport(sequential, sequentialSeconds),
      concurrent: phaseReport(concurrent, concurrentSeconds),
      memory: { loaded: samples[0], start: nearest(1), middle: nearest(total / 2), end: nearest(total), samples },
      settings,
    };
  } finally {
    await server.stop();
  }
}

function check<T extends { status: number }>(result: T): T {
  if (result.status !== 200 && result.status !== 503) {
    throw new Error(`serve benchmark: a request got HTTP ${result.status}`);
  }
  return result;
}

/** Options of {@linkcode runServeBench}: those of {@linkcode benchServe}, with the run and recording optional. */
export interface RunServeBenchOptions extends Omit<ServeBenchOptions, "runDir" | "recording"> {
  /** Run folder to serve. Default: a run trained for the benchmark (see {@linkcode runServeBench}). */
  runDir?: string;
  /** Receives progress lines. Default: `console.error`. */
  log?: (line: string) => void;
}

/**
 * The serving benchmark with everything it needs made on the spot, in a
 * temporary folder removed afterwards: a full-size synthetic recording
 * (248 x 35624 float64, ~70 MB, `task_story_math_162935_1.h5`) and, without
 * `runDir`, a run of the default model and preprocessing (EEGNet-8,2, 125 Hz,
 * z-score, 2 s windows every 1 s, BatchNorm adaptation) trained for one epoch
 * on the small synthetic dataset (its accuracy does not matter here; its cost
 * per window does).
 *
 * @param options Request counts, server limit, backend, run.
 * @returns The report of {@linkcode benchServe}.
 */
export async function runServeBench(options: RunServeBenchOptions = {}): Promise<ServeBenchReport> {
  const log = options.log ?? ((line: string) => console.error(line));
  const dir = await Deno.makeTempDir({ prefix: "megflow-serve-bench-" });
  try {
    const recording = join(dir, "task_story_math_162935_1.h5");
    log("bench: writing a full-size recording (248 x 35624 float64)...");
    await h5wasm.ready;
    const file = new h5wasm.File(recording, "w");
    const data = generateRecording("task_story_math", "162935", { nTimes: 35624 });
    file.create_dataset({ name: "task_story_math_162935", data, shape: [248, 35624], dtype: "<d" });
    file.close();
    let runDir = options.runDir;
    if (runDir === undefined) {
      log("bench: training a one-epoch run of the default model on the small synthetic dataset...");
      const splits = ["Cross/train", "Cross/test1"];
      await writeDataset(join(dir, "data"), { preset: "small", splits });
      const config = runConfig("cross", join(dir, "data"), {
        epochs: 1,
        backend: options.backend ?? "auto",
        validationSplits: ["Cross/test1"],
        testSplits: ["Cross/test1"],
      });
      await trainRun(config, { runDir: runDir = join(dir, "run"), log: () => {} });
    }
    log(`bench: serving ${runDir}...`);
    const { log: _, runDir: __, ...rest } = options;
    return await benchServe({ ...rest, runDir, recording });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
