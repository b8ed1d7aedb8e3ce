/**
 * The numbers of a study, from the `results.json` of its runs: accuracy per
 * model and setting over seeds (mean and sample standard deviation), the
 * train/test gap and what it says, and each improvement against the baseline
 * with the same seeds (paired differences).
 *
 * Roles: every split of a run is `train`, `validation` (it chose the best epoch or
 * early stopping) or `test` (it chose nothing), as its `results.json` says (results
 * written before roles: as its config implies, see `roleOfSplit`). Headline numbers
 * come from test splits only: intra-subject `test` (Intra/test); cross-subject
 * `test3`, and the mean over the cross test folders (test1..test3) that are tests
 * in the run: all three with the default held-out validation, test3 alone for runs
 * that validated on test1 + test2. A validation split is never averaged into a
 * test number.
 *
 * @module
 */
import { type GapStatement, type RunResults, trainTestGap } from "../evaluation/metrics.ts";
import { fixed } from "../reports/_svg.ts";
import type { RunConfig } from "../training/run_config.ts";
import { TASK_TYPES } from "../core/types.ts";
import { IMPROVEMENTS } from "./improvements.ts";
import type { StudyRunLabel } from "./plan_study.ts";
import { roleOfSplit, type SplitRole } from "../training/validation_plan.ts";

/** A statistic over seeds. */
export interface Stat {
  /** Mean. */
  mean: number;
  /** Sample standard deviation (n - 1); null for fewer than 2 values. */
  sd: number | null;
  /** Number of values. */
  n: number;
  /** The values, in seed order. */
  values: number[];
}

/** Window and recording accuracy over seeds. */
export interface AccuracyStat {
  /** Accuracy per window. */
  window: Stat;
  /** Accuracy per recording (majority vote). */
  recording: Stat;
}

/** One finished (or failed) run of a study. */
export interface StudyRun {
  /** Folder name. */
  id: string;
  /** Place in the study. */
  label: StudyRunLabel;
  /** The run's configuration. */
  config: RunConfig;
  /** Its `results.json`; undefined when the run failed. */
  results?: RunResults;
  /** Error of a failed run. */
  error?: string;
}

/** One run in `study.json`: its label and its numbers. */
export interface StudyRunSummary extends StudyRunLabel {
  /** Folder name under `trials/`, or `ensembles/<name>` for an ensemble (see {@linkcode isEnsembleId}). */
  id: string;
  /** "done" or "failed". */
  status: "done" | "failed";
  /** Window and recording accuracy, macro-F1 and role of every evaluated split. */
  splits: Record<string, { windowAccuracy: number; recordingAccuracy: number; macroF1: number; role: SplitRole }>;
  /** Train vs headline test split (window level), with its sentence. */
  gap?: GapStatement;
  /** Train vs headline test split at the recording level. */
  recordingGap?: GapStatement;
  /** Epoch whose weights were kept. */
  bestEpoch?: number;
  /** Wall-clock seconds. */
  seconds?: number;
  /** Error of a failed run. */
  error?: string;
}

/** The folder of a study that holds its ensembles. */
export const ENSEMBLES_FOLDER = "ensembles";

/**
 * Whether a study run id names an ensemble (a folder under `ensembles/`, trained nothing) rather than a training run.
 *
 * @param id A run id of a study.
 * @returns True for `ensembles/<name>`.
 */
export function isEnsembleId(id: string): boolean {
  return id.startsWith(`${ENSEMBLES_FOLDER}/`);
}

/** A model in one setting with one variant, over seeds. */
export interface GroupSummary {
  /** "intra" or "cross". */
  task: RunConfig["task"];
  /** Model. */
  model: string;
  /** "baseline" or an improvement. */
  variant: string;
  /** Seeds of the finished runs. */
  seeds: number[];
  /** Headline test split: `test` (intra) or `test3` (cross, the final test). */
  testSplit: string;
  /** Accuracy on the headline test split. */
  test: AccuracyStat;
  /** Cross-subject: accuracy averaged per run over its test-role folders among test1..test3 (`meanOf`). */
  meanTests?: AccuracyStat;
  /** The split keys `meanTests` averages: test-role splits only (e.g. test1, test2, test3; or test3 alone). */
  meanOf?: string[];
  /** Role of every split key, as in the group's runs (a key that validated in any run counts as validation); absent in older study.json. */
  roles?: Record<string, SplitRole>;
  /** Accuracy on the training recordings after training. */
  train: AccuracyStat;
  /** Train minus headline-test accuracy. */
  gap: AccuracyStat;
  /** Every split's accuracy. */
  splits: Record<string, AccuracyStat>;
}

