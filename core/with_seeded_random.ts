/**
 * Repeatable TensorFlow.js runs. tfjs seeds every weight initialiser and
 * dropout mask it is not given a seed for from `Math.random()`; replacing
 * `Math.random` with a seeded generator for the duration of a run makes weight
 * initialisation and dropout repeatable from one integer.
 *
 * Within a run, `fit({ seed })` nests one call per epoch, seeded from
 * `(seed, epoch)`: an epoch's dropout masks then do not depend on how many
 * numbers earlier epochs (or building the model) drew, which is what lets a
 * run resumed from a checkpoint in a new process repeat the uninterrupted run.
 *
 * @module
 */
import { Random } from "./random.ts";

/**
 * Runs `fn` with `Math.random` replaced by a generator seeded with `seed`,
 * and restores the original afterwards (also when `fn` throws). Calls must
 * not overlap: nested or concurrent use restores in last-in, first-out order.
 *
 * @param seed Integer seed.
 * @param fn The work, e.g. building and training a model.
 * @returns What `fn` returns.
 *
 * @example
 * ```ts
 * import { withSeededRandom } from "./with_seeded_random.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const a = await withSeededRandom(5, () => [Math.random(), Math.random()]);
 * const b = await withSeededRandom(5, () => [Math.random(), Math.random()]);
 * assertEquals(a, b);
 * ```
 */
export async function withSeededRandom<T>(seed: number, fn: () => T | Promise<T>): Promise<T> {
  const original = Math.random;
  const random = new Random(seed);
  Math.random = () => random.next();
  try {
    return await fn();
  } finally {
    Math.random = original;
  }
}
