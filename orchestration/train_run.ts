/**
 * A whole training run, end to end: catalogue, backend, model, epochs with
 * validation and checkpoints, final evaluation, and the run folder
 * (`config.json`, `metrics.jsonl`, `checkpoint/`, `model/`, `predictions.csv`,
 * `results.json`, `report.html`). The `train-cross` and `train-intra` tasks are
 * thin wrappers around {@linkcode trainRun}; user scripts can call it directly.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { join, resolve } from "node:path";
import { assertOutputsOutsideData } from "../core/_is_inside.ts";
import { MODELS } from "../models/registry.ts";
import { setupBackend } from "../backends/backend.ts";
import { writeFileAtomic } from "../core/atomic_write.ts";
import { catalog, recordingsOf } from "../sources/catalog.ts";
import { loadModel, saveCheckpoint, saveModel } from "../training/checkpoint.ts";
import { checkRunFolder, loadResumeCheckpoint } from "../training/run_folder.ts";
import { DataFileError } from "../core/errors.ts";
import { type EpochMetrics, fit, type FitOptions, type FitResult } from "../training/fit.ts";
import { adam } from "../training/fused_adam.ts";
import { WeightAverage, type WeightAverageState } from "../training/weight_average.ts";
import {
  evaluatePredictions,
  type PredictionRow,
  type RunAdaptation,
  type RunResults,
  type SplitMetrics,
} from "../evaluation/metrics.ts";
import { peakRssMB } from "../core/peak_rss.ts";
import { predictionsToCsv } from "../evaluation/predictions_csv.ts";
import { adaptationsOf, predictRecordings } from "../evaluation/predict.ts";
import { planPreprocess, type PreprocessStep } from "../pipeline/preprocess.ts";
import { hashSeed } from "../core/random.ts";
import { renderReport } from "../reports/report.ts";
import type { RunConfig } from "../training/run_config.ts";
import { describeValidation, foldersOf, planSplits, type SplitPlan } from "../training/validation_plan.ts";
import { withSeededRandom } from "../core/with_seeded_random.ts";
import { warmResampleCache } from "../pipeline/warm_resample_cache.ts";
import { validateRunInputs } from "../pipeline/validate_run_inputs.ts";
import { streamBatches } from "../pipeline/stream_batches.ts";
import { mixup } from "../operators/mixup.ts";
import { checkTrainRunArguments } from "./_check_train_run.ts";
import { DEFAULT_BANDS } from "../operators/band_power.ts";
import { readExplanation } from "./_explanation_files.ts";
import { LABELS, N_SENSORS, RAW_SFREQ, type Recording } from "../core/types.ts";

/** Options of {@linkcode trainRun}. */
export interface TrainRunOptions {
  /** Run folder to write (created). */
  runDir: string;
  /**
   * Continue the run in `runDir` from its newest complete checkpoint (its
   * config must match `config.json` but for `RESUMABLE_KEYS`). Without it, a
   * `runDir` that holds a run is refused. Default: false.
   */
  resume?: boolean;
  /** Receives one line per event (epochs, evaluation). Default: `console.error`. */
  log?: (line: string) => void;
  /** Receives in-place progress text during an epoch (e.g. for a TTY). Default: none. */
  progress?: (text: string) => void;
}

/** State stored with each checkpoint. */
interface TrainingState {
  history: EpochMetrics[];
  bestEpoch: number;
  /** The weight average so far, when `config.weightAverage` is on. */
  weightAverage?: WeightAverageState;
}

/** The preprocessing of a model: the config's steps, plus a grid step for grid models. */
export function stepsForModel(steps: readonly PreprocessStep[], model: string): PreprocessStep[] {
  const entry = MODELS[model];
  if (!entry) throw new RangeError(`Unknown model ${model}: expected one of ${Object.keys(MODELS).join(", ")}`);
  const hasGrid = steps.some((step) => step.op === "gridSensors");
  if (entry.input === "grid" && !hasGrid) return [...steps, { op: "gridSensors" }];
  if (entry.input === "bands" && !steps.some((step) => step.op === "bandPower")) return [...steps, { op: "bandPower" }];
  if (entry.input === "channels" && hasGrid) {
    throw new TypeError(`Model ${model} takes sensor windows [nChans, nTimes]: remove the gridSensors step`);
  }
  return [...steps];
}