/** An improvement against the baseline with the same seeds. */
export interface ImprovementSummary {
  /** Improvement name. */
  variant: string;
  /** Model. */
  model: string;
  /** What it changes. */
  description: string;
  /** Why it should help. */
  rationale: string;
  /** Seeds where both the improvement and the baseline finished. */
  seeds: number[];
  /** Improvement minus baseline, per seed: test3 accuracy. */
  diffTest: AccuracyStat;
  /** Improvement minus baseline, per seed: accuracy averaged over the test-role splits of test1..test3. */
  diffMeanTests: AccuracyStat;
  /** The split keys `diffMeanTests` averages (test-role in both runs of every pair); absent in older study.json. */
  meanOf?: string[];
  /** Improvement minus baseline, per seed: train/test3 gap (window). */
  diffGap: Stat;
  /** Seeds where the mean test1..test3 window accuracy went up. */
  betterSeeds: number;
  /** One sentence for a reader. */
  sentence: string;
}

/** Train/test gaps of a model in both settings, and what they suggest. */
export interface GapSummary {
  /** Model. */
  model: string;
  /** Intra-subject gap (train - test), window level. */
  intra?: Stat;
  /** Cross-subject gap (train - test3), window level. */
  cross?: Stat;
  /** The likely cause, from the two gaps and the two test accuracies. */
  cause: string;
}

/** Everything `summariseStudy` computes. */
export interface StudySummary {
  /** One entry per run. */
  runs: StudyRunSummary[];
  /** One entry per task, model and variant. */
  groups: GroupSummary[];
  /** Gaps per model. */
  gaps: GapSummary[];
  /** Improvements against the baseline. */
  improvements: ImprovementSummary[];
  /** Sentences summing up parts b and d. */
  conclusions: string[];
}

/**
 * Mean, sample standard deviation and count of some numbers.
 *
 * @param values The numbers.
 * @returns The statistic (mean NaN for none; sd null for fewer than 2).
 *
 * @example
 * ```ts
 * import { stat } from "./summarise_study.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(stat([1, 2, 3]), { mean: 2, sd: 1, n: 3, values: [1, 2, 3] });
 * ```
 */
export function stat(values: readonly number[]): Stat {
  const n = values.length;
  const mean = n === 0 ? NaN : values.reduce((a, b) => a + b, 0) / n;
  const sd = n < 2 ? null : Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1));
  return { mean, sd, n, values: [...values] };
}

function accuracy(values: Array<{ window: number; recording: number }>): AccuracyStat {
  return { window: stat(values.map((v) => v.window)), recording: stat(values.map((v) => v.recording)) };
}

/** Options of {@linkcode formatStat}. */
export interface FormatStatOptions {
  /** Put a `+` before a mean of 0 or more (for differences). Default: `false`. */
  signed?: boolean;
}

/**
 * A statistic over seeds as text: the mean and, for two values or more,
 * ` ± ` the standard deviation, each with two decimals (an en dash for a
 * mean that is not a finite number).
 *
 * @param s The statistic.
 * @param options Whether to sign the mean.
 * @returns The text, e.g. `0.60 ± 0.14` or `+0.05`.
 *
 * @example
 * ```ts
 * import { formatStat, stat } from "./summarise_study.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(formatStat(stat([0.5, 0.7])), "0.60 ± 0.14");
 * assertEquals(formatStat(stat([0.05]), { signed: true }), "+0.05");
 * assertEquals(formatStat(stat([-0.1, -0.3]), { signed: true }), "-0.20 ± 0.14");
 * assertEquals(formatStat(stat([])), "–");
 * ```
 */
export function formatStat(s: Stat, options: FormatStatOptions = {}): string {
  const sign = options.signed && s.mean >= 0 ? "+" : "";
  return `${sign}${fixed(s.mean)}${s.sd === null ? "" : ` ± ${fixed(s.sd)}`}`;
}

/** Headline test split key of a task. */
export function testSplitOf(task: RunConfig["task"]): string {
  return task === "intra" ? "test" : "test3";
}

