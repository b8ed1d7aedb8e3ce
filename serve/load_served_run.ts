/**
 * A finished run folder made ready to predict: its configuration, its best
 * model loaded once on a started tfjs backend, its results, and the
 * description the prediction server answers `GET /model` with.
 *
 * @module
 */
import type * as tfl from "@tensorflow/tfjs-layers";
import { basename, join, resolve } from "node:path";
import "../models/mod.ts";
import { type BackendChoice, setupBackend } from "../backends/backend.ts";
import { LABELS, RAW_SFREQ } from "../core/types.ts";
import type { RunResults } from "../evaluation/metrics.ts";
import { planPreprocess, type PreprocessStep } from "../pipeline/preprocess.ts";
import { loadModel } from "../training/checkpoint.ts";
import type { RunConfig } from "../training/run_config.ts";
import { signalOf } from "../orchestration/train_run.ts";

/** Options of {@linkcode loadServedRun}. */
export interface LoadServedRunOptions {
  /** tfjs backend to start (`auto`, `webgpu`, `wasm`, `cpu`). Default: `"auto"`. */
  backend?: BackendChoice;
}

/** Accuracy of the run on one evaluated split, from its `results.json`. */
export interface SplitAccuracy {
  /** Correct windows / windows. */
  windowAccuracy: number;
  /** Recordings whose majority vote is correct / recordings. */
  recordingAccuracy: number;
  /** Windows evaluated. */
  windows: number;
  /** Recordings evaluated. */
  recordings: number;
}

/** What the prediction server says about the run it serves (`GET /model`). */
export interface RunDescription {
  /** Name of the run folder. */
  run: string;
  /** Registered model name, e.g. `cnn`. */
  model: string;
  /** The model's hyper-parameters as the run set them. */
  modelOptions: Record<string, unknown>;
  /** Number of weights of the model. */
  parameters: number;
  /** `cross` or `intra`: how the run was trained and tested. */
  task: string;
  /** Class names in output order. */
  classes: string[];
  /** The preprocessing steps every upload goes through, as in the run's `config.json`. */
  preprocess: PreprocessStep[];
  /** Window length in seconds. */
  windowSeconds: number;
  /** Seconds between window starts. */
  strideSeconds: number;
  /** Sampling rate of the model's windows in Hz. */
  sfreq: number;
  /** Sampling rate the uploads must have in Hz (2034 for the assignment data). */
  rawSfreq: number;
  /** Shape of one model input, without the batch axis. */
  inputShape: number[];
  /** Whether BatchNorm statistics are adapted to each upload before predicting it (the run's `adaptBatchNorm`). */
  adaptBatchNorm: boolean;
  /** The run's per-subject steps (`align`, `subjectZscore`): each upload is fitted on its own samples alone. */
  subjectSteps: string[];
  /** Only the first samples of every recording are read (the run's `maxSamples`); `null`: all. */
  maxSamples: number | null;
  /** Accuracy per evaluated split from `results.json`; `null` when the run has none. */
  accuracy: Record<string, SplitAccuracy> | null;
  /** Epoch whose weights are served, when known. */
  bestEpoch: number | null;
  /** When the run started, ISO 8601, when known. */
  trainedAt: string | null;
  /** The tfjs backend predictions run on. */
  backend: string;
}

/** A run folder loaded for serving. */
export interface ServedRun {
  /** The run folder, absolute. */
  runDir: string;
  /** Its `config.json`. */
  config: RunConfig;
  /** Its `results.json`, or `null` when it has none. */
  results: RunResults | null;
  /** Its best model (`model/`), loaded once. */
  model: tfl.LayersModel;
  /** What `GET /model` answers. */
  description: RunDescription;
}

