/**
 * Evaluation metrics of a run, computed from one prediction row per window,
 * and the shape of the run's `results.json`.
 *
 * Every rate is an exact ratio of integer counts (no running means), so the
 * numbers can be checked by hand against `predictions.csv`.
 *
 * Definitions, per split:
 * - window accuracy: correct windows / windows.
 * - recording accuracy: each recording gets the class most of its windows
 *   predicted (majority vote); a tie between classes goes to the tied class
 *   with the highest mean probability, then to the lowest class index.
 * - recording accuracy (mean probability): each recording gets the arg-max of
 *   its windows' mean probability vector (ties: lowest class index).
 * - macro-F1: mean over classes present in the truth or in the predictions of
 *   F1 = 2 TP / (2 TP + FP + FN). A class that is only true, or only predicted,
 *   has TP = 0 and so F1 = 0 (the zero-division convention of scikit-learn's
 *   `f1_score(average="macro", zero_division=0)`); a class absent from both is
 *   left out instead of counting as 0 or 1.
 * - balanced accuracy: mean recall over the classes present in the truth
 *   (scikit-learn's `balanced_accuracy_score`).
 *
 * @module
 */
import * as aq from "arquero";
import { LABELS } from "../core/types.ts";
import type { SplitRole } from "../training/validation_plan.ts";
import { argmaxWithTieBreak, classScores, meanOfPresent } from "./_classification.ts";

const op = aq.op;

/** One evaluated window, as written by the evaluation sink and `predictions.csv`. */
export interface PredictionRow {
  /** Dataset folder the window comes from, e.g. `Cross/test1`, `Intra/test`, `train`. */
  split: string;
  /** Subject identifier, e.g. `162935`. */
  subject: string;
  /** File name of the recording, e.g. `rest_162935_9.h5`. */
  recording: string;
  /** First sample of the window, counted at the model's sampling rate. */
  startSample: number;
  /** True class index into the labels (default {@linkcode LABELS}). */
  label: number;
  /** Predicted class index (arg-max of `probs`). */
  predicted: number;
  /** Softmax probabilities, one per label. */
  probs: number[];
}

/** Options of {@linkcode evaluatePredictions}. */
export interface EvaluateOptions {
  /** Class names in index order. Default: {@linkcode LABELS} (rest, math, memory, motor). */
  labels?: readonly string[];
}

/** Precision, recall and F1 of one class; `null` where the ratio is 0/0. */
export interface ClassMetrics {
  /** Class name. */
  label: string;
  /** Number of windows of this true class. */
  support: number;
  /** Number of windows predicted as this class. */
  predicted: number;
  /** Correct / predicted as this class; `null` when never predicted. */
  precision: number | null;
  /** Correct / support; `null` when the class has no windows. */
  recall: number | null;
  /** 2 TP / (2 TP + FP + FN); `null` when the class is neither true nor predicted. */
  f1: number | null;
}

/** Accuracy of the windows and recordings of one subject. */
export interface SubjectMetrics {
  /** Subject identifier. */
  subject: string;
  /** Number of windows. */
  windows: number;
  /** Correct windows / windows. */
  windowAccuracy: number;
  /** Number of recordings. */
  recordings: number;
  /** Recordings whose majority vote is correct / recordings. */
  recordingAccuracy: number;
}

/** The verdict on one recording. */
export interface RecordingMetrics {
  /** File name of the recording. */
  recording: string;
  /** Subject identifier. */
  subject: string;
  /** True class index. */
  label: number;
  /** Number of windows. */
  windows: number;
  /** Correct windows / windows. */
  windowAccuracy: number;
  /** Number of windows predicted as each class. */
  votes: number[];
  /** Majority-vote class index (ties: highest mean probability, then lowest index). */
  voted: number;
  /** Whether the vote was a tie between classes, decided by mean probability. */
  voteTied: boolean;
  /** Mean of the windows' probability vectors. */
  meanProb: number[];
  /** Arg-max of `meanProb` (ties: lowest index). */
  votedMeanProb: number;
  /** Whether `voted` equals `label`. */
  correct: boolean;
}

