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
import { SYNTH_MARKER_FILE } from "../synth/default_dataset.ts";
import { classSourceFields } from "../synth/class_sources.ts";
import { type BackendChoice, setupBackend } from "../backends/backend.ts";
import { writeFileAtomic } from "../core/atomic_write.ts";
import { magnes3600Layout } from "../core/layout.ts";
import { PullGate } from "../core/pull_gate.ts";
import { splitKey } from "../core/_split_key.ts";
import { LABELS, type Recording } from "../core/types.ts";
import { catalog, recordingsOf } from "../sources/catalog.ts";
import { consume } from "../pipeline/consume.ts";
import { streamBatches } from "../pipeline/stream_batches.ts";
import { loadModel } from "../training/checkpoint.ts";
import { adaptBatchNorm, hasBatchNorm } from "../training/adapt_batch_norm.ts";
import { adaptEntropy, testTimeOptions } from "../training/adapt_entropy.ts";
import type { RunConfig } from "../training/run_config.ts";
import type { RunResults } from "../evaluation/metrics.ts";
import {
  batchSaliency,
  type BatchSaliencyOptions,
  type ClassScore,
  SaliencyAccumulator,
} from "../evaluation/saliency.ts";
import { sourceMatch } from "../evaluation/source_match.ts";
import { topomapSvg } from "../reports/topomap.ts";
import { renderReport } from "../reports/report.ts";
import { type Explanation, readExplanation } from "./_explanation_files.ts";
import { type ExplainInput, explainInput } from "./_explain_input.ts";
import { addSourceOcclusion } from "./_source_occlusion_pass.ts";

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
  /** Random draws of the source-occlusion control (generated data only); 0: no occlusion. Default: 3. */
  occlusionDraws?: number;
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
  /**
   * Per class and frequency band, per sensor: the mean over the class's windows of
   * `|sum_t g(t) (x - x0)_b(t)|`, the attribution carried by the band-passed input (see
   * `evaluation/band_spectrum.ts`); bands delta..gamma, `below` and `above` (the spectrum under
   * 1 Hz and over 45 Hz up to Nyquist) for sensor windows, the model's own bands for band-power input.
   */
  perBand: Record<string, Record<string, number[]>>;
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
 * time (or bands) per sensor and averaged over the class's windows; the same
 * attributions are also split by frequency band (`saliency.json`'s `perBand`, see
 * `evaluation/band_spectrum.ts`). Models that take sensor grids (`vivit`,
 * `cascade`) are differentiated with respect to the sensor window, the gridding
 * composed into the score (`evaluation/gridded_score.ts`), so every model gets
 * one value per sensor. With the
 * run's `adaptBatchNorm` (and `testTimeAdaptation`), each subject is explained with
 * BatchNorm statistics (and normalisation gains and offsets) adapted to its own windows, as it was evaluated. Writes into `RUN_DIR/explain/`:
 * `saliency.json`, `saliency_gradient_x_input.json`, `explain.json`,
 * `saliency_<class>.svg`, `saliency_<class>_<band>.svg` and, for models with spatial filters (EEGNet's
 * depthwise `[nChans, 1, F1, D]` kernel), `spatial_filter_<f>_<d>.svg`; then
 * rewrites `report.html` with an "Inside the model" section. On data made by
 * megflow's generator, `explain.json` also says how well each class's saliency
 * matches the field of the sources the generator put in that class
 * (`sourceMatch`), and what removing each class's sources from the windows does to
 * the class's probability and recall, against removing as many random fields
 * (`sourceOcclusion`, see `evaluation/source_occlusion.ts`). Every file is
 * written atomically.
 *
 * @param runDir A run folder written by `trainRun`.
 * @param options Split, steps, backend, batch size, log.
 * @returns The saliency files, the explanation and the folder.
 * @throws {RangeError} when `runDir` is not a run folder (no `config.json` or no
 *   `model/`), or the split was not evaluated by the run.
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
  const started = performance.now();
  await setupBackend(options.backend ?? config.backend ?? "auto");
  const model = await loadModel(join(dir, "model"));
  try {
    const recordings = await splitRecordings(config, split.folder);
    const steps = options.steps ?? 16;
    const input = explainInput(config, model);
    const bands = input.kind === "bands";
    const streamOptions = {
      steps: config.preprocess,
      batchSize: options.batchSize ?? 16,
      cacheDir: config.cacheDir ?? undefined,
      maxSamples: config.maxSamples ?? undefined,
    };
    log(`megflow explain: ${split.key} (${recordings.length} recordings), integrated gradients in ${steps} steps`);
    const sums = await saliencyOf(model, recordings, { ...streamOptions, steps, meanBaseline: bands }, config, input);
    const files = await writeExplanation(dir, model, sums, {
      ...(bands ? { perBand: perBandOf(input, sums) } : {}),
      split: split.key,
      steps,
      baseline: bands ? "each subject's mean band powers in the split" : "zero (every sensor at its mean)",
      score: sums.score,
      seconds: (performance.now() - started) / 1000,
    });
    await matchSources(files, config, recordings, log);
    const draws = options.occlusionDraws ?? 3;
    if (draws > 0) await addSourceOcclusion(files, model, config, recordings, input, { ...streamOptions, draws }, log);
    await rewriteReport(dir, config, results);
    log(`megflow explain: wrote ${files.dir} in ${files.explanation.seconds.toFixed(1)} s`);
    return files;
  } finally {
    model.dispose();
  }
}

