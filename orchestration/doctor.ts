/**
 * `megflow doctor`: what this machine offers megflow. Versions, the WebGPU adapter (hardware or
 * software), which tfjs backends start, and a few timed training steps of a small EEGNet on each,
 * so a user sees at once whether their GPU is used and how fast each backend trains.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { describeBackend, probeWebgpuAdapter, setupBackend, type WebgpuAdapterSummary } from "../backends/backend.ts";
import { releaseWebgpuBackend } from "../backends/register_webgpu_backend.ts";
import { MEGFLOW_VERSION } from "../core/version.ts";
import { buildModel } from "../models/registry.ts";
import { trainStep } from "../training/train_step.ts";
import { adam } from "../training/fused_adam.ts";

/** Backends the doctor can try. */
export type DoctorBackend = "cpu" | "wasm" | "webgpu";

/** Options of {@linkcode doctor}. */
export interface DoctorOptions {
  /** Backends to start and time, in this order. Default: `["cpu", "wasm", "webgpu"]`. */
  backends?: readonly DoctorBackend[];
  /** Timed training steps per backend; the first includes compiling kernels. Default: 3. */
  steps?: number;
  /** Windows per training batch. Default: 8. */
  batchSize?: number;
  /** Sensors of the model's input. Default: 64. */
  nChans?: number;
  /** Samples per window (125 Hz: one second). Default: 125. */
  nTimes?: number;
  /** Called with a line before each backend's check. Default: nothing. */
  log?: (line: string) => void;
}

/** What one backend did. */
export interface BackendCheck {
  /** The backend. */
  backend: DoctorBackend;
  /** Whether it started. */
  started: boolean;
  /** {@linkcode describeBackend}'s summary when it started, else why it did not. */
  detail: string;
  /** Seconds of each training step (empty when it did not start or a step failed). */
  stepSeconds: number[];
  /** The error of a failed training step, if one failed. */
  error?: string;
}

/** What {@linkcode doctor} found. */
export interface DoctorReport {
  /** megflow's version. */
  megflow: string;
  /** Deno, V8 and TypeScript versions. */
  deno: { deno: string; v8: string; typescript: string };
  /** tfjs-core's version. */
  tfjs: string;
  /** Operating system, architecture and logical CPUs. */
  machine: { os: string; arch: string; cpus: number };
  /** The WebGPU adapter, or null when `navigator.gpu` offers none. */
  adapter: WebgpuAdapterSummary | null;
  /** The model, input and batch the steps were timed on, e.g. `cnn (EEGNet-8,2) on [8, 64, 125]`. */
  workload: string;
  /** One entry per backend tried. */
  backends: BackendCheck[];
  /** The backend `--backend auto` takes here, and why. */
  auto: { backend: string; reason: string };
  /** One sentence: is a GPU used, and which backend trains fastest. */
  verdict: string;
}

/** Starts `backend` and times `steps` training steps of a fresh EEGNet on one fixed batch. */
async function checkBackend(
  backend: DoctorBackend,
  steps: number,
  shape: [number, number, number],
): Promise<BackendCheck> {
  try {
    await setupBackend(backend);
  } catch (error) {
    return { backend, started: false, detail: error instanceof Error ? error.message : String(error), stepSeconds: [] };
  }
  const detail = (await describeBackend()).summary;
  const [batchSize, nChans, nTimes] = shape;
  const model = buildModel("cnn", { nChans, nTimes }, 4);
  const optimizer = adam(1e-3);
  const xs = Float32Array.from({ length: batchSize * nChans * nTimes }, (_, i) => Math.sin(i * 0.37) + (i % 7) / 7);
  const ys = Int32Array.from({ length: batchSize }, (_, i) => i % 4);
  const batch = { xs, shape: [...shape], ys, recordings: [], startSamples: [] };
  const stepSeconds: number[] = [];
  try {
    for (let step = 0; step < steps; step++) {
      const started = performance.now();
      await trainStep(model, optimizer, batch, 4);
      stepSeconds.push((performance.now() - started) / 1000);
    }
    return { backend, started: true, detail, stepSeconds };
  } catch (error) {
    return {
      backend,
      started: true,
      detail,
      stepSeconds: [],
      error: error instanceof Error ? error.message : `${error}`,
    };
  } finally {
    model.dispose();
    optimizer.dispose();
  }
}

