/**
 * Embeddings of a dataset: a sparse autoencoder of every window's log band
 * powers, trained unsupervised on `Cross/train`; UMAP (seeded) of the codes and
 * of the band powers, coloured by class and by subject; and linear probes that
 * measure how well the codes separate classes (across subjects) and subjects.
 * The `embed` task is a thin wrapper around {@linkcode embedData}.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { join, resolve } from "node:path";
import { UMAP } from "umap-js";
import { type BackendChoice, setupBackend } from "../backends/backend.ts";
import { writeFileAtomic } from "../core/atomic_write.ts";
import { isInside } from "../core/_is_inside.ts";
import { PullGate } from "../core/pull_gate.ts";
import { Random } from "../core/random.ts";
import { splitKey } from "../core/_split_key.ts";
import { LABELS } from "../core/types.ts";
import { withSeededRandom } from "../core/with_seeded_random.ts";
import { catalog, recordingsOf } from "../sources/catalog.ts";
import { sparseAutoencoder, sparseAutoencoderLoss } from "../models/sparse_autoencoder.ts";
import { consume } from "../pipeline/consume.ts";
import type { PreprocessStep } from "../pipeline/preprocess.ts";
import { streamBatches } from "../pipeline/stream_batches.ts";
import { embeddingScatterSvg, renderEmbedPage } from "../reports/embedding_plot.ts";
import { loadModelFeatures, type ModelFeatures } from "./_model_features.ts";

/** Options of {@linkcode embedData}. */
export interface EmbedOptions {
  /** Output folder (created; not inside the data folder). */
  out: string;
  /** Split folders: the first trains the autoencoder and the class probe, the others test the probe. Default: Cross/train, Cross/test1..3. */
  splits?: string[];
  /** Code units of the sparse autoencoder. Default: 32. */
  codeSize?: number;
  /** L1 penalty on the code (sparsity). Default: 0.001. */
  l1?: number;
  /** Autoencoder epochs. Default: 40. */
  epochs?: number;
  /** Seed of the autoencoder, the probes and UMAP. Default: 42. */
  seed?: number;
  /** Steps that make the features; the last must be `bandPower`. Default: {@linkcode FEATURE_STEPS}. */
  preprocess?: PreprocessStep[];
  /**
   * Features from a trained run instead of band powers: the penultimate-layer activations (the
   * input of the final softmax layer) of the run folder's model, in inference mode, over windows
   * preprocessed with the run's own `preprocess` (`preprocess` above is then ignored). Default: none.
   */
  modelRun?: string;
  /** Cache of resampled recordings. Default: none. */
  cacheDir?: string;
  /** Read only the first raw samples of each file. Default: all. */
  maxSamples?: number;
  /** tfjs backend. Default: "auto". */
  backend?: BackendChoice;
  /** Receives one line per step. Default: `console.error`. */
  log?: (line: string) => void;
}

/** The content of `embed.json`. */
export interface EmbedSummary {
  /** Accuracy of the class probe (logistic regression on the codes, trained on the first split) per test split. */
  classProbe: Record<string, number>;
  /**
   * Accuracy of the subject probe: trained on the windows of odd chunks of every subject, tested on
   * even ones (NaN, written as null, when there are no such windows).
   */
  subjectProbe: number;
  /** Chance of the subject probe: 1 / number of subjects. */
  subjectChance: number;
  /** Windows embedded per split key. */
  windows: Record<string, number>;
  /** Final reconstruction loss (mean squared error on standardised features) and mean active code units. */
  autoencoder: { loss: number; activeUnits: number; codeSize: number; l1: number; epochs: number };
  /** What was embedded: `bandpower`, or `model:<run folder>` (penultimate-layer activations). */
  features: string;
  /** Preprocessing of the features. */
  preprocess: PreprocessStep[];
  /** Seconds it took. */
  seconds: number;
}

/** The default features: band powers of 2 s windows every second at 125 Hz, z-scored per recording. */
export const FEATURE_STEPS: PreprocessStep[] = [
  { op: "resample", toHz: 125 },
  { op: "zscore" },
  { op: "window", windowSeconds: 2, strideSeconds: 1 },
  { op: "bandPower" },
];

/** Every embedded window: its features and where it comes from. */
interface Windows {
  features: Float32Array[];
  labels: number[];
  subjects: string[];
  chunks: number[];
  splits: string[];
  recordings: string[];
}

