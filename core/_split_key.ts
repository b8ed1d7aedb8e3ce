/**
 * The short name of a split folder, as the keys of `results.json` use it.
 *
 * @module
 */

/**
 * The key of a split folder in a run's results: its last path component
 * (`Cross/test1` -> `test1`); a name without one is kept as it is.
 *
 * @param split Split folder relative to the dataset root, `/`-separated.
 * @returns The key.
 *
 * @example
 * ```ts
 * import { splitKey } from "./_split_key.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals([splitKey("Cross/test1"), splitKey("Intra/test"), splitKey("train"), splitKey("odd/")], [
 *   "test1",
 *   "test",
 *   "train",
 *   "odd/",
 * ]);
 * ```
 */
export function splitKey(split: string): string {
  return split.split("/").pop() || split;
}
