/**
 * The source-occlusion pass of `explainRun` on generated data: every window of
 * the split is run through the model intact, with each class's source group
 * projected out (all bands, and each band group in its band), and with as many
 * random dipole fields projected out, and the outcomes per class are tallied.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { join } from "node:path";
import { lastValueFrom, tap } from "rxjs";
import { writeFileAtomic } from "../core/atomic_write.ts";
import { PullGate } from "../core/pull_gate.ts";
import { LABELS, type Recording } from "../core/types.ts";
import { ChannelStats } from "../operators/_normalise.ts";
import { readBlocks } from "../sources/read_blocks.ts";
import { SYNTH_MARKER_FILE } from "../synth/default_dataset.ts";
import { CLASS_SOURCES } from "../synth/class_sources.ts";
import { randomFieldVectors, sourceFieldVectors } from "../synth/source_fields.ts";
import { consume } from "../pipeline/consume.ts";
import { planPreprocess } from "../pipeline/preprocess.ts";
import { readResampled } from "../pipeline/read_resampled.ts";
import { streamBatches } from "../pipeline/stream_batches.ts";
import { adaptBatchNorm, hasBatchNorm } from "../training/adapt_batch_norm.ts";
import { adaptEntropy, testTimeOptions } from "../training/adapt_entropy.ts";
import type { RunConfig } from "../training/run_config.ts";
import type { BandSpectrum } from "../evaluation/band_spectrum.ts";
import {
  type OcclusionBand,
  orthonormalBasis,
  OutcomeTally,
  projectOut,
  type SourceOcclusion,
} from "../evaluation/source_occlusion.ts";
import type { Explanation } from "./_explanation_files.ts";
import type { ExplainInput } from "./_explain_input.ts";

/** One group to occlude: the class, the band (`all`: no restriction), its sources. */
interface Group {
  class: string;
  band: string;
  /** Bands removed; none: every frequency. */
  bands: string[];
  sources: string[];
}

/** Tallies of one group: with its sources removed, and with random fields removed. */
interface GroupTallies {
  own: OutcomeTally;
  random: OutcomeTally;
}

/** Where the pass reads the split, and how. */
export interface OcclusionPass {
  /** Windows per batch. */
  batchSize: number;
  /** Random draws per group. */
  draws: number;
  cacheDir?: string;
  maxSamples?: number;
}

/**
 * On generated data (a `megflow-synth.json` marker with a seed) and a sensor-window model
 * whose block steps are `resample` and/or a per-recording `zscore`: measures what removing
 * each class's sources does, adds it to `explain.json` (`sourceOcclusion`) and logs it.
 * Does nothing otherwise.
 */
export async function addSourceOcclusion(
  files: { explanation: Explanation; dir: string },
  model: tfl.LayersModel,
  config: RunConfig,
  recordings: Recording[],
  input: ExplainInput,
  pass: OcclusionPass,
  log: (line: string) => void,
): Promise<void> {
  const marker = await Deno.readTextFile(join(config.data, SYNTH_MARKER_FILE)).then(JSON.parse, () => undefined);
  if (typeof marker?.seed !== "number" || input.kind === "bands" || input.nChans !== 248) return;
  const scaling = scalingOf(input);
  if (scaling === undefined) {
    log(`megflow explain: no source occlusion (block steps other than resample and a per-recording zscore)`);
    return;
  }
  const started = performance.now();
  const groups = groupsOf(input.bands as BandSpectrum);
  const baseline = new OutcomeTally(LABELS.length);
  const tallies = groups.map(() => ({ own: new OutcomeTally(LABELS.length), random: new OutcomeTally(LABELS.length) }));
  const context = { model, config, input, pass, groups, baseline, tallies, seed: marker.seed, scaling };
  for (const subject of [...new Set(recordings.map((r) => r.subject))]) {
    await withAdaptation(model, config, pass, recordings.filter((r) => r.subject === subject), async (own) => {
      for (const recording of own) await occludeRecording(recording, context);
    });
  }
  const occlusion = summary(groups, baseline, tallies, pass.draws, (performance.now() - started) / 1000);
  files.explanation.sourceOcclusion = { seed: marker.seed, ...occlusion };
  await writeFileAtomic(join(files.dir, "explain.json"), JSON.stringify(files.explanation, null, 2) + "\n");
  for (const c of occlusion.conditions) {
    const [b, o, r] = [occlusion.baseline[c.class], c.perClass[c.class], c.random[c.class]];
    log(
      `megflow explain: removing ${c.name} (${c.sources.join(", ")}): ${c.class} recall ${b.recall.toFixed(2)} -> ${
        o.recall.toFixed(2)
      } (random fields -> ${r.recall.toFixed(2)}), p ${b.meanProbability.toFixed(2)} -> ${
        o.meanProbability.toFixed(2)
      } (${r.meanProbability.toFixed(2)}), share of windows ${b.share.toFixed(2)} -> ${o.share.toFixed(2)} (${
        r.share.toFixed(2)
      })`,
    );
  }
}

