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
import { BENCH_VARIANTS, benchTrain, DEFAULT_STEPS, DEFAULT_WARMUP, median } from "./train.ts";
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
  /** The process's CPU milliseconds per timed step (every thread). */
  cpuMsPerStep?: number;
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
  /** megflow's process CPU milliseconds per timed training step (all threads). */
  megflowCpuMsPerStep?: number;
  /** PyTorch's process CPU milliseconds per timed training step (all threads, OpenBLAS' too). */
  pytorchCpuMsPerStep?: number;
  /**
   * Every round of the comparison ({@linkcode PytorchBenchOptions.repeats}), in the order run; with
   * several rounds the fields above are their medians (`ratio`: the median of the rounds' ratios).
   */
  rounds?: PytorchRound[];
  /** The smallest and largest ratio of the rounds (both `ratio` with one round). */
  ratioRange?: [number, number];
}

/** One round of {@linkcode benchTrainAgainstPytorch}: megflow and the twin, one right after the other. */
export interface PytorchRound {
  /** Which of the two ran first in this round (the rounds alternate). */
  first: "megflow" | "pytorch";
  /** megflow wasm training windows per second. */
  megflowWindowsPerSecond: number;
  /** PyTorch training windows per second. */
  pytorchWindowsPerSecond: number;
  /** megflow / PyTorch training windows per second. */
  ratio: number;
  /** megflow's process CPU milliseconds per timed step. */
  megflowCpuMsPerStep?: number;
  /** PyTorch's process CPU milliseconds per timed step. */
  pytorchCpuMsPerStep?: number;
  /** Helper-thread tasks per timed megflow step (0: megflow's kernels ran on one thread). */
  helperTasksPerStep?: number;
  /** The 1-minute load average when the round started. */
  loadavg: number;
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
  /**
   * Rounds per model: megflow and its twin one right after the other, the order alternating
   * (megflow first in rounds 1, 3, ...; PyTorch first in rounds 2, 4, ...), each round with a new
   * model, its own warm-up and timed steps (the twin in a fresh process). The comparison is the
   * median of the rounds' ratios, with every round and the smallest and largest ratio beside it.
   * Default: 1.
   */
  repeats?: number;
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
    ...(megflow.cpuMsPerStep === undefined ? {} : { megflowCpuMsPerStep: megflow.cpuMsPerStep }),
    ...(pytorch.cpuMsPerStep === undefined ? {} : { pytorchCpuMsPerStep: pytorch.cpuMsPerStep }),
  };
}

/**
 * The comparisons of several rounds of one model as one: every field the median of the rounds'
 * (`ratio` the median of their ratios, not the ratio of the medians), every round kept in `rounds`,
 * and `ratioRange` the smallest and largest ratio. No round is dropped: when any round has no
 * comparison (a refused or untimed twin), the result is that round's error.
 *
 * @param rounds Each round's comparison, with which ran first, its helper-thread tasks and load.
 * @returns The combined comparison, or the first round's error.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { combineRounds, compareToPytorch } from "./pytorch_reference.ts";
 *
 * const twin = { params: 10, trainableParams: 10, nonTrainableParams: 0, expectedParams: 10, inferenceWindowsPerSecond: 100 };
 * const round = (megflow: number, pytorch: number, first: "megflow" | "pytorch") => ({
 *   comparison: compareToPytorch(
 *     "gru",
 *     { windowsPerSecond: megflow, msPerStep: 1, inferenceWindowsPerSecond: 100, steps: 5, params: 10 },
 *     { ...twin, windowsPerSecond: pytorch },
 *   ),
 *   first,
 *   loadavg: 1,
 * });
 * const combined = combineRounds([round(90, 100, "megflow"), round(120, 100, "pytorch"), round(100, 80, "megflow")]);
 * assertEquals("ratio" in combined && [combined.ratio, combined.ratioRange, combined.atLeastAsFast], [1.2, [0.9, 1.25], true]);
 * ```
 */
export function combineRounds(
  rounds: {
    comparison: PytorchComparison | { error: string };
    first: "megflow" | "pytorch";
    helperTasksPerStep?: number;
    loadavg: number;
  }[],
): PytorchComparison | { error: string } {
  const failed = rounds.find((round) => "error" in round.comparison);
  if (failed !== undefined || rounds.length === 0) return failed?.comparison ?? { error: "no rounds" };
  const all = rounds.map((round) => round.comparison as PytorchComparison);
  const of = (field: keyof PytorchComparison) => median(all.map((c) => c[field] as number));
  const cpu = (field: "megflowCpuMsPerStep" | "pytorchCpuMsPerStep") =>
    all.every((c) => c[field] !== undefined) ? { [field]: of(field) } : {};
  const ratios = all.map((c) => c.ratio);
  const ratio = median(ratios);
  return {
    twin: all[0].twin,
    params: all[0].params,
    megflowWindowsPerSecond: of("megflowWindowsPerSecond"),
    pytorchWindowsPerSecond: of("pytorchWindowsPerSecond"),
    ratio,
    atLeastAsFast: ratio >= 1,
    megflowInferenceWindowsPerSecond: of("megflowInferenceWindowsPerSecond"),
    pytorchInferenceWindowsPerSecond: of("pytorchInferenceWindowsPerSecond"),
    inferenceRatio: of("inferenceRatio"),
    ...cpu("megflowCpuMsPerStep"),
    ...cpu("pytorchCpuMsPerStep"),
    rounds: rounds.map((round, i) => ({
      first: round.first,
      megflowWindowsPerSecond: all[i].megflowWindowsPerSecond,
      pytorchWindowsPerSecond: all[i].pytorchWindowsPerSecond,
      ratio: all[i].ratio,
      ...(all[i].megflowCpuMsPerStep === undefined ? {} : { megflowCpuMsPerStep: all[i].megflowCpuMsPerStep }),
      ...(all[i].pytorchCpuMsPerStep === undefined ? {} : { pytorchCpuMsPerStep: all[i].pytorchCpuMsPerStep }),
      ...(round.helperTasksPerStep === undefined ? {} : { helperTasksPerStep: round.helperTasksPerStep }),
      loadavg: round.loadavg,
    })),
    ratioRange: [Math.min(...ratios), Math.max(...ratios)],
  };
}

