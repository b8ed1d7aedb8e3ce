/**
 * The training benchmark: windows per second of a training step (forward, backward, Adam update)
 * and of inference, for every registered model on the `wasm`, `webgpu` and `cpu` backends.
 *
 * The reference is EEGNet-8,2 (`cnn`) on `[248, 250]` windows (248 sensors, 2 s at 125 Hz),
 * batch 32, Adam. The other models get the windows the default preprocessing produces: sensor
 * windows `[248, 250]`, or `[250, 20, 20]` frames for grid models. Steps go through the same
 * `trainStep`/`predictBatch` as real training, on a fixed random batch.
 *
 * @module
 */
import { setupBackend } from "../backends/backend.ts";
import { buildModel, MODELS, type SignalShape } from "../models/registry.ts";
import { predictBatch, trainStep } from "../training/train_step.ts";
import { adam } from "../training/fused_adam.ts";
import { MODEL_RECIPES } from "../training/model_recipes.ts";
import { Random } from "../core/random.ts";
import { helperTasks, helperThreadReady, kernelThreads } from "../core/_helper_thread.ts";
import type { Batch } from "../core/types.ts";
import process from "node:process";

/** Backends the training benchmark can measure. */
export type TrainBenchBackend = "wasm" | "webgpu" | "cpu";

/** Steps per backend. */
export type PerBackend = Partial<Record<TrainBenchBackend, number>>;

/** Options of {@linkcode benchTrain}; every field is optional. */
export interface TrainBenchOptions {
  /** Backends to measure, in this order. Default: `["wasm", "webgpu", "cpu"]`. */
  backends?: TrainBenchBackend[];
  /** Registered model names (or {@linkcode BENCH_VARIANTS}) to measure. Default: all of `MODELS`. */
  models?: string[];
  /** Timed training steps per backend. Default: `{ wasm: 5, webgpu: 1, cpu: 1 }`. */
  steps?: PerBackend;
  /**
   * Untimed training steps first (shader compilation, heap growth); with at least one, an
   * untimed inference batch runs before the timed ones too. Default: `{ wasm: 2, webgpu: 1, cpu: 0 }`.
   */
  warmupSteps?: PerBackend;
  /** Timed inference batches per backend (one untimed batch runs first). Default: the training steps. */
  inferenceSteps?: PerBackend;
  /** Windows per batch. Default: 32. */
  batchSize?: number;
  /** Window shape per model. Default: {@linkcode DEFAULT_BENCH_SIGNALS}. */
  signals?: Record<string, SignalShape>;
  /** Classes of the output layer. Default: 4. */
  nClasses?: number;
  /** Called with a line of progress (backend, model, step times). Default: none. */
  onProgress?: (message: string) => void;
}

/** What {@linkcode benchTrain} measured for one model on one backend. */
export interface TrainBenchResult {
  /** Training windows per second: batch size / median step time. */
  windowsPerSecond: number;
  /** Median wall-clock milliseconds of a training step. */
  msPerStep: number;
  /**
   * CPU milliseconds of the whole process (every thread: the helper thread's too) per timed training step,
   * `process.cpuUsage()` over all timed steps; less sensitive to other jobs' load than the wall-clock median.
   */
  cpuMsPerStep?: number;
  /** Every timed training step, wall-clock milliseconds, in order. */
  stepMs?: number[];
  /** Inference windows per second: batch size / median inference time of a batch. */
  inferenceWindowsPerSecond: number;
  /** Timed training steps the median is over. */
  steps: number;
  /** Weights of the model (trainable and non-trainable), `model.countParams()`. */
  params: number;
  /**
   * Tasks handed to the helper thread per timed step (`core/_helper_thread.ts`: split products
   * and recurrences on the second core); 0 when the step ran on one thread.
   */
  helperTasksPerStep?: number;
}

/** Results by backend, then by model. */
export type TrainBenchReport = Record<string, Record<string, TrainBenchResult>>;

/** Window shapes of the default preprocessing: 248 sensors, 2 s at 125 Hz, 20 x 20 grids. */
export const DEFAULT_BENCH_SIGNALS: Readonly<Record<"channels" | "grid" | "bands", SignalShape>> = Object.freeze({
  channels: { nChans: 248, nTimes: 250 },
  bands: { nChans: 248, nTimes: 5 },
  grid: { nChans: 248, nTimes: 250, gridRows: 20, gridCols: 20 },
});

/** A bench variant: a registered model built with other options, and the PyTorch twin it compares with. */
export interface BenchVariant {
  /** The registered model. */
  model: string;
  /** Its options. */
  options: object;
  /** The twin in `bench/pytorch_twins.py` (default: the model's own, for variants of the same network). */
  twin?: string;
}