/** How each recording's windows were scaled per sensor: by its sd after `resample` (`zscore`), or not. */
function scalingOf(input: ExplainInput): { resample?: { toHz: number; fromHz?: number }; zscore: boolean } | undefined {
  const blocks = planPreprocess(input.steps).blockSteps;
  const [first, ...rest] = blocks;
  const resample = first?.op === "resample" ? first : undefined;
  const after = resample ? rest : blocks;
  const zscore = after.length === 1 && after[0].op === "zscore" && (after[0].mode ?? "recording") === "recording";
  if (after.length > 1 || (after.length === 1 && !zscore)) return undefined;
  return { resample, zscore };
}

/**
 * Every class's sources in all bands, then each of its band groups in its band (those the
 * windows have), then all its sources in every other band (`outside`).
 */
function groupsOf(spectrum: BandSpectrum): Group[] {
  const groups: Group[] = [];
  for (const label of LABELS) {
    const bands = Object.entries(CLASS_SOURCES[label]);
    const all = [...new Set(bands.flatMap(([, names]) => names))];
    groups.push({ class: label, band: "all", bands: [], sources: all });
    for (const [band, names] of bands) {
      if (spectrum.names.includes(band)) groups.push({ class: label, band, bands: [band], sources: [...names] });
    }
    const outside = spectrum.names.filter((name) => !(name in CLASS_SOURCES[label]));
    groups.push({ class: label, band: "outside", bands: outside, sources: all });
  }
  return groups;
}

/** Runs `body` on a subject's recordings with BatchNorm (and test-time) adaptation as the run was evaluated. */
async function withAdaptation(
  model: tfl.LayersModel,
  config: RunConfig,
  pass: OcclusionPass,
  own: Recording[],
  body: (own: Recording[]) => Promise<void>,
): Promise<void> {
  const streamOptions = { steps: config.preprocess, batchSize: pass.batchSize, cacheDir: pass.cacheDir };
  const restores: Array<() => void> = [];
  try {
    const options = { ...streamOptions, maxSamples: pass.maxSamples };
    if (config.adaptBatchNorm && hasBatchNorm(model)) restores.push(await adaptBatchNorm(model, own, options));
    const testTime = config.testTimeAdaptation ?? "none";
    if (testTime !== "none") {
      restores.push(await adaptEntropy(model, own, { ...options, ...testTimeOptions(testTime) }));
    }
    await body(own);
  } finally {
    for (const restore of restores.reverse()) restore();
  }
}

/** The state of the pass. */
interface PassContext {
  model: tfl.LayersModel;
  input: ExplainInput;
  pass: OcclusionPass;
  groups: Group[];
  baseline: OutcomeTally;
  tallies: GroupTallies[];
  seed: number;
  scaling: NonNullable<ReturnType<typeof scalingOf>>;
  config: RunConfig;
}

