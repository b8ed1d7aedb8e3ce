/**
 * Training speed against PyTorch: megflow's wasm training benchmark ({@linkcode benchTrain})
 * and PyTorch twins of the same networks (`bench/pytorch_twins.py`), model by model in one
 * run, so that both see the same machine load. Each twin must have the parameter count of the
 * megflow model just measured (the script refuses it otherwise). Nothing here needs PyTorch:
 * without a Python that imports torch, {@linkcode benchTrainAgainstPytorch} says so and runs
 * the megflow benchmark alone.
 *
 * @module
 */
import { probePython, runPythonScript } from "./_python_process.ts";
import { BENCH_VARIANTS, benchTrain, DEFAULT_STEPS, DEFAULT_WARMUP } from "./train.ts";
import type { TrainBenchOptions, TrainBenchReport, TrainBenchResult } from "./train.ts";
import { pythonCandidates } from "./python_reference.ts";
import { MODELS } from "../models/registry.ts";

/** A Python that imports torch. */
export interface TorchPython {
  /** The command that runs it. */
  command: string;
  /** Python's version. */
  python: string;
  /** torch's version. */
  torch: string;
}

/** What {@linkcode findTorchPython} found: a Python with torch, or why there is none. */
export type TorchProbe = { found: TorchPython } | { missing: string };

/** One twin's line of `bench/pytorch_twins.py`'s report. */
export interface TwinResult {
  /** Parameters plus BatchNorm running statistics of the twin. */
  params: number;
  /** Trainable parameters. */
  trainableParams: number;
  /** Non-trainable weights (BatchNorm running statistics). */
  nonTrainableParams: number;
  /** megflow's count the twin was checked against (`null` when none was given). */
  expectedParams: number | null;
  /** Why the twin was not timed (its count differs from megflow's). */
  refused?: string;
  /** Training windows per second: batch size / median step time. */
  windowsPerSecond?: number;
  /** Median milliseconds of a training step. */
  msPerStep?: number;
  /** Every timed step, milliseconds. */
  stepMs?: number[];
  /** Inference windows per second (eval mode, no_grad). */
  inferenceWindowsPerSecond?: number;
  /** Timed steps. */
  steps?: number;
}

/** `bench/pytorch_twins.py`'s report. */
export interface TwinReport {
  /** torch's version. */
  torch: string;
  /** Python's version. */
  python: string;
  /** `torch.get_num_threads()` during the run. */
  threads: number;
  /** `torch.get_num_interop_threads()`. */
  interopThreads: number;
  /**
   * The BLAS libraries the twins' process loaded (paths; absent from older scripts). Debian's
   * `python3-torch` uses whichever `libblas.so.3` the system has: the reference `libblas3` makes
   * the twins' products several times slower than OpenBLAS (vivit's step ~640 against ~50 ms).
   */
  blas?: string[];
  /** Windows per batch. */
  batchSize: number;
  /** Results by twin name. */
  models: Record<string, TwinResult>;
}

/** One model: megflow on wasm against its PyTorch twin. */
export interface PytorchComparison {
  /** The twin measured (the registered model behind a bench variant). */
  twin: string;
  /** Weights of both networks. */
  params: number;
  /** megflow wasm training windows per second. */
  megflowWindowsPerSecond: number;
  /** PyTorch training windows per second. */
  pytorchWindowsPerSecond: number;
  /** megflow / PyTorch training windows per second. */
  ratio: number;
  /** `ratio >= 1`: megflow trains at least as fast as PyTorch. */
  atLeastAsFast: boolean;
  /** megflow wasm inference windows per second. */
  megflowInferenceWindowsPerSecond: number;
  /** PyTorch inference windows per second. */
  pytorchInferenceWindowsPerSecond: number;
  /** megflow / PyTorch inference windows per second. */
  inferenceRatio: number;
}

/** The `pytorch` part of the bench report. */
export interface PytorchBenchReport {
  /** Why nothing was compared (no Python with torch, no wasm backend). */
  skipped?: string;
  /** The Python command, its version, torch's version and threads. */
  python?: string;
  /** Python's version. */
  pythonVersion?: string;
  /** torch's version. */
  torch?: string;
  /** `torch.get_num_threads()`. */
  threads?: number;
  /** The BLAS libraries PyTorch loaded (see {@linkcode TwinReport.blas}). */
  blas?: string[];
  /** 1, 5 and 15-minute load averages before the first and after the last model. */
  loadavg?: { start: number[]; end: number[] };
  /** Per model: the comparison, or why there is none (e.g. the twin was refused). */
  models: Record<string, PytorchComparison | { error: string }>;
}

/** Options of {@linkcode benchTrainAgainstPytorch}: those of `benchTrain` at its default window sizes. */
export interface PytorchBenchOptions extends Omit<TrainBenchOptions, "signals" | "nClasses"> {
  /** The Python with torch. Default: the first of {@linkcode pythonCandidates} that imports torch. */
  python?: string;
  /** PyTorch's threads (`torch.set_num_threads`). Default: PyTorch's own default. */
  threads?: number;
}