/**
 * Embeds the windows of a dataset folder and writes `embed.html`, `embed.json`
 * and `codes.csv` (split, subject, recording, chunk, label, code values) into
 * `options.out`. Features are the log band powers (`FEATURE_STEPS`) or, with
 * `modelRun`, a trained run's penultimate-layer activations; either is standardised
 * with the first split's mean and deviation; the sparse autoencoder (ReLU code,
 * L1 on the code) is trained on the first split's windows only, with Adam
 * (1e-3, batches of 64, seeded).
 *
 * @param data Dataset root with the split folders.
 * @param options Output folder, splits, autoencoder settings, seed.
 * @returns The summary written to `embed.json`.
 * @throws {RangeError} when the output folder lies inside the data folder or a split has no recordings.
 *
 * @example
 * ```ts
 * import { embedData } from "./embed_data.ts";
 * import { assertRejects } from "@std/assert";
 *
 * const data = await Deno.makeTempDir();
 * await assertRejects(() => embedData(data, { out: `${data}/embed` }), RangeError, "inside the data folder");
 * await Deno.remove(data);
 * ```
 */
export async function embedData(data: string, options: EmbedOptions): Promise<EmbedSummary> {
  const log = options.log ?? ((line: string) => console.error(line));
  const out = resolve(options.out);
  if (isInside(out, resolve(data))) throw new RangeError(`Refusing to write ${out} inside the data folder ${data}`);
  const started = performance.now();
  const splits = options.splits ?? ["Cross/train", "Cross/test1", "Cross/test2", "Cross/test3"];
  await setupBackend(options.backend ?? "auto");
  const model = options.modelRun === undefined ? undefined : await loadModelFeatures(options.modelRun);
  const steps = model?.steps ?? options.preprocess ?? FEATURE_STEPS;
  let windows: Windows;
  try {
    windows = await readFeatures(data, splits, { ...options, preprocess: steps }, model);
  } finally {
    model?.dispose();
  }
  const what = model ? "penultimate-layer activations" : "band powers";
  log(`megflow embed: ${windows.labels.length} windows of ${windows.features[0].length} ${what}`);
  standardise(windows, splits[0]);
  const seed = options.seed ?? 42;
  const ae = await withSeededRandom(seed, () => trainAutoencoder(windows, splits[0], options));
  log(`megflow embed: autoencoder loss ${ae.loss.toFixed(3)}, ${ae.activeUnits.toFixed(1)} active units`);
  const classProbe: Record<string, number> = {};
  for (const split of splits.slice(1)) {
    classProbe[splitKey(split)] = await withSeededRandom(seed, () =>
      probe(ae.codes, {
        train: (i) => windows.splits[i] === splits[0],
        test: (i) => windows.splits[i] === split,
        target: (i) => windows.labels[i],
      }));
  }
  const subjects = [...new Set(windows.subjects)];
  const subjectProbe = await withSeededRandom(seed, () =>
    probe(ae.codes, {
      train: (i) => windows.chunks[i] % 2 === 1,
      test: (i) => windows.chunks[i] % 2 === 0,
      target: (i) => subjects.indexOf(windows.subjects[i]),
    }));
  log(`megflow embed: class probe ${JSON.stringify(classProbe)}, subject probe ${subjectProbe.toFixed(3)}`);
  const summary: EmbedSummary = {
    classProbe,
    subjectProbe,
    subjectChance: 1 / subjects.length,
    windows: Object.fromEntries(splits.map((s) => [splitKey(s), windows.splits.filter((x) => x === s).length])),
    autoencoder: { ...ae.about, loss: ae.loss, activeUnits: ae.activeUnits },
    features: model?.name ?? "bandpower",
    preprocess: steps,
    seconds: 0,
  };
  await writeOutputs(out, windows, ae.codes, summary, seed, started);
  return summary;
}

