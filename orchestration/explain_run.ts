/**
 * Looking inside a finished run: which sensors each class's score depends on
 * (integrated gradients and gradient x input over one evaluated split), as
 * `explain/saliency.json` and a topomap per class, EEGNet's spatial filters as
 * topomaps, and an "Inside the model" section in the run's `report.html`. The
 * `explain` task is a thin wrapper around {@linkcode explainRun}.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { join, resolve } from "node:path";
import "../models/mod.ts";
import { MODELS } from "../models/registry.ts";
import { type BackendChoice, setupBackend } from "../backends/backend.ts";
import { writeFileAtomic } from "../core/atomic_write.ts";
import { magnes3600Layout } from "../core/layout.ts";
import { PullGate } from "../core/pull_gate.ts";
import { splitKey } from "../core/_split_key.ts";
import { LABELS, type Recording } from "../core/types.ts";
import { DEFAULT_BANDS } from "../operators/band_power.ts";
import { catalog, recordingsOf } from "../sources/catalog.ts";
import { consume } from "../pipeline/consume.ts";
import { streamBatches } from "../pipeline/stream_batches.ts";
import { loadModel } from "../training/checkpoint.ts";
import { adaptBatchNorm, hasBatchNorm } from "../training/adapt_batch_norm.ts";
import { adaptEntropy, testTimeOptions } from "../training/adapt_entropy.ts";
import type { RunConfig } from "../training/run_config.ts";
import type { RunResults } from "../evaluation/metrics.ts";
import { batchSaliency, type ClassScore, classScore, SaliencyAccumulator } from "../evaluation/saliency.ts";
import { topomapSvg } from "../reports/topomap.ts";
import { renderReport } from "../reports/report.ts";
import { type Explanation, readExplanation } from "./_explanation_files.ts";

export type { Explanation } from "./_explanation_files.ts";

/** Options of {@linkcode explainRun}. */
export interface ExplainRunOptions {
  /**
   * Split to explain, as its key (`test3`) or folder (`Cross/test3`); it must be one the
   * run evaluated (a key of its `results.json`). Default: `test3` when evaluated, else
   * the run's last test split.
   */
  split?: string;
  /** Riemann steps of integrated gradients. Default: 16. */
  steps?: number;
  /** tfjs backend. Default: the run's own (`config.json`). */
  backend?: BackendChoice;
  /** Windows per gradient batch. Default: 16. */
  batchSize?: number;
  /** Receives one line per step. Default: `console.error`. */
  log?: (line: string) => void;
}

/** The content of `explain/saliency.json`: one value per sensor (A1..A248) and class. */
export interface SaliencyFile {
  /** `"integrated-gradients"` or `"gradient-x-input"`. */
  method: string;
  /** The split key, e.g. `test3`. */
  split: string;
  /** Class names in output order. */
  classes: string[];
  /** Sensor names in row order. */
  channels: string[];
  /** Mean over the class's windows of `sum_t |attribution|`, per sensor. */
  perClass: Record<string, number[]>;
}

/** What {@linkcode explainRun} returns. */
export interface ExplainResult {
  /** `explain/saliency.json` (integrated gradients). */
  saliency: SaliencyFile;
  /** `explain/saliency_gradient_x_input.json`. */
  gradientTimesInput: SaliencyFile;
  /** `explain/explain.json`: settings, files and timing. */
  explanation: Explanation;
  /** The `explain/` folder, absolute. */
  dir: string;
}

/**
 * Explains a run folder's best model on one evaluated split. For every window of
 * the split, the gradients of its own class's logit (the dense layer's output
 * before the softmax) are taken at `steps` points from the baseline to the
 * window (integrated gradients, right Riemann sums); the baseline is the zero
 * window for sensor windows (after z-scoring: every sensor at its mean) and the
 * subject's mean band powers in the split for band-power models. `|attribution|` is summed over
 * time (or bands) per sensor and averaged over the class's windows. With the
 * run's `adaptBatchNorm` (and `testTimeAdaptation`), each subject is explained with
 * BatchNorm statistics (and normalisation gains and offsets) adapted to its own windows, as it was evaluated. Writes into `RUN_DIR/explain/`:
 * `saliency.json`, `saliency_gradient_x_input.json`, `explain.json`,
 * `saliency_<class>.svg` and, for models with spatial filters (EEGNet's
 * depthwise `[nChans, 1, F1, D]` kernel), `spatial_filter_<f>_<d>.svg`; then
 * rewrites `report.html` with an "Inside the model" section. Every file is
 * written atomically.
 *
 * @param runDir A run folder written by `trainRun`.
 * @param options Split, steps, backend, batch size, log.
 * @returns The saliency files, the explanation and the folder.
 * @throws {RangeError} when `runDir` is not a run folder (no `config.json` or no
 *   `model/`), the split was not evaluated by the run, or the model takes sensor grids.
 *
 * @example
 * ```ts
 * import { explainRun } from "./explain_run.ts";
 * import { assertRejects } from "@std/assert";
 *
 * const dir = await Deno.makeTempDir();
 * await assertRejects(() => explainRun(dir), RangeError, "not a megflow run folder");
 * await Deno.remove(dir);
 * ```
 */
