/**
 * Successive halving (Jamieson & Talwalkar 2016; the synchronous core of
 * Hyperband): many configurations trained for a few epochs, the best `1/eta`
 * of them for `eta` times as many, and so on up to the full epoch budget.
 *
 * @module
 */

/** One rung of a successive-halving schedule. */
export interface HalvingRung {
  /** Rung number, from 0. */
  rung: number;
  /** Configurations trained in this rung. */
  configs: number;
  /** Epoch budget of each of them. */
  epochs: number;
}

/** Options of {@linkcode halvingSchedule}. */
export interface HalvingScheduleOptions {
  /** Reduction factor: each rung keeps the best `1/eta` and multiplies the epochs by `eta`. Default: 2. */
  eta?: number;
}

/**
 * The rungs of successive halving for `nConfigs` starting configurations and
 * a full budget of `maxEpochs`: rung `r` of `R = floor(log_eta(nConfigs))`
 * trains `floor(nConfigs / eta^r)` configurations for
 * `max(1, round(maxEpochs / eta^(R - r)))` epochs; the last rung gets `maxEpochs`.
 *
 * @param nConfigs Configurations of the first rung (positive integer).
 * @param maxEpochs Full epoch budget (positive integer).
 * @param options Reduction factor.
 * @returns The rungs, from the most configurations to the fewest.
 * @throws {RangeError} for a non-positive or fractional count, or `eta < 2`.
 *
 * @example
 * ```ts
 * import { halvingSchedule } from "./halving_schedule.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(halvingSchedule(8, 8).map((r) => [r.configs, r.epochs]), [[8, 1], [4, 2], [2, 4], [1, 8]]);
 * assertEquals(halvingSchedule(9, 9, { eta: 3 }).map((r) => [r.configs, r.epochs]), [[9, 1], [3, 3], [1, 9]]);
 * ```
 */
export function halvingSchedule(
  nConfigs: number,
  maxEpochs: number,
  options: HalvingScheduleOptions = {},
): HalvingRung[] {
  const eta = options.eta ?? 2;
  if (!Number.isSafeInteger(nConfigs) || nConfigs < 1) {
    throw new RangeError(`Cannot plan successive halving: configurations must be a positive integer, got ${nConfigs}`);
  }
  if (!Number.isSafeInteger(maxEpochs) || maxEpochs < 1) {
    throw new RangeError(`Cannot plan successive halving: epochs must be a positive integer, got ${maxEpochs}`);
  }
  if (!Number.isSafeInteger(eta) || eta < 2) {
    throw new RangeError(`Cannot plan successive halving: eta must be an integer >= 2, got ${eta}`);
  }
  let last = 0;
  while (eta ** (last + 1) <= nConfigs) last++;
  const rungs: HalvingRung[] = [];
  for (let r = 0; r <= last; r++) {
    rungs.push({
      rung: r,
      configs: Math.max(1, Math.floor(nConfigs / eta ** r)),
      epochs: r === last ? maxEpochs : Math.max(1, Math.round(maxEpochs / eta ** (last - r))),
    });
  }
  return rungs;
}

/**
 * The configurations that advance to the next rung: the `keep` best by score
 * (higher is better; ties keep the earlier one). A non-finite score (a failed
 * trial) never advances, so fewer than `keep` may advance.
 *
 * @param scores Score of each configuration, in rung order.
 * @param keep How many advance.
 * @returns Indices into `scores` of the advancing configurations, best first.
 *
 * @example
 * ```ts
 * import { promote } from "./halving_schedule.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(promote([0.5, 0.9, NaN, 0.7], 2), [1, 3]);
 * ```
 */
export function promote(scores: readonly number[], keep: number): number[] {
  return [...scores.keys()]
    .filter((i) => Number.isFinite(scores[i]))
    .sort((a, b) => scores[b] - scores[a] || a - b)
    .slice(0, Math.max(0, keep));
}