/** Chance levels to compare an accuracy with. */
export interface ChanceLevels {
  /** 1 / number of classes: accuracy of guessing uniformly at random. */
  uniform: number;
  /** Share of windows of the most frequent true class: accuracy of always guessing it. */
  majorityClass: number;
  /** Name of the most frequent true class (ties: lowest index). */
  majorityClassLabel: string;
  /** Share of recordings of the most frequent true class among recordings. */
  majorityClassRecordings: number;
}

/** Everything measured on one split; plain JSON (no `NaN`, no `undefined`). */
export interface SplitMetrics {
  /** Split name as in the prediction rows, e.g. `Cross/test1`. */
  split: string;
  /**
   * What the split was used for in its run: `train`, `validation` (it chose the best epoch,
   * early stopping or search trials) or `test` (it chose nothing). Set by the run's
   * evaluation; absent in results written before roles existed (see `roleOfSplit`).
   */
  role?: SplitRole;
  /** Class names in index order (rows and columns of the confusion matrices). */
  labels: string[];
  /** Number of windows. */
  windows: number;
  /** Number of recordings. */
  recordings: number;
  /** Number of subjects. */
  subjects: number;
  /** Correct windows / windows. */
  windowAccuracy: number;
  /** Recordings whose majority vote is correct / recordings. */
  recordingAccuracy: number;
  /** Recordings whose mean-probability arg-max is correct / recordings. */
  recordingAccuracyMeanProb: number;
  /** Macro-F1 over windows, over classes present in truth or prediction (see module doc). */
  macroF1: number;
  /** Macro-F1 of the majority-vote recording predictions. */
  recordingMacroF1: number;
  /** Mean recall over the classes present in the truth, per window. */
  balancedAccuracy: number;
  /** Window counts, `confusion[true][predicted]`, labels x labels. */
  confusion: number[][];
  /** Recording counts of the majority vote, `recordingConfusion[true][voted]`. */
  recordingConfusion: number[][];
  /** Per-class precision, recall and F1 over windows. */
  perClass: ClassMetrics[];
  /** Chance levels of this split. */
  chance: ChanceLevels;
  /** One entry per subject, sorted by subject. */
  perSubject: SubjectMetrics[];
  /** One entry per recording, sorted by subject and then by file name (numeric order). */
  perRecording: RecordingMetrics[];
}

/** Wall-clock seconds per stage of a run. */
export interface RunSeconds {
  /** Reading and preprocessing data outside training, in seconds. */
  ingest: number;
  /** Training, in seconds. */
  train: number;
  /** Evaluating all splits, in seconds. */
  evaluate: number;
  /** Any further stage, in seconds. */
  [stage: string]: number;
}

/**
 * The label-free per-subject adaptations a run's validation and evaluation made: each true only
 * when asked for and the model has the layers it adapts.
 */
export interface RunAdaptation {
  /** AdaBN: BatchNorm statistics of each subject's windows (`adaptBatchNorm`, a model with BatchNorm). */
  batchNorm: boolean;
  /**
   * The test-time adaptation of the normalisation gains and offsets (`testTimeAdaptation`):
   * `"entropy"` (TENT) or `"im"` (information maximisation) for a model with LayerNorm or
   * BatchNorm, else `"none"`.
   */
  testTime: "none" | "entropy" | "im";
}