/** The verdict sentence of a report. */
function verdictOf(adapter: WebgpuAdapterSummary | null, checks: BackendCheck[], auto: string): string {
  const timed = checks.filter((check) => check.stepSeconds.length > 0);
  const last = (check: BackendCheck) => check.stepSeconds[check.stepSeconds.length - 1];
  const fastest = timed.length > 0 ? timed.reduce((a, b) => (last(b) < last(a) ? b : a)) : undefined;
  const speed = fastest ? `; fastest training step here: ${fastest.backend} (${last(fastest).toFixed(3)} s)` : "";
  const gpu = adapter === null
    ? "no GPU is used: navigator.gpu offers no WebGPU adapter (see docs/shipping.md for the GPU setup)"
    : adapter.software
    ? `no GPU is used: the only WebGPU adapter is a software one (${adapter.description})`
    : auto === "webgpu"
    ? `the GPU is used: ${adapter.description} through WebGPU`
    : `a hardware adapter (${adapter.description}) exists but auto chose ${auto}`;
  return `${gpu}${speed}`;
}

/**
 * Checks what this machine offers megflow: versions, the WebGPU adapter, and for each backend
 * whether it starts and how long a few training steps of a small EEGNet take. Leaves the `auto`
 * backend active.
 *
 * @param options backends, steps and the size of the timed workload
 * @returns the report ({@linkcode formatDoctorReport} prints it)
 * @throws {RangeError} for a non-positive step count, batch or input size
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { doctor } from "./doctor.ts";
 *
 * const report = await doctor({ backends: ["cpu"], steps: 2, batchSize: 4, nChans: 4, nTimes: 64 });
 * assertEquals(report.backends[0].started, true);
 * assertEquals(report.backends[0].stepSeconds.length, 2);
 * ```
 */
export async function doctor(options: DoctorOptions = {}): Promise<DoctorReport> {
  const steps = options.steps ?? 3;
  const shape: [number, number, number] = [options.batchSize ?? 8, options.nChans ?? 64, options.nTimes ?? 125];
  for (const [name, value] of [["steps", steps], ["batchSize", shape[0]], ["nChans", shape[1]], ["nTimes", shape[2]]]) {
    if (!Number.isInteger(value) || (value as number) < 1) {
      throw new RangeError(`doctor: ${name} must be a positive integer, got ${value}`);
    }
  }
  const adapter = await probeWebgpuAdapter();
  const backends: BackendCheck[] = [];
  for (const backend of options.backends ?? ["cpu", "wasm", "webgpu"]) {
    options.log?.(`doctor: ${backend}...`);
    backends.push(await checkBackend(backend, steps, shape));
  }
  const auto = await setupBackend("auto");
  // A WebGPU device left alive when the process exits can crash llvmpipe's teardown.
  if (auto.backend !== "webgpu") await releaseWebgpuBackend();
  return {
    megflow: MEGFLOW_VERSION,
    deno: { ...Deno.version },
    tfjs: tf.version_core,
    machine: { os: Deno.build.os, arch: Deno.build.arch, cpus: navigator.hardwareConcurrency },
    adapter,
    workload: `cnn (EEGNet-8,2) on [${shape.join(", ")}], Adam`,
    backends,
    auto: { backend: auto.backend, reason: auto.reason },
    verdict: verdictOf(adapter, backends, auto.backend),
  };
}

/**
 * The report as the lines `megflow doctor` prints.
 *
 * @param report what {@linkcode doctor} found
 * @returns the text, one fact per line
 * @example
 * ```ts
 * import { assertStringIncludes } from "@std/assert";
 * import { doctor, formatDoctorReport } from "./doctor.ts";
 *
 * const text = formatDoctorReport(await doctor({ backends: ["cpu"], steps: 1, batchSize: 2, nChans: 4, nTimes: 64 }));
 * assertStringIncludes(text, "cpu     ok");
 * ```
 */
export function formatDoctorReport(report: DoctorReport): string {
  const { deno, machine, adapter } = report;
  const adapterLine = adapter === null
    ? "none (navigator.gpu offers no adapter)"
    : `${adapter.software ? "software" : "hardware"}: ${adapter.description}` +
      (adapter.vendor ? ` (vendor ${adapter.vendor}${adapter.architecture ? `, ${adapter.architecture}` : ""})` : "");
  const lines = [
    `megflow ${report.megflow}`,
    `deno    ${deno.deno} (V8 ${deno.v8}, TypeScript ${deno.typescript}), tfjs ${report.tfjs}`,
    `machine ${machine.os} ${machine.arch}, ${machine.cpus} CPUs`,
    `webgpu adapter: ${adapterLine}`,
    `training steps: ${report.workload}; the first step includes compiling kernels`,
  ];
  for (const check of report.backends) {
    const status = !check.started ? "failed to start" : check.error ? "step failed" : "ok";
    const steps = check.stepSeconds.map((s) => s.toFixed(3)).join(" ");
    const timing = steps ? `steps ${steps} s` : check.error ?? "";
    lines.push(`  ${check.backend.padEnd(7)} ${status.padEnd(3)}  ${timing.padEnd(28)} ${check.detail}`.trimEnd());
  }
  lines.push(`auto:   ${report.auto.backend} (${report.auto.reason})`);
  lines.push(`verdict: ${report.verdict}`);
  return lines.join("\n");
}