export async function explainRun(runDir: string, options: ExplainRunOptions = {}): Promise<ExplainResult> {
  const log = options.log ?? ((line: string) => console.error(line));
  const dir = resolve(runDir);
  const { config, results } = await readRun(dir);
  const split = chooseSplit(dir, config, results, options.split);
  if (MODELS[config.model]?.input === "grid") {
    throw new RangeError(
      `Cannot explain ${dir}: model ${config.model} takes sensor grids; explain needs sensor windows`,
    );
  }
  const started = performance.now();
  await setupBackend(options.backend ?? config.backend ?? "auto");
  const model = await loadModel(join(dir, "model"));
  try {
    const recordings = await splitRecordings(config, split.folder);
    const steps = options.steps ?? 16;
    const bands = MODELS[config.model]?.input === "bands";
    const streamOptions = {
      steps: config.preprocess,
      batchSize: options.batchSize ?? 16,
      cacheDir: config.cacheDir ?? undefined,
      maxSamples: config.maxSamples ?? undefined,
    };
    log(`megflow explain: ${split.key} (${recordings.length} recordings), integrated gradients in ${steps} steps`);
    const sums = await saliencyOf(model, recordings, { ...streamOptions, steps, meanBaseline: bands }, config);
    const files = await writeExplanation(dir, model, sums, {
      ...(bands ? { perBand: perBandOf(config, sums) } : {}),
      split: split.key,
      steps,
      baseline: bands ? "each subject's mean band powers in the split" : "zero (every sensor at its mean)",
      score: sums.score,
      seconds: (performance.now() - started) / 1000,
    });
    await rewriteReport(dir, config, results);
    log(`megflow explain: wrote ${files.dir} in ${files.explanation.seconds.toFixed(1)} s`);
    return files;
  } finally {
    model.dispose();
  }
}

/** The band saliency of a band-power model, with the names of its bands. */
function perBandOf(config: RunConfig, sums: SaliencySums): NonNullable<Explanation["perBand"]> {
  const step = config.preprocess.find((s) => s.op === "bandPower");
  const bands = (step?.op === "bandPower" ? step.bands : undefined) ?? DEFAULT_BANDS;
  return {
    bands: bands.map((b) => b.name),
    perClass: Object.fromEntries(LABELS.map((label, k) => [label, sums.byLast.mean(k)])),
  };
}

/** `config.json` and `results.json` of a run folder, with errors that say what is missing. */
async function readRun(dir: string): Promise<{ config: RunConfig; results: RunResults }> {
  const config: RunConfig = await Deno.readTextFile(join(dir, "config.json")).then(JSON.parse, () => {
    throw new RangeError(`Cannot explain ${dir}: no readable config.json (not a megflow run folder)`);
  });
  const hasModel = await Deno.stat(join(dir, "model", "model.json")).then(() => true, () => false);
  if (!hasModel) {
    throw new RangeError(`Cannot explain ${dir}: no model/model.json (not a finished megflow run folder)`);
  }
  const results: RunResults = await Deno.readTextFile(join(dir, "results.json")).then(JSON.parse, () => {
    throw new RangeError(`Cannot explain ${dir}: no readable results.json (the run has not evaluated any split)`);
  });
  return { config, results };
}

/** The split to explain: its key and folder; throws for one the run did not evaluate. */
function chooseSplit(
  dir: string,
  config: RunConfig,
  results: RunResults,
  asked: string | undefined,
): { key: string; folder: string } {
  const evaluated = config.testSplits.filter((folder) => splitKey(folder) in (results.splits ?? {}));
  const key = asked === undefined
    ? (evaluated.some((f) => splitKey(f) === "test3") ? "test3" : splitKey(evaluated.at(-1) ?? ""))
    : splitKey(asked);
  const folder = evaluated.find((f) => splitKey(f) === key);
  if (folder === undefined) {
    throw new RangeError(
      `Cannot explain ${dir}: the run did not evaluate split "${asked ?? key}"; it evaluated ${
        evaluated.map(splitKey).join(", ") || "no test split"
      }`,
    );
  }
  return { key, folder };
}