const CROSS_TESTS = ["test1", "test2", "test3"];

/** The role of a split of a study run (see the module doc). */
function roleIn(run: StudyRun, key: string): SplitRole {
  return roleOfSplit(key, run.results?.splits[key]?.role, run.config);
}

/** The cross test folders (test1..test3) that are tests, not validation, in every one of `runs`. */
function testKeysOf(runs: readonly StudyRun[]): string[] {
  return CROSS_TESTS.filter((k) => runs.every((r) => r.results?.splits[k] !== undefined && roleIn(r, k) === "test"));
}

function meanOfTests(results: RunResults, keys: readonly string[]): { window: number; recording: number } | undefined {
  const present = keys.map((k) => results.splits[k]).filter((m) => m !== undefined);
  if (present.length === 0) return undefined;
  return {
    window: present.reduce((s, m) => s + m.windowAccuracy, 0) / present.length,
    recording: present.reduce((s, m) => s + m.recordingAccuracy, 0) / present.length,
  };
}

function runSummary(run: StudyRun): StudyRunSummary {
  const base = { id: run.id, ...run.label };
  if (!run.results) return { ...base, status: "failed", splits: {}, error: run.error ?? "no results" };
  const splits = Object.fromEntries(
    Object.entries(run.results.splits).map(([k, m]) => [k, {
      windowAccuracy: m.windowAccuracy,
      recordingAccuracy: m.recordingAccuracy,
      macroF1: m.macroF1,
      role: roleIn(run, k),
    }]),
  );
  const train = run.results.splits.train;
  const test = run.results.splits[testSplitOf(run.label.task)];
  return {
    ...base,
    status: "done",
    splits,
    ...(train && test
      ? { gap: trainTestGap(train, test), recordingGap: trainTestGap(train, test, { level: "recording" }) }
      : {}),
    bestEpoch: run.results.bestEpoch,
    seconds: run.results.seconds.total,
  };
}

function groupOf(task: RunConfig["task"], model: string, variant: string, runs: readonly StudyRun[]): GroupSummary {
  const done = runs.filter((r) => r.results).sort((a, b) => a.label.seed - b.label.seed);
  const testSplit = testSplitOf(task);
  const at = (r: StudyRun, key: string) => {
    const m = r.results!.splits[key];
    return m ? { window: m.windowAccuracy, recording: m.recordingAccuracy } : { window: NaN, recording: NaN };
  };
  const keys = [...new Set(done.flatMap((r) => Object.keys(r.results!.splits)))];
  const group: GroupSummary = {
    task,
    model,
    variant,
    seeds: done.map((r) => r.label.seed),
    testSplit,
    test: accuracy(done.map((r) => at(r, testSplit))),
    train: accuracy(done.map((r) => at(r, "train"))),
    gap: accuracy(done.map((r) => {
      const train = at(r, "train"), test = at(r, testSplit);
      return { window: train.window - test.window, recording: train.recording - test.recording };
    })),
    splits: Object.fromEntries(keys.map((k) => [k, accuracy(done.map((r) => at(r, k)))])),
    roles: Object.fromEntries(
      keys.map((k) => [k, done.map((r) => roleIn(r, k)).find((role) => role !== "test") ?? "test"]),
    ),
  };
  if (task === "cross") {
    const meanOf = testKeysOf(done);
    const means = done.map((r) => meanOfTests(r.results!, meanOf)).filter((m) => m !== undefined);
    group.meanTests = accuracy(means);
    group.meanOf = meanOf;
  }
  return group;
}