/** The shape of one window after `steps`, as models take it. */
export function signalOf(
  steps: readonly PreprocessStep[],
): { nChans: number; nTimes: number; gridRows?: number; gridCols?: number; sfreq: number } {
  const plan = planPreprocess(steps);
  const resample = plan.blockSteps.find((step) => step.op === "resample");
  const sfreq = resample?.op === "resample" ? resample.toHz : RAW_SFREQ;
  const nTimes = Math.round(plan.windowStep.windowSeconds * sfreq);
  const grid = plan.windowSteps.find((step) => step.op === "gridSensors");
  const bands = plan.windowSteps.find((step) => step.op === "bandPower");
  if (bands?.op === "bandPower") return { nChans: N_SENSORS, nTimes: (bands.bands ?? DEFAULT_BANDS).length, sfreq };
  return grid
    ? { nChans: N_SENSORS, nTimes, gridRows: grid.rows ?? 20, gridCols: grid.cols ?? 20, sfreq }
    : { nChans: N_SENSORS, nTimes, sfreq };
}

export { holdOut } from "../training/validation_plan.ts";

/** Seconds as `1h02m`, `3m05s` or `42s`. */
function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${s}s`;
}

/** The streaming options of a run: what training, validation and evaluation read alike. */
function streamOptionsOf(config: RunConfig, steps: readonly PreprocessStep[]) {
  return {
    steps,
    batchSize: config.batchSize,
    concurrency: config.concurrency,
    cacheDir: config.cacheDir ?? undefined,
    maxSamples: config.maxSamples ?? undefined,
  };
}

/**
 * The recordings of every split a run uses (train, validation, test), by folder.
 *
 * @param config The run's configuration (`data` and the split lists).
 * @returns Recordings per split folder.
 * @throws {DataFileError} naming a split folder that holds no recordings.
 */
export async function recordingsBySplit(config: RunConfig): Promise<Map<string, Recording[]>> {
  const splits = foldersOf(config);
  const table = await catalog(config.data, { splits });
  const all = recordingsOf(table);
  const bySplit = new Map<string, Recording[]>();
  for (const split of splits) {
    const recordings = all.filter((r) => r.split === split);
    if (recordings.length === 0) {
      throw new DataFileError(join(config.data, split), "folder has no recordings (expected *.h5 files)");
    }
    bySplit.set(split, recordings);
  }
  return bySplit;
}

/**
 * Runs training and evaluation as `config` says and writes the run folder.
 *
 * @param config The run's complete configuration (written to `config.json`).
 * @param options Run folder, resume, logging.
 * @returns The content of `results.json`.
 * Weight initialisation and dropout are seeded from `config.seed` (see
 * `withSeededRandom`), so a run on the same backend repeats exactly.
 *
 * @throws {DataFileError} for missing or bad data; {@linkcode TypeError} or
 *   {@linkcode RangeError} for a bad config or options (an unknown key names the known
 *   ones), before anything is read or written; refuses to write into the data folder.
 */
export async function trainRun(config: RunConfig, options: TrainRunOptions): Promise<RunResults> {
  checkTrainRunArguments(config, options, ["runDir", "resume", "log", "progress"]); // unknown keys, types, ranges
  return await withSeededRandom(config.seed, () => trainRunSeeded(config, options));
}

async function trainRunSeeded(config: RunConfig, options: TrainRunOptions): Promise<RunResults> {
  const log = options.log ?? ((line: string) => console.error(line));
  const runDir = resolve(options.runDir);
  await assertOutputsOutsideData(config.data, { "the run folder": runDir, "the cache": config.cacheDir });
  const startedAt = new Date().toISOString();
  const started = performance.now();
  const steps = stepsForModel(config.preprocess, config.model);
  const signal = signalOf(steps);
  await checkRunFolder(runDir, { ...config, preprocess: steps }, options.resume ?? false);
  const bySplit = await recordingsBySplit(config);
  await validateRunInputs([...bySplit.values()].flat(), { steps, maxSamples: config.maxSamples ?? undefined });
  const plan = planSplits(config, bySplit);
  const { train: trainRecordings, validation: validationRecordings } = plan;
  const warmSeconds = await warmCache(config, steps, bySplit, log);
  const backend = await setupBackend(config.backend);
  log(`megflow: backend ${backend.backend} (${backend.reason})`);
  await Deno.mkdir(runDir, { recursive: true });
  await writeFileAtomic(join(runDir, "config.json"), JSON.stringify({ ...config, preprocess: steps }, null, 2) + "\n");

  const session = await startTraining(config, signal, runDir, options.resume ?? false, log);
  log(
    `megflow: ${config.task}-subject, model ${config.model} (${session.model.countParams()} parameters), ` +
      `${trainRecordings.length} training / ${validationRecordings.length} validation recordings`,
  );
  const trainStarted = performance.now();
  const result = await fitRun(session, streamOptionsOf(config, steps), trainRecordings, validationRecordings, options);
  const trainSeconds = (performance.now() - trainStarted) / 1000;
  session.optimizer.dispose();

  const best = await loadModel(join(runDir, "model"));
  session.model.dispose();
  const evaluated = await evaluateRun(best, config, steps, bySplit, { plan, log });
  best.dispose();
  const history = result.history;
  const trainWindows = history.reduce((n, m) => n + m.windows, 0);
  const stepSeconds = history.reduce((n, m) => n + m.trainSeconds, 0);
  const results: RunResults = {
    task: config.task,
    model: config.model,
    backend: backend.backend,
    splits: evaluated.splits,
    validation: evaluated.validation,
    adaptation: evaluated.adaptation,
    seconds: {
      ingest: warmSeconds + history.reduce((n, m) => n + m.ingestSeconds, 0),
      train: trainSeconds,
      evaluate: evaluated.seconds,
      total: (performance.now() - started) / 1000,
    },
    trainWindowsPerSecond: stepSeconds > 0 ? trainWindows / stepSeconds : 0,
    peakRssMB: peakRssMB(),
    startedAt,
    bestEpoch: result.bestEpoch,
    ...(result.stoppedEarly ? { stoppedEpoch: history.length } : {}),
  };
  await writeRunOutputs(runDir, results, evaluated.rows, history, config);
  return results;
}

/**
 * Reads and resamples every raw file once, on all cores, before training
 * starts, when the run has a cache and resamples first.
 *
 * @returns Seconds it took (0 without a cache or resampling).
 */
async function warmCache(
  config: RunConfig,
  steps: readonly PreprocessStep[],
  bySplit: Map<string, Recording[]>,
  log: (line: string) => void,
): Promise<number> {
  const resampleStep = steps[0]?.op === "resample" ? steps[0] : undefined;
  if (!config.cacheDir || !resampleStep) return 0;
  const all = [...new Set([...bySplit.values()].flat())];
  const warm = await warmResampleCache(all, {
    cacheDir: config.cacheDir,
    toHz: resampleStep.toHz,
    sfreq: resampleStep.fromHz,
    maxSamples: config.maxSamples ?? undefined,
  });
  if (warm.written > 0) {
    log(`megflow: resampled ${warm.written} recordings into the cache in ${warm.seconds.toFixed(1)} s`);
  }
  return warm.seconds;
}

/** What the epochs of a run share: the model, its optimizer, the state saved with each checkpoint, the folders. */
interface TrainingSession {
  /** The run's configuration. */
  config: RunConfig;
  /** The model being trained. */
  model: tfl.LayersModel;
  /** Its optimizer (Adam). */
  optimizer: tf.Optimizer;
  /** History and best epoch so far, updated after every epoch. */
  state: TrainingState;
  /** The run folder. */
  runDir: string;
  /** `runDir/checkpoint`. */
  checkpointDir: string;
  /** Receives one line per event. */
  log: (line: string) => void;
  /** The average of the weights over epochs (`config.weightAverage` > 0), which validates and is saved. */
  weightAverage?: WeightAverage;
}

/** A new model and optimizer, or, when resuming and a checkpoint exists, the checkpoint's. */
async function startTraining(
  config: RunConfig,
  signal: ReturnType<typeof signalOf>,
  runDir: string,
  resume: boolean,
  log: (line: string) => void,
): Promise<TrainingSession> {
  const checkpointDir = join(runDir, "checkpoint");
  const optimizer = adam(config.learningRate);
  const state: TrainingState = { history: [], bestEpoch: 0 };
  const session = { config, optimizer, runDir, checkpointDir, log, state };
  const checkpoint = resume ? await loadResumeCheckpoint<TrainingState>(runDir, log) : undefined;
  if (checkpoint) {
    await checkpoint.restoreOptimizer(optimizer);
    log(`megflow: resuming ${runDir} after epoch ${checkpoint.state.history.length}`);
    const model = checkpoint.model;
    return { ...session, model, state: checkpoint.state, ...averageOf(config, model, checkpoint.state) };
  }
  const model = MODELS[config.model].build(signal, LABELS.length, config.modelOptions);
  return { ...session, model, ...averageOf(config, model, undefined) };
}

/** The session's weight average when `config.weightAverage` is on (a config.json without it: off). */
function averageOf(
  config: RunConfig,
  model: tfl.LayersModel,
  state: TrainingState | undefined,
): Pick<TrainingSession, "weightAverage"> {
  const decay = config.weightAverage ?? 0;
  return decay > 0 ? { weightAverage: new WeightAverage(model, decay, state?.weightAverage) } : {};
}

/** Trains the session's model on `train`, validating on `validation` after each epoch, saving as it goes. */
function fitRun(
  session: TrainingSession,
  streamOptions: ReturnType<typeof streamOptionsOf>,
  train: Recording[],
  validation: Recording[],
  options: TrainRunOptions,
): Promise<FitResult> {
  const { config, model } = session;
  const nClasses = LABELS.length;
  return fit(model, session.optimizer, {
    nClasses,
    epochs: config.epochs,
    learningRate: config.learningRate,
    schedule: config.schedule,
    warmupEpochs: config.warmupEpochs,
    patience: config.patience,
    seed: config.seed,
    // config.json of runs made before the options existed lacks them.
    labelSmoothing: config.labelSmoothing ?? 0,
    weightDecay: config.weightDecay ?? 0,
    history: session.state.history,
    weightAverage: session.weightAverage,
    batches: (epoch, gate) => {
      const batches = streamBatches(train, {
        ...streamOptions,
        gate,
        shuffleBuffer: config.shuffleBuffer,
        seed: config.seed,
        epoch,
      });
      // config.json of runs made before the option existed lacks it.
      const alpha = config.mixupAlpha ?? 0;
      return alpha > 0 ? batches.pipe(mixup({ alpha, seed: hashSeed(config.seed, epoch, "mixup") })) : batches;
    },
    validate: validation.length === 0 ? undefined : () =>
      predictRecordings(model, validation, {
        ...streamOptions,
        nClasses,
        adaptBatchNorm: config.adaptBatchNorm,
        testTimeAdaptation: config.testTimeAdaptation ?? "none",
      }),
    onBatch: options.progress && progressReporter(session, options.progress),
    onEpoch: (metrics, isBest) => recordEpoch(session, metrics, isBest),
  });
}

/** Reports progress within an epoch: batch, loss, speed and, after the first epoch, the time left. */
function progressReporter(
  session: TrainingSession,
  progress: (text: string) => void,
): NonNullable<FitOptions["onBatch"]> {
  const { config } = session;
  return (p) => {
    // Batches per epoch are known after the first epoch; during it, no ETA is shown.
    const perEpoch = session.state.history.at(-1)?.windows ?? p.windows;
    const batchesPerEpoch = Math.max(p.batch, Math.ceil(perEpoch / config.batchSize));
    const secondsPerBatch = p.seconds / p.batch;
    const remaining = (batchesPerEpoch - p.batch) + (config.epochs - p.epoch) * batchesPerEpoch;
    const eta = session.state.history.length > 0 || p.epoch > 1
      ? ` ETA ${formatDuration(remaining * secondsPerBatch)}`
      : "";
    progress(
      `epoch ${p.epoch}/${config.epochs} batch ${p.batch}/${batchesPerEpoch} loss ${p.loss.toFixed(3)} ` +
        `${(p.windows / p.seconds).toFixed(1)} windows/s${eta}`,
    );
  };
}

/** After an epoch: updates the state, writes `metrics.jsonl`, the best model and the checkpoint, and logs a line. */
async function recordEpoch(session: TrainingSession, metrics: EpochMetrics, isBest: boolean): Promise<void> {
  const { config, runDir, model, state, weightAverage } = session;
  session.state = {
    history: [...state.history, metrics],
    bestEpoch: isBest ? metrics.epoch : state.bestEpoch,
    ...(weightAverage ? { weightAverage: weightAverage.state() } : {}),
  };
  await writeFileAtomic(
    join(runDir, "metrics.jsonl"),
    session.state.history.map((m) => JSON.stringify(m)).join("\n") + "\n",
  );
  // With a weight average, the average is what validated, so it is the model kept.
  const saveBest = () => saveModel(join(runDir, "model"), model);
  if (isBest) await (weightAverage ? weightAverage.withAverage(saveBest) : saveBest());
  await saveCheckpoint(session.checkpointDir, model, session.optimizer, session.state);
  const val = metrics.valAccuracy === undefined
    ? ""
    : ` val loss ${metrics.valLoss!.toFixed(3)} acc ${metrics.valAccuracy.toFixed(3)}`;
  session.log(
    `epoch ${metrics.epoch}/${config.epochs}: train loss ${metrics.trainLoss.toFixed(3)} ` +
      `acc ${metrics.trainAccuracy.toFixed(3)}${val} lr ${metrics.learningRate.toExponential(1)} ` +
      `${(metrics.windows / metrics.trainSeconds).toFixed(1)} windows/s ${metrics.seconds.toFixed(1)} s` +
      (isBest ? " (best)" : ""),
  );
}

/** Predictions and metrics of the final evaluation. */
export interface RunEvaluation {
  /** Metrics per split key (`train`, `validation`, `test1`, ...), each with its `role`. */
  splits: Record<string, SplitMetrics>;
  /** Where the validation came from, in words (see `describeValidation`). */
  validation: string;
  /** The per-subject adaptations that ran in validation and evaluation (see `adaptationsOf`). */
  adaptation: RunAdaptation;
  /** Every predicted window. */
  rows: PredictionRow[];
  /** Seconds the evaluation took. */
  seconds: number;
}

/**
 * Evaluates `model` on the training recordings (for the train/test gap), on the validation
 * recordings (as during training, AdaBN included) and on every test split of `config`; each
 * split's metrics carry its role (`train`, `validation` or `test`). A folder that validated
 * is reported as `validation`, never as a test split.
 */
export async function evaluateRun(
  model: tfl.LayersModel,
  config: RunConfig,
  steps: readonly PreprocessStep[],
  bySplit: Map<string, Recording[]>,
  options: { plan?: SplitPlan; log?: (line: string) => void } = {},
): Promise<RunEvaluation> {
  const log = options.log ?? ((line: string) => console.error(line));
  const started = performance.now();
  const plan = options.plan ?? planSplits(config, bySplit);
  // config.json of runs made before the option existed lacks it.
  const streamOptions = {
    ...streamOptionsOf(config, steps),
    nClasses: LABELS.length,
    adaptBatchNorm: config.adaptBatchNorm ?? false,
    testTimeAdaptation: config.testTimeAdaptation ?? "none",
  };
  const parts: Array<[string, Recording[]]> = [["train", plan.train], ...plan.validationParts, ...plan.testParts];
  const rows: PredictionRow[] = [];
  for (const [key, recordings] of parts) {
    if (recordings.length === 0) continue;
    const predictions = await predictRecordings(model, recordings, { ...streamOptions, split: key });
    log(
      `evaluate ${key} (${plan.roles[key]}): ${predictions.rows.length} windows, accuracy ${
        predictions.accuracy.toFixed(3)
      }`,
    );
    rows.push(...predictions.rows);
  }
  const splits = Object.fromEntries(
    Object.entries(evaluatePredictions(rows)).map(([key, m]) => [key, { ...m, role: plan.roles[key] ?? "test" }]),
  );
  const adaptation = adaptationsOf(model, streamOptions);
  const seconds = (performance.now() - started) / 1000;
  return { splits, validation: describeValidation(config), adaptation, rows, seconds };
}

/** Writes `predictions.csv`, `results.json` and `report.html` of a run, each atomically. */
export async function writeRunOutputs(
  runDir: string,
  results: RunResults,
  rows: readonly PredictionRow[],
  history: readonly EpochMetrics[],
  config: RunConfig,
): Promise<void> {
  await writeFileAtomic(join(runDir, "predictions.csv"), predictionsToCsv(rows));
  await writeFileAtomic(join(runDir, "results.json"), JSON.stringify(results, null, 2) + "\n");
  // Without a training split (an ensemble or evaluation of test folders only) the report has no gap section.
  const report = await renderReport(
    { results, history, config: config as unknown as Record<string, unknown>, inside: await readExplanation(runDir) },
    "train" in results.splits ? { trainSplit: "train" } : {},
  );
  await writeFileAtomic(join(runDir, "report.html"), report);
}