/** Tallies one recording's windows: intact, each group removed, random fields removed. */
async function occludeRecording(recording: Recording, ctx: PassContext): Promise<void> {
  const { input, pass, groups, seed } = ctx;
  const scale = ctx.scaling.zscore ? await inverseSd(recording, ctx) : undefined;
  const id = { seed, subject: recording.subject, taskType: recording.taskType, chunk: recording.chunk };
  const spectrum = input.bands as BandSpectrum;
  const plans = groups.map((g) => ({
    band: g.bands.length === 0 ? undefined : { spectrum, band: g.bands } as OcclusionBand,
    own: orthonormalBasis(sourceFieldVectors(g.sources, id), scale),
    random: Array.from(
      { length: pass.draws },
      (_, d) => orthonormalBasis(randomFieldVectors(g.sources.length, id, d), scale),
    ),
  }));
  const score = input.score(ctx.model);
  const gate = new PullGate(2);
  const stream = {
    steps: input.steps,
    batchSize: pass.batchSize,
    cacheDir: pass.cacheDir,
    maxSamples: pass.maxSamples,
  };
  await consume(streamBatches([recording], { ...stream, shuffleBuffer: 0, gate }), (batch) => {
    const xs = tf.tensor(batch.xs, batch.shape);
    const tallyOf = (tally: OutcomeTally, windows: tf.Tensor) => {
      const p = tf.tidy(() => tf.softmax(score.apply(windows)));
      tally.add(p.dataSync(), batch.ys);
      p.dispose();
    };
    const occluded = (basis: Float64Array[], band: OcclusionBand | undefined, tally: OutcomeTally) => {
      const x = tf.tensor(projectOut(batch.xs, batch.shape, basis, band), batch.shape);
      tallyOf(tally, x);
      x.dispose();
    };
    try {
      tallyOf(ctx.baseline, xs);
      plans.forEach((plan, g) => {
        occluded(plan.own, plan.band, ctx.tallies[g].own);
        for (const basis of plan.random) occluded(basis, plan.band, ctx.tallies[g].random);
      });
    } finally {
      xs.dispose();
    }
  }, { gate });
}

/** `1 / sd` per sensor of a recording as the `zscore` step sees it (after `resample`, when the run resamples). */
async function inverseSd(recording: Recording, ctx: PassContext): Promise<Float64Array> {
  const { resample } = ctx.scaling;
  const { cacheDir, maxSamples } = ctx.pass;
  const blocks = resample
    ? readResampled(recording, { toHz: resample.toHz, sfreq: resample.fromHz, maxSamples, cacheDir })
    : readBlocks(recording, { maxSamples });
  let stats: ChannelStats | undefined;
  await lastValueFrom(
    blocks.pipe(tap((block) => {
      stats ??= new ChannelStats(block.nChans);
      stats.update(block.data, block.nTimes);
    })),
    { defaultValue: undefined },
  );
  return Float64Array.from({ length: stats!.nChans }, (_, c) => {
    const sd = stats!.sd(c);
    return sd > 0 ? 1 / sd : 0;
  });
}

/** The tallies as `sourceOcclusion`. */
function summary(
  groups: Group[],
  baseline: OutcomeTally,
  tallies: GroupTallies[],
  draws: number,
  seconds: number,
): SourceOcclusion {
  const base = baseline.outcomes(LABELS);
  return {
    method: "each group's sensor fields (the generator's own, at each recording's head position and sensor gains, " +
      "scaled by 1/sd per sensor as the z-scoring did) projected out of every time sample of every window " +
      "(all frequencies, only the group's band, or every band but the class's sources' bands: outside); " +
      "control: as many random dipole fields, same bands",
    randomDraws: draws,
    seconds,
    baseline: Object.fromEntries(LABELS.map((l, k) => [l, { ...base[l], windows: baseline.counts[k] }])),
    conditions: groups.map((g, i) => ({
      name: `${g.class}:${g.band}`,
      class: g.class,
      band: g.band,
      sources: g.sources,
      perClass: tallies[i].own.outcomes(LABELS),
      random: tallies[i].random.outcomes(LABELS),
    })),
  };
}