/** Content of a run folder's `results.json`. */
export interface RunResults {
  /** Task name, e.g. `cross` or `intra`. */
  task: string;
  /** Model name, e.g. `cnn`. */
  model: string;
  /** tfjs backend, e.g. `wasm`. */
  backend: string;
  /** Metrics per evaluated split, keyed by a short split name such as `test1`, each with its `role`. */
  splits: Record<string, SplitMetrics>;
  /** Where the run's validation came from, in words; absent in older results. */
  validation?: string;
  /** The per-subject, label-free adaptations that ran in validation and evaluation; absent in older results. */
  adaptation?: RunAdaptation;
  /** Seconds per stage. */
  seconds: RunSeconds;
  /** Training windows per second over the whole training time. */
  trainWindowsPerSecond: number;
  /** Peak resident set size of the process in MB (2^20 bytes). */
  peakRssMB: number;
  /** Windows per second during evaluation, if measured. */
  evaluateWindowsPerSecond?: number;
  /** When the run started, ISO 8601. */
  startedAt?: string;
  /** Epoch (1-based, as in `metrics.jsonl`) whose weights were kept. */
  bestEpoch?: number;
  /** Last epoch run when early stopping ended training; absent if all epochs ran. */
  stoppedEpoch?: number;
}

/** Train vs test accuracy, and a sentence about what the difference means. */
export interface GapStatement {
  /** Name of the training split. */
  train: string;
  /** Name of the test split. */
  test: string;
  /** Whether window or recording accuracies are compared. */
  level: "window" | "recording";
  /** Accuracy on the training split. */
  trainAccuracy: number;
  /** Accuracy on the test split. */
  testAccuracy: number;
  /** `trainAccuracy - testAccuracy`. */
  gap: number;
  /** Whether some test subject also appears in the training split. */
  sharedSubjects: boolean;
  /** One or two sentences for a reader, e.g. `train 0.95 vs Cross/test3 0.52: gap 0.43 — ...`. */
  sentence: string;
}

/** Options of {@linkcode trainTestGap}. */
export interface TrainTestGapOptions {
  /** Compare window (`"window"`) or majority-vote recording (`"recording"`) accuracy. Default `"window"`. */
  level?: "window" | "recording";
}

function validateRows(rows: readonly PredictionRow[], nClasses: number): void {
  if (!Array.isArray(rows)) {
    throw new TypeError(`Cannot evaluate: expected an array of prediction rows, got ${typeof rows}`);
  }
  rows.forEach((row, i) => {
    for (const key of ["split", "subject", "recording"] as const) {
      if (typeof row[key] !== "string") {
        throw new TypeError(`Cannot evaluate: row ${i} ${key} must be a string, got ${typeof row[key]}`);
      }
    }
    for (const key of ["label", "predicted"] as const) {
      const v = row[key];
      if (!Number.isInteger(v) || v < 0 || v >= nClasses) {
        throw new RangeError(`Cannot evaluate: row ${i} ${key} must be a class index in [0, ${nClasses}), got ${v}`);
      }
    }
    if (!Number.isInteger(row.startSample) || row.startSample < 0) {
      throw new RangeError(
        `Cannot evaluate: row ${i} startSample must be a non-negative integer, got ${row.startSample}`,
      );
    }
    if (!Array.isArray(row.probs) || row.probs.length !== nClasses) {
      throw new TypeError(
        `Cannot evaluate: row ${i} probs must have ${nClasses} values, got ${
          Array.isArray(row.probs) ? row.probs.length : typeof row.probs
        }`,
      );
    }
    if (!row.probs.every((p: number) => Number.isFinite(p))) {
      throw new RangeError(`Cannot evaluate: row ${i} probs must be finite, got [${row.probs.join(", ")}]`);
    }
  });
}

function byNumericName(a: string, b: string): number {
  return a.localeCompare(b, "en", { numeric: true });
}

function emptyMatrix(n: number): number[][] {
  return Array.from({ length: n }, () => new Array<number>(n).fill(0));
}

function confusionOf(table: aq.ColumnTable, truth: string, guess: string, n: number): number[][] {
  const matrix = emptyMatrix(n);
  for (const cell of table.groupby(truth, guess).count().objects() as Record<string, number>[]) {
    matrix[cell[truth]][cell[guess]] = cell.count;
  }
  return matrix;
}

function macroF1Of(confusion: number[][]): number {
  return meanOfPresent(classScores(confusion).map((s) => s.f1));
}

function argmaxIndex(values: readonly number[]): number {
  return values.reduce((best, v, k) => (v > values[best] ? k : best), 0);
}