const PROBE = "import sys, torch; print(sys.version.split()[0], torch.__version__)";
const INSTALL_HINT = "install PyTorch (Debian: apt install python3-torch; else pip install torch), " +
  "or name a Python that has it with --python CMD or $MEGFLOW_PYTHON";

/**
 * The first of `candidates` that imports torch, or a message naming every candidate and why it
 * failed (not found, or its last error line, e.g. `No module named 'torch'`).
 *
 * @param candidates Commands to try, in order. Default: {@linkcode pythonCandidates}.
 * @returns `{ found }` or `{ missing }`.
 */
export async function findTorchPython(candidates: readonly string[] = pythonCandidates()): Promise<TorchProbe> {
  const probe = await probePython(candidates, PROBE, 2);
  if ("reasons" in probe) {
    return {
      missing: `PyTorch comparison skipped: no Python with torch (${probe.reasons.join("; ")}); ${INSTALL_HINT}`,
    };
  }
  const [python, torch] = probe.words;
  return { found: { command: probe.command, python, torch } };
}

/**
 * Parses `bench/pytorch_twins.py`'s stdout: its last non-empty line is the report.
 *
 * @param stdout The script's standard output.
 * @returns The report.
 * @throws {Error} naming the script when the last line is not a report with a `models` object.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { parseTwinReport } from "./pytorch_reference.ts";
 *
 * const line = '{"torch": "1.13.1", "python": "3.11.2", "threads": 2, "interopThreads": 2, "batchSize": 32, "models": {}}';
 * assertEquals(parseTwinReport(`progress\n${line}\n`).threads, 2);
 * ```
 */
export function parseTwinReport(stdout: string): TwinReport {
  const line = stdout.trim().split("\n").pop() ?? "";
  let report: unknown;
  try {
    report = JSON.parse(line);
  } catch {
    throw new Error(`bench/pytorch_twins.py printed no JSON report; its last line: ${line.slice(0, 200) || "(none)"}`);
  }
  const models = (report as { models?: unknown } | null)?.models;
  if (typeof models !== "object" || models === null || Array.isArray(models)) {
    throw new Error(`bench/pytorch_twins.py's report has no "models" object: ${line.slice(0, 200)}`);
  }
  return report as TwinReport;
}

/** Options of {@linkcode runPytorchTwins}. */
export interface TwinRunOptions {
  /** Twins to time (registered model names). */
  models: string[];
  /** megflow's parameter count per model: a twin whose count differs is refused. */
  expect: Record<string, number>;
  /** Timed steps. Default: 5. */
  steps?: number;
  /** Untimed steps first. Default: 2. */
  warmup?: number;
  /** Windows per batch. Default: 32. */
  batchSize?: number;
  /** `torch.set_num_threads`; 0 or absent: PyTorch's default. */
  threads?: number;
}

/**
 * Runs `bench/pytorch_twins.py` with `python`.
 *
 * @param python A Python with torch.
 * @param options Twins, expected counts, steps, batch size, threads.
 * @returns The script's report.
 * @throws {Error} with the script's last error line when it fails.
 */
export async function runPytorchTwins(python: string, options: TwinRunOptions): Promise<TwinReport> {
  const args = [
    "--models",
    options.models.join(","),
    "--expect",
    Object.entries(options.expect).map(([name, count]) => `${name}=${count}`).join(","),
    "--steps",
    String(options.steps ?? 5),
    "--warmup",
    String(options.warmup ?? 2),
    "--batch",
    String(options.batchSize ?? 32),
    ...(options.threads ? ["--threads", String(options.threads)] : []),
  ];
  return parseTwinReport(await runPythonScript(python, "./pytorch_twins.py", args));
}

/**
 * megflow's wasm result against its twin's: windows per second of both and their ratio
 * (megflow / PyTorch; at least 1 means megflow trains at least as fast).
 *
 * @param twin The twin's name.
 * @param megflow megflow's wasm result.
 * @param pytorch The twin's result.
 * @returns The comparison, or `{ error }` when the twin was refused or not timed.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { compareToPytorch } from "./pytorch_reference.ts";
 *
 * const megflow = { windowsPerSecond: 150, msPerStep: 213, inferenceWindowsPerSecond: 600, steps: 5, params: 10 };
 * const pytorch = { params: 10, trainableParams: 10, nonTrainableParams: 0, expectedParams: 10, windowsPerSecond: 300, inferenceWindowsPerSecond: 300 };
 * const result = compareToPytorch("gru", megflow, pytorch);
 * assertEquals("ratio" in result && [result.ratio, result.atLeastAsFast, result.inferenceRatio], [0.5, false, 2]);
 * ```
 */
