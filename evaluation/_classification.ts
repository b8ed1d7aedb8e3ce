/**
 * Small exact helpers behind {@linkcode evaluatePredictions}: arg-max with a
 * stated tie rule and per-class scores from a confusion matrix.
 *
 * @module
 */

/**
 * Index of the largest value; among equal largest values, the one with the
 * largest `tieBreak` value; if still equal, the lowest index.
 *
 * @param values Values to compare, e.g. vote counts per class.
 * @param tieBreak Second key for ties, e.g. summed probabilities per class.
 * @returns The winning index, and whether several values shared the maximum.
 *
 * @example
 * ```ts
 * import { argmaxWithTieBreak } from "./_classification.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(argmaxWithTieBreak([2, 2, 1], [0.9, 1.1, 0.5]), { index: 1, tied: true });
 * assertEquals(argmaxWithTieBreak([1, 3, 0]), { index: 1, tied: false });
 * ```
 */
export function argmaxWithTieBreak(
  values: readonly number[],
  tieBreak?: readonly number[],
): { index: number; tied: boolean } {
  let best = 0;
  for (let k = 1; k < values.length; k++) {
    if (values[k] > values[best]) best = k;
    else if (values[k] === values[best] && tieBreak !== undefined && tieBreak[k] > tieBreak[best]) best = k;
  }
  return { index: best, tied: values.filter((v) => v === values[best]).length > 1 };
}

/** Scores of one class, computed from a confusion matrix. */
export interface ClassScores {
  /** Windows (or recordings) of this true class. */
  support: number;
  /** Windows predicted as this class. */
  predicted: number;
  /** True positives / predicted; `null` when nothing was predicted as this class. */
  precision: number | null;
  /** True positives / support; `null` when the class has no true examples. */
  recall: number | null;
  /** 2 TP / (2 TP + FP + FN); `null` when the class is neither true nor predicted anywhere. */
  f1: number | null;
}

/**
 * Per-class precision, recall and F1 from a square confusion matrix
 * (rows = true class, columns = predicted class).
 *
 * @param confusion Counts, `confusion[true][predicted]`.
 * @returns One entry per class.
 *
 * @example
 * ```ts
 * import { classScores } from "./_classification.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const scores = classScores([[2, 1], [0, 0]]);
 * assertEquals(scores[0], { support: 3, predicted: 2, precision: 1, recall: 2 / 3, f1: 0.8 });
 * assertEquals(scores[1], { support: 0, predicted: 1, precision: 0, recall: null, f1: 0 });
 * ```
 */
export function classScores(confusion: readonly (readonly number[])[]): ClassScores[] {
  return confusion.map((row, k) => {
    const tp = row[k];
    const support = row.reduce((a, b) => a + b, 0);
    const predicted = confusion.reduce((a, r) => a + r[k], 0);
    const fp = predicted - tp;
    const fn = support - tp;
    return {
      support,
      predicted,
      precision: predicted === 0 ? null : tp / predicted,
      recall: support === 0 ? null : tp / support,
      f1: support + predicted === 0 ? null : (2 * tp) / (2 * tp + fp + fn),
    };
  });
}

/**
 * Mean of the non-null values, or `NaN` when there are none.
 *
 * @param values Numbers or nulls.
 * @returns The mean of the numbers.
 *
 * @example
 * ```ts
 * import { meanOfPresent } from "./_classification.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(meanOfPresent([1, null, 0.5]), 0.75);
 * ```
 */
export function meanOfPresent(values: readonly (number | null)[]): number {
  const present = values.filter((v): v is number => v !== null);
  return present.length === 0 ? NaN : present.reduce((a, b) => a + b, 0) / present.length;
}