/** The split's windows as one table: one-hot votes `v<k>`, probabilities `p<k>`. */
function windowTable(rows: readonly PredictionRow[], nClasses: number): aq.ColumnTable {
  const columns: Record<string, unknown[]> = {
    split: rows.map((r) => r.split),
    subject: rows.map((r) => r.subject),
    recording: rows.map((r) => r.recording),
    label: rows.map((r) => r.label),
    predicted: rows.map((r) => r.predicted),
  };
  for (let k = 0; k < nClasses; k++) columns[`p${k}`] = rows.map((r) => r.probs[k]);
  const votes: Record<string, string> = { correct: "d => d.label === d.predicted ? 1 : 0" };
  for (let k = 0; k < nClasses; k++) votes[`v${k}`] = `d => d.predicted === ${k} ? 1 : 0`;
  return aq.table(columns).derive(votes);
}

function recordingsOf(windows: aq.ColumnTable, split: string, nClasses: number): RecordingMetrics[] {
  const sums: Record<string, unknown> = {
    windows: op.count(),
    correctWindows: op.sum("correct"),
    nLabels: op.distinct("label"),
    nSubjects: op.distinct("subject"),
    label: op.any("label"),
    subject: op.any("subject"),
  };
  for (let k = 0; k < nClasses; k++) {
    sums[`v${k}`] = op.sum(`v${k}`);
    sums[`s${k}`] = op.sum(`p${k}`);
  }
  // deno-lint-ignore no-explicit-any
  const grouped = windows.groupby("recording").rollup(sums as any).objects() as Record<string, any>[];
  return grouped.map((g): RecordingMetrics => {
    if (g.nLabels !== 1 || g.nSubjects !== 1) {
      throw new RangeError(
        `Cannot evaluate: recording ${g.recording} in split ${split} must have one label and one subject, ` +
          `got ${g.nLabels} labels and ${g.nSubjects} subjects`,
      );
    }
    const votes = Array.from({ length: nClasses }, (_, k) => g[`v${k}`] as number);
    const probSums = Array.from({ length: nClasses }, (_, k) => g[`s${k}`] as number);
    // Comparing sums is the same as comparing means (same count) and avoids rounding.
    const vote = argmaxWithTieBreak(votes, probSums);
    return {
      recording: g.recording,
      subject: g.subject,
      label: g.label,
      windows: g.windows,
      windowAccuracy: g.correctWindows / g.windows,
      votes,
      voted: vote.index,
      voteTied: vote.tied,
      meanProb: probSums.map((s) => s / g.windows),
      votedMeanProb: argmaxIndex(probSums),
      correct: vote.index === g.label,
    };
  }).sort((a, b) => byNumericName(a.subject, b.subject) || byNumericName(a.recording, b.recording));
}

function subjectsOf(windows: aq.ColumnTable, recordings: aq.ColumnTable): SubjectMetrics[] {
  const windowSide = windows.groupby("subject").rollup({ windows: op.count(), correctWindows: op.sum("correct") });
  const recordingSide = recordings.groupby("subject").rollup({
    recordings: op.count(),
    correctRecordings: op.sum("correctVote"),
  });
  // deno-lint-ignore no-explicit-any
  const joined = windowSide.join(recordingSide, "subject").objects() as Record<string, any>[];
  return joined.map((s) => ({
    subject: s.subject,
    windows: s.windows,
    windowAccuracy: s.correctWindows / s.windows,
    recordings: s.recordings,
    recordingAccuracy: s.correctRecordings / s.recordings,
  })).sort((a, b) => byNumericName(a.subject, b.subject));
}

