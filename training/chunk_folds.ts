/**
 * K-fold validation over the chunks of the training folders: fold `i` of `k` holds out, for
 * every subject and class, the recordings whose position in chunk order is `i`, `i + k`,
 * `i + 2k`, ...; the folds are disjoint and together hold out every training recording once.
 *
 * One held-out chunk per class (train-intra's `holdout`) validates on 4 recordings, too few
 * to see a whole recording classified wrong; pooled over `k` folds every training recording
 * is validated by a model that did not train on it (`deno task cv-intra`).
 *
 * @module
 */
import type { Recording } from "../core/types.ts";

/** The text of a fold in a config's `validation`: `fold:I/K` (I from 0). */
export function foldValidation(fold: number, folds: number): string {
  return `fold:${fold}/${folds}`;
}

/**
 * Parses `fold:I/K` (I from 0 to K - 1, K at least 2).
 *
 * @param value A config's `validation`.
 * @returns The fold and the number of folds, or undefined when `value` is not a fold.
 * @throws {RangeError} for `fold:` with a bad index or count.
 *
 * @example
 * ```ts
 * import { parseFold } from "./chunk_folds.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(parseFold("fold:1/4"), { fold: 1, folds: 4 });
 * assertEquals(parseFold("holdout"), undefined);
 * ```
 */
export function parseFold(value: string): { fold: number; folds: number } | undefined {
  if (!value.startsWith("fold:")) return undefined;
  const match = /^fold:(\d+)\/(\d+)$/.exec(value);
  const fold = Number(match?.[1]), folds = Number(match?.[2]);
  if (!match || folds < 2 || fold >= folds) {
    throw new RangeError(`validation fold:I/K needs 0 <= I < K and K >= 2, got ${value}`);
  }
  return { fold, folds };
}

/**
 * Splits training recordings into the training and validation recordings of fold `fold` of
 * `folds` (see the module doc).
 *
 * @param recordings Training recordings.
 * @param fold Fold index, 0 to `folds - 1`.
 * @param folds Number of folds.
 * @returns The two lists, in the order of `recordings`.
 * @throws {RangeError} when a subject and class has fewer than `folds` recordings (a fold
 *   would hold none of it out) or all its recordings would be held out.
 *
 * @example
 * ```ts
 * import { chunkFold } from "./chunk_folds.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const r = (chunk: number) => ({ subject: "1", label: "rest", chunk }) as never;
 * const { validation } = chunkFold([r(1), r(2), r(3), r(4)], 1, 2);
 * assertEquals(validation.map((x: { chunk: number }) => x.chunk), [2, 4]);
 * ```
 */
export function chunkFold(
  recordings: readonly Recording[],
  fold: number,
  folds: number,
): { train: Recording[]; validation: Recording[] } {
  const groups = new Map<string, Recording[]>();
  for (const recording of recordings) {
    const key = `${recording.subject}/${recording.label}`;
    groups.set(key, [...(groups.get(key) ?? []), recording]);
  }
  const validation = new Set<Recording>();
  for (const group of groups.values()) {
    if (group.length < folds) {
      const { subject, label } = group[0];
      throw new RangeError(
        `Cannot make ${folds} folds: subject ${subject}, ${label} has ${group.length} recordings (at least ${folds} needed)`,
      );
    }
    const ordered = [...group].sort((a, b) => a.chunk - b.chunk || a.path.localeCompare(b.path));
    ordered.forEach((recording, i) => {
      if (i % folds === fold) validation.add(recording);
    });
  }
  return {
    train: recordings.filter((r) => !validation.has(r)),
    validation: recordings.filter((r) => validation.has(r)),
  };
}