async function splitRecordings(config: RunConfig, folder: string): Promise<Recording[]> {
  const recordings = recordingsOf(await catalog(config.data, { splits: [folder] }));
  if (recordings.length === 0) throw new RangeError(`Cannot explain: ${join(config.data, folder)} has no recordings`);
  return recordings;
}

/** Streaming settings of the saliency pass. */
interface SaliencyPass {
  steps: number;
  batchSize: number;
  meanBaseline: boolean;
  cacheDir?: string;
  maxSamples?: number;
  // deno-lint-ignore no-explicit-any
  [key: string]: any;
}

/** Per-class sums of both methods, and the score used. */
interface SaliencySums {
  integrated: SaliencyAccumulator;
  gradInput: SaliencyAccumulator;
  /** Integrated gradients per position of the last axis (bands, for band-power models). */
  byLast: SaliencyAccumulator;
  score: string;
}

/** Streams the split's windows subject by subject (adapting BatchNorm when the run did) and sums the attributions. */
async function saliencyOf(
  model: tfl.LayersModel,
  recordings: Recording[],
  pass: SaliencyPass,
  config: RunConfig,
): Promise<SaliencySums> {
  const nChans = model.inputs[0].shape[1]!;
  const sums = {
    integrated: new SaliencyAccumulator(LABELS.length, nChans),
    gradInput: new SaliencyAccumulator(LABELS.length, nChans),
    byLast: new SaliencyAccumulator(LABELS.length, model.inputs[0].shape[2]!),
    score: "",
  };
  const { steps: nSteps, meanBaseline, ...stream } = pass;
  const streamOptions = { ...stream, steps: config.preprocess };
  for (const subject of [...new Set(recordings.map((r) => r.subject))]) {
    const own = recordings.filter((r) => r.subject === subject);
    const restores: Array<() => void> = [];
    try {
      if (config.adaptBatchNorm && hasBatchNorm(model)) restores.push(await adaptBatchNorm(model, own, streamOptions));
      const testTime = config.testTimeAdaptation ?? "none";
      if (testTime !== "none") {
        restores.push(await adaptEntropy(model, own, { ...streamOptions, ...testTimeOptions(testTime) }));
      }
      const score = classScore(model);
      sums.score = score.kind;
      const baseline = meanBaseline ? await meanWindow(own, streamOptions) : undefined;
      await accumulate(score, own, streamOptions, sums, { steps: nSteps, baseline });
      baseline?.dispose();
    } finally {
      for (const restore of restores.reverse()) restore();
    }
  }
  return sums;
}

/** Adds the attributions of every window of `recordings` to `sums`. */
async function accumulate(
  score: ClassScore,
  recordings: Recording[],
  // deno-lint-ignore no-explicit-any
  streamOptions: any,
  sums: SaliencySums,
  options: { steps: number; baseline?: tf.Tensor },
): Promise<void> {
  const gate = new PullGate(2);
  await consume(streamBatches(recordings, { ...streamOptions, shuffleBuffer: 0, gate }), (batch) => {
    const xs = tf.tensor(batch.xs, batch.shape);
    try {
      const out = batchSaliency(score, xs, batch.ys, options);
      sums.integrated.add(out.integratedGradients, batch.ys);
      sums.gradInput.add(out.gradientTimesInput, batch.ys);
      sums.byLast.add(out.integratedGradientsByLast, batch.ys);
    } finally {
      xs.dispose();
    }
  }, { gate });
}

/** The mean window of `recordings` (for band powers: the subject's mean log band power per sensor and band). */
// deno-lint-ignore no-explicit-any
async function meanWindow(recordings: Recording[], streamOptions: any): Promise<tf.Tensor> {
  const gate = new PullGate(2);
  let sum: Float64Array | undefined, shape: number[] = [], count = 0;
  await consume(streamBatches(recordings, { ...streamOptions, shuffleBuffer: 0, gate }), (batch) => {
    const size = batch.xs.length / batch.ys.length;
    sum ??= new Float64Array(size);
    shape = batch.shape.slice(1);
    for (let i = 0; i < batch.xs.length; i++) sum[i % size] += batch.xs[i];
    count += batch.ys.length;
  }, { gate });
  return tf.tensor(Float32Array.from(sum!, (s) => s / count), shape);
}