/** Streams the features (band powers, or a model's activations) of every window of every split. */
async function readFeatures(
  data: string,
  splits: string[],
  options: EmbedOptions,
  model: ModelFeatures | undefined,
): Promise<Windows> {
  const all = recordingsOf(await catalog(data, { splits }));
  const windows: Windows = { features: [], labels: [], subjects: [], chunks: [], splits: [], recordings: [] };
  for (const split of splits) {
    const recordings = all.filter((r) => r.split === split);
    if (recordings.length === 0) throw new RangeError(`Cannot embed: ${join(data, split)} has no recordings`);
    const gate = new PullGate(2);
    const stream = streamBatches(recordings, {
      steps: options.preprocess ?? FEATURE_STEPS,
      batchSize: 64,
      shuffleBuffer: 0,
      gate,
      cacheDir: options.cacheDir,
      maxSamples: options.maxSamples,
    });
    await consume(stream, (batch) => {
      const xs = model ? model.of(batch) : batch.xs;
      const size = xs.length / batch.ys.length;
      for (let i = 0; i < batch.ys.length; i++) {
        windows.features.push(xs.slice(i * size, (i + 1) * size));
        windows.labels.push(batch.ys[i]);
        windows.subjects.push(batch.recordings[i].subject);
        windows.chunks.push(batch.recordings[i].chunk);
        windows.splits.push(split);
        windows.recordings.push(batch.recordings[i].datasetName + `_${batch.recordings[i].chunk}`);
      }
    }, { gate });
  }
  return windows;
}

/** Standardises every feature with the mean and standard deviation over the windows of `split`. */
function standardise(windows: Windows, split: string): void {
  const n = windows.features[0].length;
  const mean = new Float64Array(n), sq = new Float64Array(n);
  let count = 0;
  windows.features.forEach((f, i) => {
    if (windows.splits[i] !== split) return;
    count++;
    for (let j = 0; j < n; j++) [mean[j], sq[j]] = [mean[j] + f[j], sq[j] + f[j] * f[j]];
  });
  for (let j = 0; j < n; j++) {
    mean[j] /= count;
    sq[j] = Math.sqrt(Math.max(sq[j] / count - mean[j] * mean[j], 1e-12));
  }
  for (const f of windows.features) for (let j = 0; j < n; j++) f[j] = (f[j] - mean[j]) / sq[j];
}

/**
 * Trains the autoencoder on the first split's windows (Adam 1e-3, shuffled batches of 64,
 * loss: reconstruction MSE + L1 on the code); returns the codes of every window.
 */
function trainAutoencoder(windows: Windows, split: string, options: EmbedOptions) {
  const about = { codeSize: options.codeSize ?? 32, l1: options.l1 ?? 0.001, epochs: options.epochs ?? 40 };
  const ae = sparseAutoencoder(windows.features[0].length, about);
  const { encoder, autoencoder } = ae;
  const rows = windows.features.filter((_, i) => windows.splits[i] === split);
  const optimizer = tf.train.adam(1e-3);
  const random = new Random(options.seed ?? 42);
  let loss = NaN;
  for (let epoch = 0; epoch < about.epochs; epoch++) {
    const order = random.shuffle(rows.map((_, i) => i));
    let sum = 0;
    for (let start = 0; start < order.length; start += 64) {
      const x = tf.tensor2d(order.slice(start, start + 64).map((i) => Array.from(rows[i])));
      const value = optimizer.minimize(() => sparseAutoencoderLoss(ae, x, about.l1), true)!;
      sum += value.dataSync()[0] * x.shape[0];
      tf.dispose([x, value]);
    }
    loss = sum / order.length;
  }
  optimizer.dispose();
  const all = tf.stack(windows.features.map((f) => tf.tensor1d(f)));
  const codeTensor = encoder.predict(all) as tf.Tensor2D;
  const codes = codeTensor.arraySync();
  tf.dispose([all, codeTensor]);
  autoencoder.dispose();
  const activeUnits = codes.reduce((n, c) => n + c.filter((v) => v > 0).length, 0) / codes.length;
  return { codes, about, loss, activeUnits };
}