function splitMetrics(windows: aq.ColumnTable, split: string, labels: readonly string[]): SplitMetrics {
  const n = labels.length;
  const { count, correct } = windows.rollup({ count: op.count(), correct: op.sum("correct") }).object() as {
    count: number;
    correct: number;
  };
  const perRecording = recordingsOf(windows, split, n);
  const recordingTable = aq.table({
    subject: perRecording.map((r) => r.subject),
    label: perRecording.map((r) => r.label),
    voted: perRecording.map((r) => r.voted),
    votedMeanProb: perRecording.map((r) => r.votedMeanProb),
  }).derive({
    correctVote: "d => d.voted === d.label ? 1 : 0",
    correctMeanProb: "d => d.votedMeanProb === d.label ? 1 : 0",
  });
  const recordingTotals = recordingTable.rollup({
    vote: op.sum("correctVote"),
    meanProb: op.sum("correctMeanProb"),
  }).object() as { vote: number; meanProb: number };

  const confusion = confusionOf(windows, "label", "predicted", n);
  const recordingConfusion = confusionOf(recordingTable, "label", "voted", n);
  const scores = classScores(confusion);
  const recordingSupport = recordingConfusion.map((row) => row.reduce((a, b) => a + b, 0));
  const majority = argmaxIndex(scores.map((s) => s.support));

  return {
    split,
    labels: [...labels],
    windows: count,
    recordings: perRecording.length,
    subjects: new Set(perRecording.map((r) => r.subject)).size,
    windowAccuracy: correct / count,
    recordingAccuracy: recordingTotals.vote / perRecording.length,
    recordingAccuracyMeanProb: recordingTotals.meanProb / perRecording.length,
    macroF1: macroF1Of(confusion),
    recordingMacroF1: macroF1Of(recordingConfusion),
    balancedAccuracy: meanOfPresent(scores.map((s) => s.recall)),
    confusion,
    recordingConfusion,
    perClass: scores.map((s, k) => ({ label: labels[k], ...s })),
    chance: {
      uniform: 1 / n,
      majorityClass: scores[majority].support / count,
      majorityClassLabel: labels[majority],
      majorityClassRecordings: Math.max(...recordingSupport) / perRecording.length,
    },
    perSubject: subjectsOf(windows, recordingTable),
    perRecording,
  };
}

/**
 * Computes the metrics of every split from one prediction row per window.
 * Splits appear in the order of their first row. See the module doc for the
 * exact definitions (vote ties, zero divisions).
 *
 * @param rows One row per evaluated window, any order, any number of splits.
 * @param options Class names.
 * @returns Metrics keyed by each row's `split`; `{}` for no rows.
 * @throws {TypeError} A row with a non-string name or a `probs` of the wrong length.
 * @throws {RangeError} A class index outside the labels, a negative or fractional
 *   `startSample`, a non-finite probability, or a recording whose windows disagree
 *   on label or subject.
 *
 * @example
 * ```ts
 * import { evaluatePredictions } from "./metrics.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const row = (recording: string, label: number, predicted: number, p = 0.7) => ({
 *   split: "test", subject: "1", recording, startSample: 0, label, predicted,
 *   probs: [0, 1, 2, 3].map((k) => (k === predicted ? p : (1 - p) / 3)),
 * });
 * const metrics = evaluatePredictions([
 *   row("rest_1_1.h5", 0, 0), row("rest_1_1.h5", 0, 0), row("rest_1_1.h5", 0, 3),
 *   row("task_motor_1_1.h5", 3, 3, 0.9), row("task_motor_1_1.h5", 3, 1, 0.4),
 * ]).test;
 * assertEquals(metrics.windowAccuracy, 3 / 5);
 * assertEquals(metrics.recordingAccuracy, 1); // rest wins 2:1, motor wins the 1:1 tie on mean probability
 * assertEquals(metrics.confusion[0], [2, 0, 0, 1]);
 * ```
 */
export function evaluatePredictions(
  rows: readonly PredictionRow[],
  options: EvaluateOptions = {},
): Record<string, SplitMetrics> {
  const labels = options.labels ?? LABELS;
  if (labels.length < 1) throw new RangeError(`Cannot evaluate: expected at least one label, got ${labels.length}`);
  validateRows(rows, labels.length);
  const result: Record<string, SplitMetrics> = {};
  if (rows.length === 0) return result;
  const table = windowTable(rows, labels.length);
  for (const split of new Set(rows.map((r) => r.split))) {
    const windows = table.params({ split }).filter((d: { split: string }, $: { split: string }) => d.split === $.split);
    result[split] = splitMetrics(windows, split, labels);
  }
  return result;
}