function gapCause(model: string, intra: GroupSummary | undefined, cross: GroupSummary | undefined): string {
  if (!intra || !cross || intra.gap.window.n === 0 || cross.gap.window.n === 0) {
    return `${model}: both settings are needed to tell subject shift from overfitting.`;
  }
  const gi = intra.gap.window.mean, gc = cross.gap.window.mean;
  const ti = intra.test.window.mean, tc = cross.test.window.mean;
  const both =
    `${model}: train ${fixed(intra.train.window.mean)} vs test ${fixed(ti)} within one subject (gap ${fixed(gi)}), ` +
    `train ${fixed(cross.train.window.mean)} vs test3 ${fixed(tc)} on an unseen subject (gap ${fixed(gc)})`;
  const recordings = gi >= 0.15
    ? ` Within one subject the gap of ${
      fixed(gi)
    } is overfitting to the training recordings (each recording holds one ` +
      `class, so what is particular to a recording can stand in for its class): regularisation and augmentation ` +
      `address that part.`
    : "";
  const chance = 1 / TASK_TYPES.length;
  if (intra.train.window.mean < chance + 0.15) {
    return `${both}. Within one subject the model has not learned the task (training accuracy ` +
      `${fixed(intra.train.window.mean)}, chance ${
        fixed(chance)
      }): it underfits, so its gaps say little about subject shift; ` +
      `more epochs, another learning rate or a larger model come before any fix for unseen subjects.`;
  }
  if (ti - tc >= 0.1) {
    return `${both}. A new subject costs ${fixed(ti - tc)} of test accuracy that a new recording of a known subject ` +
      `does not: most of the cross-subject error is subject shift, features particular to the training subjects ` +
      `(head position, individual rhythms and gains)${gc - gi >= 0.1 ? ", and the gap grows with it" : ""}; ` +
      `per-subject alignment, normalisation or adaptation target exactly this.${recordings}`;
  }
  if (gc - gi >= 0.1) {
    return `${both}. The gap grows when the test subject is new, so most of it is subject shift: the model learns ` +
      `features particular to its training subjects (head position, individual rhythms and gains) rather than ` +
      `overfitting to recordings; per-subject alignment or normalisation targets exactly this.`;
  }
  if (gi >= 0.15 && gc >= 0.15) {
    return `${both}. Both gaps are large and similar: the model overfits its training recordings whatever the ` +
      `subject; regularisation, augmentation or more data help more than subject alignment.`;
  }
  if (Math.max(gi, gc) < 0.05) {
    return `${both}. Both gaps are small: the model underfits (training accuracy is low too), so more epochs or a ` +
      `larger model come before any fix for unseen subjects.`;
  }
  return `${both}. The gaps are moderate and close: no strong sign of subject shift beyond ordinary overfitting.`;
}

/**
 * Summarises the runs of a study.
 *
 * @param runs Every run, finished or failed.
 * @returns Per-run summaries, groups, gaps, improvements and conclusions.
 */
export function summariseStudy(runs: readonly StudyRun[]): StudySummary {
  const keyOf = (l: StudyRunLabel) => `${l.task}|${l.model}|${l.variant}`;
  const byGroup = new Map<string, StudyRun[]>();
  for (const run of runs) byGroup.set(keyOf(run.label), [...(byGroup.get(keyOf(run.label)) ?? []), run]);
  const groups = [...byGroup.values()].map((g) => groupOf(g[0].label.task, g[0].label.model, g[0].label.variant, g));
  const find = (task: string, model: string) =>
    groups.find((g) => g.task === task && g.model === model && g.variant === "baseline");

  // Models run in both settings (the improvements' model may have cross-subject runs only).
  const models = [...new Set(runs.filter((r) => r.label.variant === "baseline").map((r) => r.label.model))]
    .filter((m) => runs.some((r) => r.label.model === m && r.label.task === "intra"));
  const gaps: GapSummary[] = models.map((model) => {
    const intra = find("intra", model), cross = find("cross", model);
    return { model, intra: intra?.gap.window, cross: cross?.gap.window, cause: gapCause(model, intra, cross) };
  });
  const improvements = [...new Set(runs.map((r) => r.label.variant))]
    .filter((v) => v !== "baseline")
    .map((variant) => improvementOf(variant, runs));

  const conclusions: string[] = [];
  for (const model of models) {
    const intra = find("intra", model), cross = find("cross", model);
    if (intra && cross) conclusions.push(accuracySentence(model, intra, cross));
  }
  for (const g of gaps) conclusions.push(g.cause);
  for (const i of improvements) conclusions.push(i.sentence);
  // An ensemble appears once per member seed (for the pairing) but is one folder.
  const distinct = runs.filter((r, i) => runs.findIndex((o) => o.id === r.id) === i);
  return { runs: distinct.map(runSummary), groups, gaps, improvements, conclusions };
}

/**
 * How the mean over test splits is called: `test1-3 mean` when all three are tests, else the
 * keys it covers, e.g. `test3 (the only test split; test1 and test2 validated)`.
 *
 * @param keys The test-role keys averaged.
 * @returns The label.
 *
 * @example
 * ```ts
 * import { testsLabel } from "./summarise_study.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(testsLabel(["test1", "test2", "test3"]), "test1-3 mean");
 * assertEquals(testsLabel(["test3"]), "test3 (the only test split; the others validated)");
 * ```
 */