/**
 * Extra names the benchmark accepts besides the registered models: a registered model with
 * other options. `cnn_textbook` is EEGNet-8,2 in the textbook layer order (temporal conv on
 * every sensor, BatchNorm, then the spatial conv), to compare with the default `cnn`, which
 * computes the same network spatial filter first. `gru_stock` and `cascade_stock` run tfjs's `GRU` where
 * the defaults run the fused one. `vivit_cross` is the network `deno task train-cross --model vivit`
 * trains (its recipe's `modelOptions`, training/model_recipes.ts: 8 spatial filters, then 8 FIR cell
 * filters of 32 taps over the window and each output's log mean power per whole-grid 50-sample tubelet,
 * linear tokens, no spatial blocks, 2 temporal blocks, 32-wide tokens, 2 heads: 23 460 weights), since
 * session 21 also vivit's registry default (the same network written out, and its twin the same). `vivit_wide`
 * is vivit's registry default before session 21, a network no recipe trains (10 x 10-cell tubelets
 * of 25 samples, no cell or spatial filters, energy tokens, 2 spatial and 2 temporal blocks, 64-wide
 * tokens, 4 heads: 463 876 weights), kept to measure large tubelet products against PyTorch's (docs/performance.md).
 */
export const BENCH_VARIANTS: Readonly<Record<string, BenchVariant>> = Object.freeze({
  cnn_textbook: { model: "cnn", options: { spatialFirst: false } },
  gru_stock: { model: "gru", options: { fused: false } },
  cascade_stock: { model: "cascade", options: { fused: false } },
  vivit_cross: { model: "vivit", options: { ...MODEL_RECIPES.vivit.cross?.modelOptions }, twin: "vivit_cross" },
  vivit_wide: {
    model: "vivit",
    options: {
      tubelet: [25, 10, 10],
      cellFilters: 0,
      spatialFilters: 0,
      cellFilterTaps: 0,
      stem: "energy",
      spatialDepth: 2,
      embedDim: 64,
      numHeads: 4,
    },
    twin: "vivit_wide",
  },
});

/** Default timed training steps per backend (webgpu on a software adapter and cpu take minutes per EEGNet step). */
export const DEFAULT_STEPS: Readonly<Required<PerBackend>> = Object.freeze({ wasm: 5, webgpu: 1, cpu: 1 });
/** Default untimed warm-up steps per backend. */
export const DEFAULT_WARMUP: Readonly<Required<PerBackend>> = Object.freeze({ wasm: 2, webgpu: 1, cpu: 0 });

/** A fixed random batch for `signal` in the layout of `model`. */
function randomBatch(model: string, signal: SignalShape, batchSize: number, nClasses: number): Batch {
  const grid = MODELS[model].input === "grid";
  const shape = grid
    ? [batchSize, signal.nTimes, signal.gridRows as number, signal.gridCols as number]
    : [batchSize, signal.nChans, signal.nTimes];
  const random = new Random(20240501);
  const xs = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < xs.length; i++) xs[i] = random.normal();
  const ys = Int32Array.from({ length: batchSize }, (_, i) => i % nClasses);
  return { xs, shape, ys, recordings: [], startSamples: [] };
}

/** The 1-minute load average, or "unknown" without `--allow-sys`. */
function loadAverage(): string {
  try {
    return Deno.loadavg()[0].toFixed(2);
  } catch {
    return "unknown";
  }
}

/** The median of `values` (the mean of the middle two for an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function count(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`Cannot benchmark training: ${name} must be an integer >= ${min}, got ${value}`);
  }
  return value;
}

/** Throws a RangeError for an unknown backend or model. */
function checkNames(backends: readonly string[], models: readonly string[]): void {
  for (const backend of backends) {
    if (!(backend in DEFAULT_STEPS)) {
      throw new RangeError(`Cannot benchmark training: unknown backend "${backend}", expected wasm, webgpu or cpu`);
    }
  }
  for (const model of models) {
    if (!Object.hasOwn(MODELS, model) && !Object.hasOwn(BENCH_VARIANTS, model)) {
      throw new RangeError(
        `Cannot benchmark training: unknown model "${model}", known: ${
          [...Object.keys(MODELS), ...Object.keys(BENCH_VARIANTS)].join(", ")
        }`,
      );
    }
  }
}