/**
 * Loads a run folder written by `trainRun` for serving: reads `config.json`
 * (and `results.json` when present), starts the tfjs backend, loads `model/`
 * and checks that the model's input and output fit the run's preprocessing and
 * the four classes. Dispose of `model` when done.
 *
 * @param runDir The run folder.
 * @param options Backend.
 * @returns The loaded run.
 * @throws {RangeError} when `runDir` has no `config.json` (not a megflow run
 *   folder), its preprocessing is invalid, or the model does not fit it; the
 *   errors of `loadModel` and `setupBackend`.
 *
 * @example
 * ```ts
 * import { loadServedRun } from "./load_served_run.ts";
 * import { assertRejects } from "@std/assert";
 *
 * const dir = await Deno.makeTempDir();
 * await assertRejects(() => loadServedRun(dir), RangeError, "not a megflow run folder");
 * await Deno.remove(dir);
 * ```
 */
export async function loadServedRun(runDir: string, options: LoadServedRunOptions = {}): Promise<ServedRun> {
  const dir = resolve(runDir);
  const config: RunConfig = await Deno.readTextFile(join(dir, "config.json")).then(JSON.parse, () => {
    throw new RangeError(`${dir}: no readable config.json (not a megflow run folder)`);
  });
  const results: RunResults | null = await Deno.readTextFile(join(dir, "results.json")).then(
    JSON.parse,
    () => null,
  );
  const plan = planPreprocess(config.preprocess);
  const backend = await setupBackend(options.backend ?? "auto");
  const model = await loadModel(join(dir, "model"));
  try {
    const signal = signalOf(config.preprocess);
    checkModelFits(
      dir,
      model,
      signal.gridRows ? [signal.nTimes, signal.gridRows, signal.gridCols!] : [
        signal.nChans,
        signal.nTimes,
      ],
    );
    const rawSfreq = plan.blockSteps.find((step) => step.op === "resample")?.fromHz ?? RAW_SFREQ;
    const description: RunDescription = {
      run: basename(dir),
      model: config.model,
      modelOptions: config.modelOptions ?? {},
      parameters: model.countParams(),
      task: config.task,
      classes: [...LABELS],
      preprocess: config.preprocess,
      windowSeconds: plan.windowStep.windowSeconds,
      strideSeconds: plan.windowStep.strideSeconds ?? plan.windowStep.windowSeconds,
      sfreq: signal.sfreq,
      rawSfreq,
      inputShape: model.inputs[0].shape.slice(1) as number[],
      adaptBatchNorm: config.adaptBatchNorm ?? false,
      subjectSteps: plan.blockSteps.filter((s) => s.op === "align" || s.op === "subjectZscore").map((s) => s.op),
      maxSamples: config.maxSamples ?? null,
      accuracy: results ? accuracyOf(results) : null,
      bestEpoch: results?.bestEpoch ?? null,
      trainedAt: results?.startedAt ?? null,
      backend: backend.backend,
    };
    return { runDir: dir, config, results, model, description };
  } catch (error) {
    model.dispose();
    throw error;
  }
}

/** Throws a RangeError unless the model takes windows of `shape` and outputs one probability per class. */
function checkModelFits(dir: string, model: tfl.LayersModel, shape: number[]): void {
  const input = model.inputs[0].shape.slice(1);
  const output = model.outputs[0].shape.slice(1);
  if (JSON.stringify(input) !== JSON.stringify(shape)) {
    throw new RangeError(
      `${dir}: the model takes windows of shape [${input}], the run's preprocessing makes [${shape}]`,
    );
  }
  if (output.length !== 1 || output[0] !== LABELS.length) {
    throw new RangeError(`${dir}: expected a model with ${LABELS.length} outputs (${LABELS}), found [${output}]`);
  }
}

/** Window and recording accuracy of every split of a run's results. */
function accuracyOf(results: RunResults): Record<string, SplitAccuracy> {
  return Object.fromEntries(
    Object.entries(results.splits ?? {}).map(([key, split]) => [key, {
      windowAccuracy: split.windowAccuracy,
      recordingAccuracy: split.recordingAccuracy,
      windows: split.windows,
      recordings: split.recordings,
    }]),
  );
}