/** The spatial filters of a model: EEGNet's depthwise kernel `[nChans, 1, F1, D]`, one map per (f, d). */
export function spatialFilters(model: tfl.LayersModel): { name: string; weights: number[] }[] {
  const nChans = model.inputs[0].shape[1];
  const weight = model.weights.find((w) =>
    /spatial/.test(w.originalName) && w.shape.length === 4 && w.shape[0] === nChans && w.shape[1] === 1
  );
  if (weight === undefined) return [];
  const [, , f1, d] = weight.shape as number[];
  const values = weight.read().dataSync();
  const filters: { name: string; weights: number[] }[] = [];
  for (let f = 0; f < f1; f++) {
    for (let k = 0; k < d; k++) {
      const weights = Array.from({ length: nChans! }, (_, c) => values[(c * f1 + f) * d + k]);
      filters.push({ name: `${f + 1}_${k + 1}`, weights });
    }
  }
  return filters;
}

/** Writes the JSON files and the topomaps of an explanation. */
async function writeExplanation(
  dir: string,
  model: tfl.LayersModel,
  sums: SaliencySums,
  about: Omit<Explanation, "method" | "classes" | "filters" | "files">,
): Promise<ExplainResult> {
  const out = join(dir, "explain");
  await Deno.mkdir(out, { recursive: true });
  const layout = magnes3600Layout();
  const channels = model.inputs[0].shape[1] === layout.channels.length
    ? [...layout.channels]
    : Array.from({ length: model.inputs[0].shape[1]! }, (_, c) => `A${c + 1}`);
  const fileOf = (method: string, acc: SaliencyAccumulator): SaliencyFile => ({
    method,
    split: about.split,
    classes: [...LABELS],
    channels,
    perClass: Object.fromEntries(LABELS.map((label, k) => [label, acc.mean(k)])),
  });
  const saliency = fileOf("integrated-gradients", sums.integrated);
  const gradientTimesInput = fileOf("gradient-x-input", sums.gradInput);
  await writeFileAtomic(join(out, "saliency.json"), JSON.stringify(saliency) + "\n");
  await writeFileAtomic(join(out, "saliency_gradient_x_input.json"), JSON.stringify(gradientTimesInput) + "\n");
  const drawable = channels.length === layout.channels.length;
  const classes = LABELS.map((label, k) => ({
    name: label,
    windows: sums.integrated.counts[k],
    file: `saliency_${label}.svg`,
  }));
  const filters = drawable ? spatialFilters(model).map((f) => ({ ...f, file: `spatial_filter_${f.name}.svg` })) : [];
  if (drawable) {
    for (const c of classes) {
      const svg = topomapSvg(saliency.perClass[c.name], {
        title: `${c.name}: integrated gradients (${c.windows} windows)`,
        label: "|IG|",
        colours: "sequential",
      });
      await writeFileAtomic(join(out, c.file), svg);
    }
    for (const f of filters) {
      const svg = topomapSvg(f.weights, {
        title: `spatial filter ${f.name}`,
        colours: "diverging",
        size: 200,
        resolution: 64,
      });
      await writeFileAtomic(join(out, f.file), svg);
    }
  }
  const explanation: Explanation = {
    ...about,
    method: "integrated-gradients",
    classes,
    filters: filters.map(({ name, file }) => ({ name, file })),
    files: ["saliency.json", "saliency_gradient_x_input.json", ...(drawable ? classes.map((c) => c.file) : [])],
  };
  await writeFileAtomic(join(out, "explain.json"), JSON.stringify(explanation, null, 2) + "\n");
  return { saliency, gradientTimesInput, explanation, dir: out };
}

/** Renders `report.html` again from the run's files, with the explanation. */
async function rewriteReport(dir: string, config: RunConfig, results: RunResults): Promise<void> {
  const history = (await Deno.readTextFile(join(dir, "metrics.jsonl")).catch(() => ""))
    .split("\n").filter((line) => line.trim() !== "").map((line) => JSON.parse(line));
  const inside = await readExplanation(dir);
  const report = await renderReport(
    { results, history, config: config as unknown as Record<string, unknown>, inside },
    "train" in results.splits ? { trainSplit: "train" } : {},
  );
  await writeFileAtomic(join(dir, "report.html"), report);
}