/** Accuracy of a softmax regression on the codes (standardised with the training rows), trained 200 epochs. */
async function probe(
  codes: number[][],
  rows: { train: (i: number) => boolean; test: (i: number) => boolean; target: (i: number) => number },
): Promise<number> {
  const index = codes.map((_, i) => i);
  const [trainRows, testRows] = [index.filter(rows.train), index.filter(rows.test)];
  if (trainRows.length === 0 || testRows.length === 0) return NaN;
  const nClasses = Math.max(...index.map(rows.target)) + 1;
  const dim = codes[0].length;
  const mean = Array.from({ length: dim }, (_, j) => trainRows.reduce((s, i) => s + codes[i][j], 0) / trainRows.length);
  const std = mean.map((m, j) =>
    Math.sqrt(trainRows.reduce((s, i) => s + (codes[i][j] - m) ** 2, 0) / trainRows.length) || 1
  );
  const x = (rs: number[]) => tf.tensor2d(rs.map((i) => codes[i].map((v, j) => (v - mean[j]) / std[j])));
  const model = tfl.sequential({
    layers: [tfl.layers.dense({ inputShape: [dim], units: nClasses, activation: "softmax" })],
  });
  model.compile({ optimizer: tf.train.adam(0.01), loss: "sparseCategoricalCrossentropy" });
  const [xTrain, yTrain, xTest] = [x(trainRows), tf.tensor1d(trainRows.map(rows.target)), x(testRows)];
  await model.fit(xTrain, yTrain, { epochs: 200, batchSize: 256, verbose: 0 });
  const predicted = tf.argMax(model.predict(xTest) as tf.Tensor, 1).arraySync() as number[];
  tf.dispose([xTrain, yTrain, xTest]);
  model.dispose();
  return predicted.filter((p, k) => p === rows.target(testRows[k])).length / testRows.length;
}

/** UMAP to 2-D with a seeded random source. */
function umap2d(points: number[][], seed: number): number[][] {
  const random = new Random(seed);
  return new UMAP({ nComponents: 2, nNeighbors: 15, minDist: 0.1, random: () => random.next() }).fit(points);
}

/** Writes `embed.json`, `codes.csv` and `embed.html`. */
async function writeOutputs(
  out: string,
  windows: Windows,
  codes: number[][],
  summary: EmbedSummary,
  seed: number,
  started: number,
): Promise<void> {
  await Deno.mkdir(out, { recursive: true });
  const subjects = [...new Set(windows.subjects)];
  const scatter = (xy: number[][], by: "class" | "subject", what: string) =>
    embeddingScatterSvg(
      xy.map(([x, y], i) => ({
        x,
        y,
        group: by === "class" ? windows.labels[i] : subjects.indexOf(windows.subjects[i]),
      })),
      by === "class" ? [...LABELS] : subjects,
      `${what}, coloured by ${by}`,
    );
  const codeMap = umap2d(codes, seed);
  const rawMap = umap2d(windows.features.map((f) => Array.from(f)), seed);
  summary.seconds = (performance.now() - started) / 1000;
  const header = ["split", "subject", "recording", "chunk", "label", ...codes[0].map((_, j) => `code${j}`)];
  const csv = [
    header.join(","),
    ...codes.map((c, i) =>
      [
        splitKey(windows.splits[i]),
        windows.subjects[i],
        windows.recordings[i],
        windows.chunks[i],
        LABELS[windows.labels[i]],
        ...c.map((v) => v.toPrecision(5)),
      ].join(",")
    ),
  ].join("\n") + "\n";
  await writeFileAtomic(join(out, "codes.csv"), csv);
  await writeFileAtomic(join(out, "embed.json"), JSON.stringify(summary, null, 2) + "\n");
  const rows: [string, string][] = [
    ...Object.entries(summary.classProbe).map((
      [k, v],
    ): [string, string] => [`class probe ${k} (chance 0.25)`, v.toFixed(3)]),
    [`subject probe (chance ${summary.subjectChance.toFixed(3)})`, summary.subjectProbe.toFixed(3)],
  ];
  const raw = summary.features === "bandpower" ? "band powers" : "model features";
  const intro =
    `UMAP (seeded) of the sparse autoencoder's codes (${summary.autoencoder.codeSize} units, L1 ${summary.autoencoder.l1}) ` +
    `and of the standardised ${
      summary.features === "bandpower" ? "log band powers" : `penultimate-layer activations of ${summary.features}`
    }, one point per window. Probes: logistic regression on the codes.`;
  await writeFileAtomic(
    join(out, "embed.html"),
    renderEmbedPage("megflow embeddings", intro, rows, [
      scatter(codeMap, "class", "codes"),
      scatter(codeMap, "subject", "codes"),
      scatter(rawMap, "class", raw),
      scatter(rawMap, "subject", raw),
    ]),
  );
}