/**
 * The training benchmark with PyTorch alongside: for each model, megflow on wasm, then its
 * PyTorch twin (checked to have the same parameter count) with the same batch, steps and
 * warm-up, `repeats` times with the order alternating (see {@linkcode PytorchBenchOptions.repeats});
 * then the other backends as {@linkcode benchTrain} measures them. Without a Python
 * that imports torch, or without `wasm` among the backends, `pytorch.skipped` says why (also
 * through `onProgress`) and the megflow benchmark runs alone.
 *
 * @param options `benchTrain`'s options (default window sizes), the Python and PyTorch's threads.
 * @returns `train` as `benchTrain` returns it, and `pytorch` with a comparison per model.
 * @throws {RangeError} as `benchTrain` does, and for `repeats` below 1.
 * @throws {Error} when the twins' script fails.
 */
export async function benchTrainAgainstPytorch(
  options: PytorchBenchOptions = {},
): Promise<{ train: TrainBenchReport; pytorch: PytorchBenchReport }> {
  const progress = options.onProgress ?? (() => {});
  const backends = options.backends ?? ["wasm", "webgpu", "cpu"];
  if (options.repeats !== undefined && !(Number.isInteger(options.repeats) && options.repeats >= 1)) {
    throw new RangeError(`Cannot benchmark training: repeats must be an integer >= 1, got ${options.repeats}`);
  }
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

/**
 * megflow on wasm and the twin, for one model: `repeats` rounds, megflow first in the odd rounds
 * (1, 3, ...) and the twin first in the even ones, combined by {@linkcode combineRounds}. The
 * megflow result returned is the median round's by windows per second (the lower middle one for an
 * even count).
 */
async function benchOne(
  name: string,
  python: string,
  options: PytorchBenchOptions,
): Promise<[TrainBenchResult, PytorchComparison | { error: string }, TwinReport]> {
  const repeats = options.repeats ?? 1;
  const progress = options.onProgress ?? (() => {});
  const twin = BENCH_VARIANTS[name]?.twin ?? BENCH_VARIANTS[name]?.model ?? name;
  const megflowRun = async () => (await benchTrain({ ...options, backends: ["wasm"], models: [name] })).wasm[name];
  const twinRun = (params: number) =>
    runPytorchTwins(python, {
      models: [twin],
      expect: { [twin]: params },
      steps: options.steps?.wasm ?? DEFAULT_STEPS.wasm,
      warmup: options.warmupSteps?.wasm ?? DEFAULT_WARMUP.wasm,
      batchSize: options.batchSize,
      threads: options.threads,
    });
  // the twin is checked against megflow's parameter count: known before any round from a model built
  // for it (the first round's megflow run when megflow runs first)
  const megflows: TrainBenchResult[] = [];
  const rounds: Parameters<typeof combineRounds>[0] = [];
  let twins: TwinReport | undefined;
  for (let round = 0; round < repeats; round++) {
    const first = round % 2 === 0 ? "megflow" : "pytorch";
    const loadavg = Deno.loadavg()[0];
    let megflow: TrainBenchResult;
    if (first === "megflow") {
      megflow = await megflowRun();
      twins = await twinRun(megflow.params);
    } else {
      twins = await twinRun(megflows[0].params);
      megflow = await megflowRun();
    }
    megflows.push(megflow);
    const comparison = compareToPytorch(twin, megflow, twins.models[twin]);
    rounds.push({ comparison, first, helperTasksPerStep: megflow.helperTasksPerStep, loadavg });
    if (repeats > 1) progress(`round ${round + 1} of ${repeats} (${first} first): ${comparisonLine(name, comparison)}`);
    if ("error" in comparison) break;
  }
  const byRate = [...megflows].sort((a, b) => a.windowsPerSecond - b.windowsPerSecond);
  return [byRate[(byRate.length - 1) >> 1], combineRounds(rounds), twins!];
}

/** One progress line of a comparison. */
export function comparisonLine(name: string, comparison: PytorchComparison | { error: string }): string {
  if ("error" in comparison) return `pytorch ${name}: ${comparison.error}`;
  const c = comparison;
  return `pytorch ${name} (${c.params} params): megflow wasm ${c.megflowWindowsPerSecond.toFixed(1)} windows/s, ` +
    `PyTorch ${c.pytorchWindowsPerSecond.toFixed(1)}, ratio ${c.ratio.toFixed(2)} ` +
    `(${c.atLeastAsFast ? "at least as fast" : "slower"}); inference ratio ${c.inferenceRatio.toFixed(2)}` +
    (c.rounds !== undefined && c.rounds.length > 1
      ? `; median of ${c.rounds.length} rounds, ratios ${c.rounds.map((r) => r.ratio.toFixed(2)).join(", ")}`
      : "");
}
