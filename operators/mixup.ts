/**
 * Mixup (Zhang et al. 2018) of training batches: every window becomes a convex
 * combination of itself and another window of the same batch,
 * `x = lambda * x_i + (1 - lambda) * x_j`, and its loss the same combination of
 * the two windows' cross-entropies. `lambda ~ Beta(alpha, alpha)`, one per
 * batch, folded to `max(lambda, 1 - lambda)` so that each window's own label
 * weighs most (accuracy is still counted against it).
 *
 * Mixing recordings of different sessions and classes asks the model for
 * predictions that change linearly between training windows, which discourages
 * sharp boundaries around one subject's particular features.
 *
 * Apply it to training batches only (`mixupAlpha` of a run does); the batch's
 * `mix` field carries the partner labels and `lambda` to `trainStep`.
 *
 * @module
 */
import { map, type OperatorFunction } from "rxjs";
import { hashSeed, Random } from "../core/random.ts";
import type { Batch } from "../core/types.ts";
import { checkOptions } from "../core/check_options.ts";
import { OPERATOR_OPTIONS } from "./_option_rules.ts";

/** Options of {@linkcode mixup}. */
export interface MixupOptions {
  /** Concentration of the Beta(alpha, alpha) distribution of lambda (> 0); small values mix little. */
  alpha: number;
  /** Seed; batch `n` of the stream draws from `hashSeed(seed, n)`. Default: 0. */
  seed?: number;
}

/** A standard gamma variate with shape `shape` (Marsaglia and Tsang 2000; shape < 1 by boosting). */
function gamma(random: Random, shape: number): number {
  if (shape < 1) return gamma(random, shape + 1) * Math.pow(1 - random.next(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number, v: number;
    do {
      x = random.normal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - random.next();
    if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/**
 * Mixes one batch: pure function behind {@linkcode mixup}.
 *
 * @param batch The batch (not modified).
 * @param lambda Weight of each window's own sample and label, in [0.5, 1].
 * @param partner `partner[i]` is the window mixed into window `i` (a permutation of the batch).
 * @returns A new batch: mixed `xs`, the same `ys`, recordings and start samples, and `mix`.
 *
 * @example
 * ```ts
 * import { mixBatch } from "./mixup.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const batch = {
 *   xs: Float32Array.of(1, 1, 3, 3), shape: [2, 2], ys: Int32Array.of(0, 2), recordings: [], startSamples: [],
 * };
 * const mixed = mixBatch(batch, 0.75, [1, 0]);
 * assertEquals([...mixed.xs], [1.5, 1.5, 2.5, 2.5]);
 * assertEquals([[...mixed.mix!.ys], mixed.mix!.lambda], [[2, 0], 0.75]);
 * ```
 */
export function mixBatch(batch: Batch, lambda: number, partner: readonly number[]): Batch {
  const n = batch.ys.length;
  if (!(lambda >= 0.5 && lambda <= 1)) {
    throw new RangeError(`Cannot mix a batch: lambda must be in [0.5, 1], got ${lambda}`);
  }
  if (partner.length !== n || new Set(partner).size !== n || partner.some((p) => !(p >= 0 && p < n))) {
    throw new RangeError(`Cannot mix a batch: partner must be a permutation of 0..${n - 1}`);
  }
  const size = batch.xs.length / n;
  const xs = new Float32Array(batch.xs.length);
  const other = 1 - lambda;
  for (let i = 0; i < n; i++) {
    const own = batch.xs.subarray(i * size, (i + 1) * size);
    const mate = batch.xs.subarray(partner[i] * size, (partner[i] + 1) * size);
    const out = xs.subarray(i * size, (i + 1) * size);
    for (let k = 0; k < size; k++) out[k] = lambda * own[k] + other * mate[k];
  }
  const ys = Int32Array.from(partner, (p) => batch.ys[p]);
  return { ...batch, xs, mix: { ys, lambda } };
}

/**
 * Mixup of a stream of training batches (see the module doc).
 *
 * @param options `alpha` and the seed.
 * @returns An operator from batches to mixed batches.
 * @throws {RangeError} (at subscription time) for a non-positive alpha or a non-integer seed.
 *
 * @example
 * ```ts
 * import { lastValueFrom, of } from "rxjs";
 * import { mixup } from "./mixup.ts";
 * import { assert, assertEquals } from "@std/assert";
 *
 * const batch = {
 *   xs: Float32Array.of(0, 0, 1, 1, 2, 2), shape: [3, 2], ys: Int32Array.of(0, 1, 2), recordings: [], startSamples: [],
 * };
 * const mixed = await lastValueFrom(of(batch).pipe(mixup({ alpha: 0.4, seed: 7 })));
 * assert(mixed.mix!.lambda >= 0.5 && mixed.mix!.lambda <= 1);
 * assertEquals([...mixed.ys], [0, 1, 2]); // own labels stay; the partners' are in mix.ys
 * ```
 */
export function mixup(options: MixupOptions): OperatorFunction<Batch, Batch> {
  checkOptions("mixup", options, OPERATOR_OPTIONS.mixup);
  const { alpha, seed = 0 } = options;
  if (!(alpha > 0) || !Number.isFinite(alpha)) throw new RangeError(`Cannot mixup: alpha must be > 0, got ${alpha}`);
  if (!Number.isSafeInteger(seed)) throw new RangeError(`Cannot mixup: seed must be an integer, got ${seed}`);
  return map((batch, index) => {
    const random = new Random(hashSeed(seed, index));
    const a = gamma(random, alpha), b = gamma(random, alpha);
    const drawn = a + b > 0 ? a / (a + b) : 0.5;
    const lambda = Math.max(drawn, 1 - drawn);
    const partner = random.shuffle(Array.from({ length: batch.ys.length }, (_, i) => i));
    return mixBatch(batch, lambda, partner);
  });
}
