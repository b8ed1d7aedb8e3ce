/**
 * Ensembling: the windows of several models' predictions (e.g. the same
 * network trained with different seeds) classified by the mean of their
 * softmax probabilities. Averaging members whose errors differ cancels part of
 * each member's seed-specific fit, which helps most where a single model is
 * least certain: on unseen subjects.
 *
 * @module
 */
import { argmaxWithTieBreak } from "./_classification.ts";
import type { PredictionRow } from "./metrics.ts";

/** Options of {@linkcode ensemblePredictions}. */
export interface EnsembleOptions {
  /** Weight of each member (non-negative, not all zero). Default: equal weights. */
  weights?: readonly number[];
  /** Splits to ensemble (the others are dropped). Default: every split of the first member. */
  splits?: readonly string[];
}

function windowKey(row: PredictionRow): string {
  return `${row.split}\u0000${row.recording}\u0000${row.startSample}`;
}

/**
 * The predictions of an ensemble: for every window, the weighted mean of the
 * members' probabilities and its arg-max. Every member must have predicted
 * exactly the same windows (same split, recording and first sample) with the
 * same true label and subject, as runs with the same data and windowing do.
 *
 * @param members One array of prediction rows per model (e.g. parsed `predictions.csv` files).
 * @param options Weights and the splits to keep.
 * @returns One row per window, in the first member's order.
 * @throws {RangeError} for no members, bad weights, or members whose windows,
 *   labels, subjects or class counts differ (naming the member and window).
 *
 * @example
 * ```ts
 * import { ensemblePredictions } from "./ensemble_predictions.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const row = (probs: number[]) => ({
 *   split: "test3", subject: "1", recording: "rest_1_1.h5", startSample: 0, label: 0,
 *   predicted: probs.indexOf(Math.max(...probs)), probs,
 * });
 * const [mean] = ensemblePredictions([[row([0.4, 0.6, 0, 0])], [row([0.8, 0.2, 0, 0])]]);
 * assertEquals([mean.probs, mean.predicted], [[0.6000000000000001, 0.4, 0, 0], 0]);
 * ```
 */
export function ensemblePredictions(
  members: readonly (readonly PredictionRow[])[],
  options: EnsembleOptions = {},
): PredictionRow[] {
  if (members.length === 0) throw new RangeError("Cannot ensemble: no members");
  const weights = options.weights ?? members.map(() => 1);
  if (weights.length !== members.length) {
    throw new RangeError(`Cannot ensemble: ${weights.length} weights for ${members.length} members`);
  }
  if (weights.some((w) => !(w >= 0) || !Number.isFinite(w)) || !weights.some((w) => w > 0)) {
    throw new RangeError(`Cannot ensemble: weights must be finite, non-negative and not all 0, got ${weights}`);
  }
  const total = weights.reduce((a, b) => a + b, 0);
  const keep = options.splits ? new Set(options.splits) : new Set(members[0].map((r) => r.split));
  const selected = members.map((rows) => rows.filter((r) => keep.has(r.split)));
  const first = selected[0];
  const sums = first.map((r) => r.probs.map((p) => p * weights[0] / total));
  const index = new Map(first.map((r, i) => [windowKey(r), i]));
  if (index.size !== first.length) throw new RangeError("Cannot ensemble: member 0 predicts a window twice");
  for (let m = 1; m < selected.length; m++) {
    const rows = selected[m];
    if (rows.length !== first.length) {
      throw new RangeError(
        `Cannot ensemble: member ${m} has ${rows.length} windows in splits ${[...keep].join(", ")}, ` +
          `member 0 has ${first.length} (were they run with the same data and windows?)`,
      );
    }
    const seen = new Uint8Array(first.length);
    for (const row of rows) {
      const i = index.get(windowKey(row));
      const where = `${row.split} ${row.recording} at sample ${row.startSample}`;
      if (i === undefined) throw new RangeError(`Cannot ensemble: member ${m} has window ${where}, member 0 has not`);
      if (seen[i]++) throw new RangeError(`Cannot ensemble: member ${m} predicts window ${where} twice`);
      const ref = first[i];
      if (row.label !== ref.label || row.subject !== ref.subject) {
        throw new RangeError(
          `Cannot ensemble: member ${m} gives window ${where} label ${row.label} subject ${row.subject}, ` +
            `member 0 label ${ref.label} subject ${ref.subject}`,
        );
      }
      if (row.probs.length !== ref.probs.length) {
        throw new RangeError(
          `Cannot ensemble: member ${m} has ${row.probs.length} classes for window ${where}, member 0 ` +
            `${ref.probs.length}`,
        );
      }
      const w = weights[m] / total;
      for (let k = 0; k < row.probs.length; k++) sums[i][k] += row.probs[k] * w;
    }
  }
  return first.map((r, i) => ({ ...r, probs: sums[i], predicted: argmaxWithTieBreak(sums[i]).index }));
}