/** The band saliency of a band-power model, with the names of its bands. */
function perBandOf(input: ExplainInput, sums: SaliencySums): NonNullable<Explanation["perBand"]> {
  return {
    bands: input.bandNames,
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
  /** Both methods per sensor and band, `[nChans, nBands]` row-major per class. */
  bandIntegrated: SaliencyAccumulator;
  bandGradInput: SaliencyAccumulator;
  /** Band names of the band sums. */
  bandNames: string[];
  score: string;
}

/** Streams the split's windows subject by subject (adapting BatchNorm when the run did) and sums the attributions. */
async function saliencyOf(
  model: tfl.LayersModel,
  recordings: Recording[],
  pass: SaliencyPass,
  config: RunConfig,
  input: ExplainInput,
): Promise<SaliencySums> {
  const { nChans, bandNames } = input;
  const sums = {
    integrated: new SaliencyAccumulator(LABELS.length, nChans),
    gradInput: new SaliencyAccumulator(LABELS.length, nChans),
    byLast: new SaliencyAccumulator(LABELS.length, input.nLast),
    bandIntegrated: new SaliencyAccumulator(LABELS.length, nChans * bandNames.length),
    bandGradInput: new SaliencyAccumulator(LABELS.length, nChans * bandNames.length),
    bandNames,
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
      const score = input.score(model);
      sums.score = score.kind;
      const sensorStream = { ...streamOptions, steps: input.steps };
      const baseline = meanBaseline ? await meanWindow(own, sensorStream) : undefined;
      await accumulate(score, own, sensorStream, sums, { steps: nSteps, baseline, bands: input.bands });
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
  options: BatchSaliencyOptions,
): Promise<void> {
  const gate = new PullGate(2);
  await consume(streamBatches(recordings, { ...streamOptions, shuffleBuffer: 0, gate }), (batch) => {
    const xs = tf.tensor(batch.xs, batch.shape);
    try {
      const out = batchSaliency(score, xs, batch.ys, options);
      sums.integrated.add(out.integratedGradients, batch.ys);
      sums.gradInput.add(out.gradientTimesInput, batch.ys);
      sums.byLast.add(out.integratedGradientsByLast, batch.ys);
      sums.bandIntegrated.add(out.integratedGradientsByBand!, batch.ys);
      sums.bandGradInput.add(out.gradientTimesInputByBand!, batch.ys);
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
  about: Omit<Explanation, "method" | "classes" | "filters" | "files" | "bands">,
): Promise<ExplainResult> {
  const out = join(dir, "explain");
  await Deno.mkdir(out, { recursive: true });
  const layout = magnes3600Layout();
  const nChans = sums.integrated.nChans;
  const channels = nChans === layout.channels.length
    ? [...layout.channels]
    : Array.from({ length: nChans }, (_, c) => `A${c + 1}`);
  const fileOf = (method: string, acc: SaliencyAccumulator, byBand: SaliencyAccumulator): SaliencyFile => ({
    method,
    split: about.split,
    classes: [...LABELS],
    channels,
    perClass: Object.fromEntries(LABELS.map((label, k) => [label, acc.mean(k)])),
    perBand: Object.fromEntries(LABELS.map((label, k) => [label, bandMaps(byBand.mean(k), sums.bandNames)])),
  });
  const saliency = fileOf("integrated-gradients", sums.integrated, sums.bandIntegrated);
  const gradientTimesInput = fileOf("gradient-x-input", sums.gradInput, sums.bandGradInput);
  await writeFileAtomic(join(out, "saliency.json"), JSON.stringify(saliency) + "\n");
  await writeFileAtomic(join(out, "saliency_gradient_x_input.json"), JSON.stringify(gradientTimesInput) + "\n");
  const drawable = channels.length === layout.channels.length;
  const drawn = drawable ? await drawMaps(out, model, saliency, sums) : undefined;
  const classes = LABELS.map((label, k) => ({
    name: label,
    windows: sums.integrated.counts[k],
    file: `saliency_${label}.svg`,
  }));
  const explanation: Explanation = {
    ...about,
    method: "integrated-gradients",
    classes,
    filters: drawn?.filters ?? [],
    bands: {
      names: sums.bandNames,
      classes: LABELS.map((label) => ({
        name: label,
        shares: bandShares(saliency.perBand[label], sums.bandNames),
        files: drawable ? sums.bandNames.map((band) => `saliency_${label}_${band}.svg`) : [],
      })),
    },
    files: ["saliency.json", "saliency_gradient_x_input.json", ...(drawn?.files ?? [])],
  };
  await writeFileAtomic(join(out, "explain.json"), JSON.stringify(explanation, null, 2) + "\n");
  return { saliency, gradientTimesInput, explanation, dir: out };
}

/** `[nChans, nBands]` row-major means to one map per band. */
function bandMaps(means: number[], names: string[]): Record<string, number[]> {
  const nChans = means.length / names.length;
  return Object.fromEntries(
    names.map((band, b) => [band, Array.from({ length: nChans }, (_, c) => means[c * names.length + b])]),
  );
}

/** Each band's share of a class's per-band saliency, summed over the sensors. */
function bandShares(perBand: Record<string, number[]>, names: string[]): number[] {
  const totals = names.map((band) => perBand[band].reduce((a, b) => a + b, 0));
  const all = totals.reduce((a, b) => a + b, 0);
  return totals.map((t) => (all > 0 ? t / all : 0));
}

/**
 * Draws the topomaps: one per class, one per (class, band), and the spatial filters.
 * Returns the filters drawn and every file written.
 */
async function drawMaps(
  out: string,
  model: tfl.LayersModel,
  saliency: SaliencyFile,
  sums: SaliencySums,
): Promise<{ filters: { name: string; file: string }[]; files: string[] }> {
  const files: string[] = [];
  const write = async (file: string, svg: string) => {
    await writeFileAtomic(join(out, file), svg);
    files.push(file);
  };
  for (const [k, label] of LABELS.entries()) {
    const windows = sums.integrated.counts[k];
    await write(
      `saliency_${label}.svg`,
      topomapSvg(saliency.perClass[label], {
        title: `${label}: integrated gradients (${windows} windows)`,
        label: "|IG|",
        colours: "sequential",
      }),
    );
    const shares = bandShares(saliency.perBand[label], sums.bandNames);
    for (const [b, band] of sums.bandNames.entries()) {
      await write(
        `saliency_${label}_${band}.svg`,
        topomapSvg(saliency.perBand[label][band], {
          title: `${label} ${band} ${(100 * shares[b]).toFixed(0)}%`,
          colours: "sequential",
          size: 120,
          resolution: 40,
          levels: 6,
          sensors: false,
        }),
      );
    }
  }
  const filters = spatialFilters(model).map((f) => ({ ...f, file: `spatial_filter_${f.name}.svg` }));
  for (const f of filters) {
    await write(
      f.file,
      topomapSvg(f.weights, { title: `spatial filter ${f.name}`, colours: "diverging", size: 200, resolution: 64 }),
    );
  }
  return { filters: filters.map(({ name, file }) => ({ name, file })), files };
}

/**
 * On data made by megflow's generator (a `megflow-synth.json` marker in the data folder)
 * and a split of one subject: correlates each class's saliency (all bands, and each band
 * of its sources) with the field of the sources the generator put in that class, at that
 * subject's own source geometry and head placement, and adds it to `explain.json`.
 */
async function matchSources(
  files: ExplainResult,
  config: RunConfig,
  recordings: Recording[],
  log: (line: string) => void,
): Promise<void> {
  const marker = await Deno.readTextFile(join(config.data, SYNTH_MARKER_FILE)).then(JSON.parse, () => undefined);
  const subjects = [...new Set(recordings.map((r) => r.subject))];
  if (typeof marker?.seed !== "number" || files.saliency.channels.length !== 248) return;
  const subject = subjects.length === 1 ? subjects[0] : undefined;
  const fields = classSourceFields({ seed: marker.seed, subject });
  const match = sourceMatch(files.saliency.perClass, files.saliency.perBand, fields);
  files.explanation.sourceMatch = { seed: marker.seed, subject: subject ?? "nominal geometry", ...match };
  await writeFileAtomic(join(files.dir, "explain.json"), JSON.stringify(files.explanation, null, 2) + "\n");
  for (const [name, r] of Object.entries(match.own)) {
    const others = (band: string) =>
      Math.max(...Object.entries(match.cross[name][band]).filter(([m]) => m !== name).map(([, v]) => v)).toFixed(2);
    const bands = Object.entries(r).map(([band, v]) => `${band} ${v.toFixed(2)} (others <= ${others(band)})`);
    log(`megflow explain: ${name} saliency vs its sources' field (Pearson r): ${bands.join(", ")}`);
  }
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