function two(x: number): string {
  return x.toFixed(2);
}

/**
 * Compares the accuracy on the training split with the accuracy on a test
 * split and explains the difference in a sentence: whether the model fits
 * features of the training subjects (test subjects unseen) or of the training
 * recordings (same subjects), and whether the test split is at chance.
 *
 * @param train Metrics of the training split (evaluated after training).
 * @param test Metrics of a held-out split.
 * @param options Window or recording level.
 * @returns The two accuracies, their difference and a sentence.
 *
 * @example
 * ```ts
 * import { evaluatePredictions, trainTestGap } from "./metrics.ts";
 * import { assertAlmostEquals, assertStringIncludes } from "@std/assert";
 *
 * const row = (split: string, subject: string, label: number, predicted: number) => ({
 *   split, subject, recording: `r${label}_${subject}.h5`, startSample: 0, label, predicted,
 *   probs: [0, 1, 2, 3].map((k) => (k === predicted ? 0.7 : 0.1)),
 * });
 * const m = evaluatePredictions([
 *   row("train", "1", 0, 0), row("train", "1", 1, 1),
 *   row("Cross/test3", "2", 0, 0), row("Cross/test3", "2", 1, 0),
 * ]);
 * const gap = trainTestGap(m.train, m["Cross/test3"]);
 * assertAlmostEquals(gap.gap, 0.5);
 * assertStringIncludes(gap.sentence, "train 1.00 vs Cross/test3 0.50: gap 0.50");
 * assertStringIncludes(gap.sentence, "subject-specific");
 * ```
 */
export function trainTestGap(
  train: SplitMetrics,
  test: SplitMetrics,
  options: TrainTestGapOptions = {},
): GapStatement {
  const level = options.level ?? "window";
  if (level !== "window" && level !== "recording") {
    throw new RangeError(`Cannot compare splits: level must be "window" or "recording", got ${level}`);
  }
  const pick = (m: SplitMetrics) => (level === "window" ? m.windowAccuracy : m.recordingAccuracy);
  const trainAccuracy = pick(train);
  const testAccuracy = pick(test);
  const gap = trainAccuracy - testAccuracy;
  const trainSubjects = new Set(train.perSubject.map((s) => s.subject));
  const sharedSubjects = test.perSubject.some((s) => trainSubjects.has(s.subject));
  const head = `train ${two(trainAccuracy)} vs ${test.split} ${two(testAccuracy)}: gap ${two(gap)}`;
  let why: string;
  if (gap >= 0.15) {
    why = sharedSubjects
      ? "the model fits features of its training recordings that do not carry over to other recordings of the same subject"
      : "the model fits subject-specific features that do not carry over to unseen subjects";
  } else if (gap >= 0.05) {
    why = sharedSubjects
      ? "a modest gap: the model generalises to new recordings of the same subject, with some overfitting"
      : "a modest gap: most of what the model learned carries over to unseen subjects";
  } else if (gap > -0.05) {
    why = "the model does about as well on held-out data as on its training data";
  } else {
    why = "the test split scores higher than training; with few test recordings that can be chance, " +
      "and training accuracy measured with dropout active runs low";
  }
  const chanceRate = level === "window" ? test.chance.majorityClass : test.chance.majorityClassRecordings;
  const chanceNote = testAccuracy <= Math.max(chanceRate, test.chance.uniform)
    ? ` ${test.split} is no better than chance (${two(Math.max(chanceRate, test.chance.uniform))}).`
    : ".";
  return {
    train: train.split,
    test: test.split,
    level,
    trainAccuracy,
    testAccuracy,
    gap,
    sharedSubjects,
    sentence: `${head} — ${why}${chanceNote}`,
  };
}