/**
 * Measures training and inference throughput of registered models on tfjs backends.
 *
 * For each backend (started with `setupBackend`) and model: builds the model, runs the warm-up
 * steps, times the training steps (Adam, lr 1e-3) and inference batches one by one, and reports
 * medians. The machine's load shows up in the numbers: run it on an otherwise idle machine.
 *
 * @param options Backends, models, step counts and shapes; see {@linkcode TrainBenchOptions}.
 * @returns `{ [backend]: { [model]: { windowsPerSecond, msPerStep, inferenceWindowsPerSecond, steps, params } } }`
 * @throws {RangeError} for an unknown model or backend, or a step count below its minimum
 * @throws {Error} when a backend cannot start (e.g. no WebGPU adapter)
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { benchTrain } from "./train.ts";
 *
 * const report = await benchTrain({
 *   backends: ["wasm"],
 *   models: ["cnn"],
 *   steps: { wasm: 1 },
 *   warmupSteps: { wasm: 0 },
 *   batchSize: 2,
 *   signals: { cnn: { nChans: 4, nTimes: 32 } },
 * });
 * assert(report.wasm.cnn.windowsPerSecond > 0);
 * ```
 */
export async function benchTrain(options: TrainBenchOptions = {}): Promise<TrainBenchReport> {
  const backends = options.backends ?? ["wasm", "webgpu", "cpu"];
  const models = options.models ?? Object.keys(MODELS);
  const batchSize = count("batchSize", options.batchSize ?? 32, 1);
  const nClasses = count("nClasses", options.nClasses ?? 4, 2);
  const progress = options.onProgress ?? (() => {});
  checkNames(backends, models);
  const report: TrainBenchReport = {};
  for (const backend of backends) {
    const steps = count(`steps.${backend}`, options.steps?.[backend] ?? DEFAULT_STEPS[backend], 1);
    const warmup = count(`warmupSteps.${backend}`, options.warmupSteps?.[backend] ?? DEFAULT_WARMUP[backend], 0);
    const inference = count(`inferenceSteps.${backend}`, options.inferenceSteps?.[backend] ?? steps, 1);
    const setup = await setupBackend(backend);
    // megflow's product and GRU kernels split large work with a helper thread once it is up
    const threads = backend === "wasm"
      ? `; megflow's kernels on ${(await helperThreadReady()) ? "2 threads" : "1 thread"} now ` +
        `(MEGFLOW_KERNEL_THREADS: ${kernelThreads()}, 1-minute load average ${loadAverage()})`
      : "";
    progress(`${backend}: ${setup.reason}${threads}`);
    report[backend] = {};
    for (const name of models) {
      const variant = BENCH_VARIANTS[name] ?? { model: name, options: {} };
      const signal = options.signals?.[name] ?? DEFAULT_BENCH_SIGNALS[MODELS[variant.model].input];
      const batch = randomBatch(variant.model, signal, batchSize, nClasses);
      const model = buildModel(variant.model, signal, nClasses, variant.options);
      const optimizer = adam(1e-3);
      try {
        for (let i = 0; i < warmup; i++) await trainStep(model, optimizer, batch, nClasses);
        const stepMs: number[] = [];
        const tasksBefore = helperTasks();
        const cpuBefore = process.cpuUsage();
        for (let i = 0; i < steps; i++) {
          const started = performance.now();
          await trainStep(model, optimizer, batch, nClasses);
          stepMs.push(performance.now() - started);
        }
        const cpu = process.cpuUsage(cpuBefore);
        if (warmup > 0) await predictBatch(model, batch, nClasses);
        const inferMs: number[] = [];
        for (let i = 0; i < inference; i++) {
          const started = performance.now();
          await predictBatch(model, batch, nClasses);
          inferMs.push(performance.now() - started);
        }
        const helperPerStep = (helperTasks() - tasksBefore) / steps;
        const msPerStep = median(stepMs);
        const result: TrainBenchResult = {
          windowsPerSecond: batchSize / (msPerStep / 1000),
          msPerStep,
          cpuMsPerStep: (cpu.user + cpu.system) / 1000 / steps,
          stepMs: stepMs.map((ms) => Math.round(ms * 100) / 100),
          inferenceWindowsPerSecond: batchSize / (median(inferMs) / 1000),
          steps,
          params: model.countParams(),
          helperTasksPerStep: helperPerStep,
        };
        report[backend][name] = result;
        progress(
          `${backend} ${name} [${batch.shape.join(", ")}]: steps ${stepMs.map((ms) => ms.toFixed(0)).join(" ")} ms, ` +
            `${result.windowsPerSecond.toFixed(1)} windows/s training (${
              result.cpuMsPerStep!.toFixed(1)
            } CPU ms per step), ${result.inferenceWindowsPerSecond.toFixed(1)} inference` +
            (helperPerStep > 0 ? `, ${helperPerStep.toFixed(1)} helper-thread tasks per step` : ""),
        );
      } finally {
        model.dispose();
        optimizer.dispose();
      }
    }
  }
  return report;
}