export function testsLabel(keys: readonly string[]): string {
  if (keys.join() === CROSS_TESTS.join()) return "test1-3 mean";
  if (keys.length === 0) return "no test split";
  if (keys.length === 1) return `${keys[0]} (the only test split; the others validated)`;
  return `mean of ${keys.join(", ")} (the test splits; the others validated)`;
}

/** Intra- against cross-subject test accuracy of a model's baseline, over seeds, as one sentence. */
function accuracySentence(model: string, intra: GroupSummary, cross: GroupSummary): string {
  const pm = (s: Stat) => formatStat(s);
  return `${model}: intra-subject ${pm(intra.test.window)} per window (${pm(intra.test.recording)} per recording) vs ` +
    `cross-subject test3 ${pm(cross.test.window)} (${pm(cross.test.recording)}), ${testsLabel(cross.meanOf ?? [])} ` +
    `${pm(cross.meanTests!.window)} (${
      pm(cross.meanTests!.recording)
    }), over ${intra.seeds.length}/${cross.seeds.length} seeds.`;
}

/**
 * An improvement against the cross-subject baseline of its model: the paired
 * differences per seed (only seeds where both finished) and a sentence.
 */
function improvementOf(variant: string, runs: readonly StudyRun[]): ImprovementSummary {
  const own = runs.filter((r) => r.label.variant === variant && r.results);
  const model = own[0]?.label.model ?? runs.find((r) => r.label.variant === variant)!.label.model;
  const pairs = own.map((r) => ({
    run: r,
    base: runs.find((b) =>
      b.label.variant === "baseline" && b.label.task === "cross" && b.label.model === model &&
      b.label.seed === r.label.seed && b.results
    ),
  })).filter((p) => p.base !== undefined).sort((a, b) => a.run.label.seed - b.run.label.seed);
  const diff = (key: string) =>
    pairs.map((p) => {
      const a = p.run.results!.splits[key], b = p.base!.results!.splits[key];
      return { window: a.windowAccuracy - b.windowAccuracy, recording: a.recordingAccuracy - b.recordingAccuracy };
    });
  const meanOf = testKeysOf(pairs.flatMap((p) => [p.run, p.base!]));
  const meanDiff = pairs.map((p) => {
    const a = meanOfTests(p.run.results!, meanOf), b = meanOfTests(p.base!.results!, meanOf);
    if (!a || !b) return { window: NaN, recording: NaN };
    return { window: a.window - b.window, recording: a.recording - b.recording };
  });
  const gapDiff = pairs.map((p) => {
    // An ensemble of members that held out different chunks has no train split of its own.
    const gap = (r: RunResults) =>
      r.splits.train && r.splits.test3 ? r.splits.train.windowAccuracy - r.splits.test3.windowAccuracy : NaN;
    return gap(p.run.results!) - gap(p.base!.results!);
  }).filter(Number.isFinite);
  const diffMeanTests = accuracy(meanDiff);
  const betterSeeds = meanDiff.filter((d) => d.window > 0).length;
  const info = IMPROVEMENTS[variant];
  const against = info?.kind === "ensemble"
    ? `against each of its ${pairs.length} members (the baseline run of each seed)`
    : "against the baseline with the same seeds";
  const signed = (s: Stat) => formatStat(s, { signed: true });
  return {
    variant,
    model,
    description: info?.description ?? variant,
    rationale: info?.rationale ?? "",
    seeds: pairs.map((p) => p.run.label.seed),
    diffTest: accuracy(diff("test3")),
    diffMeanTests,
    meanOf,
    diffGap: stat(gapDiff),
    betterSeeds,
    sentence: pairs.length === 0
      ? `${variant}: no pair of finished runs with the baseline to compare.`
      : `${variant} (${model}, cross-subject): ${signed(diffMeanTests.window)} window accuracy on ${
        meanOf.length === CROSS_TESTS.length ? "test1-3" : testsLabel(meanOf)
      } ` +
        `(${signed(diffMeanTests.recording)} per recording) ${against}; ` +
        `better in ${betterSeeds} of ${pairs.length} seeds; train-test3 gap ${signed(stat(gapDiff))}.`,
  };
}
