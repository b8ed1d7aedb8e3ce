/**
 * The recordings a benchmark streams: a fixed, class-balanced selection.
 *
 * @module
 */
import { hashSeed, Random } from "../core/random.ts";
import type { Recording } from "../core/types.ts";

/**
 * Picks `n` recordings, taking the classes in turn, each class's recordings in
 * a fixed shuffled order: the same folder and `n` always give the same files,
 * and the first `n` of a larger pick are the pick of `n`.
 *
 * @param recordings The recordings to choose from (e.g. Cross/train).
 * @param n How many to pick.
 * @returns The picked recordings, in streaming order.
 * @throws {RangeError} when `n` exceeds the number of recordings.
 *
 * @example
 * ```ts
 * import { pickRecordings } from "./pick_recordings.ts";
 * import type { Recording } from "../core/types.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const recordings = ["rest", "math", "rest", "motor"].map((label, i) => ({ path: `${i}.h5`, label }) as Recording);
 * const labels = pickRecordings(recordings, 3).map((r) => r.label);
 * assertEquals(labels.sort(), ["math", "motor", "rest"]);
 * ```
 */
export function pickRecordings(recordings: readonly Recording[], n: number): Recording[] {
  if (n > recordings.length) {
    throw new RangeError(`Cannot benchmark: asked for ${n} files, the folder has ${recordings.length}`);
  }
  const byLabel = new Map<string, Recording[]>();
  for (const recording of new Random(hashSeed("bench")).shuffle([...recordings])) {
    byLabel.set(recording.label, [...(byLabel.get(recording.label) ?? []), recording]);
  }
  const queues = [...byLabel.values()];
  const picked: Recording[] = [];
  for (let i = 0; picked.length < n; i = (i + 1) % queues.length) {
    const next = queues[i].shift();
    if (next) picked.push(next);
  }
  return picked;
}