export function compareToPytorch(
  twin: string,
  megflow: TrainBenchResult,
  pytorch: TwinResult | undefined,
): PytorchComparison | { error: string } {
  if (pytorch === undefined) return { error: `bench/pytorch_twins.py reported nothing for ${twin}` };
  if (pytorch.refused) return { error: `PyTorch twin refused: ${pytorch.refused}` };
  if (pytorch.params !== megflow.params) {
    return { error: `PyTorch twin of ${twin} has ${pytorch.params} parameters, megflow's model ${megflow.params}` };
  }
  if (!(pytorch.windowsPerSecond! > 0) || !(pytorch.inferenceWindowsPerSecond! > 0)) {
    return { error: `PyTorch twin of ${twin} was not timed` };
  }
  const ratio = megflow.windowsPerSecond / pytorch.windowsPerSecond!;
  return {
    twin,
    params: megflow.params,
    megflowWindowsPerSecond: megflow.windowsPerSecond,
    pytorchWindowsPerSecond: pytorch.windowsPerSecond!,
    ratio,
    atLeastAsFast: ratio >= 1,
    megflowInferenceWindowsPerSecond: megflow.inferenceWindowsPerSecond,
    pytorchInferenceWindowsPerSecond: pytorch.inferenceWindowsPerSecond!,
    inferenceRatio: megflow.inferenceWindowsPerSecond / pytorch.inferenceWindowsPerSecond!,
  };
}

/**
 * The training benchmark with PyTorch alongside: for each model, megflow on wasm, then its
 * PyTorch twin (checked to have the same parameter count) with the same batch, steps and
 * warm-up; then the other backends as {@linkcode benchTrain} measures them. Without a Python
 * that imports torch, or without `wasm` among the backends, `pytorch.skipped` says why (also
 * through `onProgress`) and the megflow benchmark runs alone.
 *
 * @param options `benchTrain`'s options (default window sizes), the Python and PyTorch's threads.
 * @returns `train` as `benchTrain` returns it, and `pytorch` with a comparison per model.
 * @throws {RangeError} as `benchTrain` does.
 * @throws {Error} when the twins' script fails.
 */
export async function benchTrainAgainstPytorch(
  options: PytorchBenchOptions = {},
): Promise<{ train: TrainBenchReport; pytorch: PytorchBenchReport }> {
  const progress = options.onProgress ?? (() => {});
  const backends = options.backends ?? ["wasm", "webgpu", "cpu"];
  const probe = backends.includes("wasm")
    ? await findTorchPython(options.python ? [options.python] : pythonCandidates())
    : { missing: "PyTorch comparison skipped: it compares with megflow on wasm, which --backends leaves out" };
  if ("missing" in probe) {
    progress(probe.missing);
    return { train: await benchTrain(options), pytorch: { skipped: probe.missing, models: {} } };
  }
  const { command, python, torch } = probe.found;
  progress(`pytorch: ${command} (Python ${python}, torch ${torch})`);
  const pytorch: PytorchBenchReport = { python: command, pythonVersion: python, torch, models: {} };
  const wasm: Record<string, TrainBenchResult> = {};
  const start = Deno.loadavg();
  for (const name of options.models ?? Object.keys(MODELS)) {
    const [megflow, comparison, twins] = await benchOne(name, command, options);
    wasm[name] = megflow;
    pytorch.models[name] = comparison;
    pytorch.threads = twins.threads;
    if (twins.blas !== undefined && pytorch.blas === undefined) {
      pytorch.blas = twins.blas;
      progress(`pytorch: BLAS ${twins.blas.join(", ") || "(none found)"}`);
    }
    progress(comparisonLine(name, comparison));
  }
  pytorch.loadavg = { start, end: Deno.loadavg() };
  const rest = backends.filter((backend) => backend !== "wasm");
  const others = rest.length > 0 ? await benchTrain({ ...options, backends: rest }) : {};
  const train: TrainBenchReport = {};
  for (const backend of backends) train[backend] = backend === "wasm" ? wasm : others[backend];
  return { train, pytorch };
}

/** megflow on wasm, then the twin, for one model. */
async function benchOne(
  name: string,
  python: string,
  options: PytorchBenchOptions,
): Promise<[TrainBenchResult, PytorchComparison | { error: string }, TwinReport]> {
  const report = await benchTrain({ ...options, backends: ["wasm"], models: [name] });
  const megflow = report.wasm[name];
  const twin = BENCH_VARIANTS[name]?.twin ?? BENCH_VARIANTS[name]?.model ?? name;
  const twins = await runPytorchTwins(python, {
    models: [twin],
    expect: { [twin]: megflow.params },
    steps: options.steps?.wasm ?? DEFAULT_STEPS.wasm,
    warmup: options.warmupSteps?.wasm ?? DEFAULT_WARMUP.wasm,
    batchSize: options.batchSize,
    threads: options.threads,
  });
  return [megflow, compareToPytorch(twin, megflow, twins.models[twin]), twins];
}

/** One progress line of a comparison. */
export function comparisonLine(name: string, comparison: PytorchComparison | { error: string }): string {
  if ("error" in comparison) return `pytorch ${name}: ${comparison.error}`;
  const c = comparison;
  return `pytorch ${name} (${c.params} params): megflow wasm ${c.megflowWindowsPerSecond.toFixed(1)} windows/s, ` +
    `PyTorch ${c.pytorchWindowsPerSecond.toFixed(1)}, ratio ${c.ratio.toFixed(2)} ` +
    `(${c.atLeastAsFast ? "at least as fast" : "slower"}); inference ratio ${c.inferenceRatio.toFixed(2)}`;
}
