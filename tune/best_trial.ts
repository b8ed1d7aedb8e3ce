/**
 * Choosing the best trial of a search, by validation accuracy only (the final
 * test split is never looked at).
 *
 * @module
 */
import type { TrialRow } from "./trial_row.ts";

/** Which validation accuracy ranks trials first; the other breaks ties. */
export type RankBy = "window" | "recording";

/**
 * The ranking score of a row: `[primary, secondary]` validation accuracy, or
 * `[-Infinity, -Infinity]` for a trial that is not done.
 *
 * @param row A trials-table row.
 * @param rankBy Which accuracy comes first. Default: "window".
 * @returns The two accuracies.
 *
 * @example
 * ```ts
 * import { trialScore } from "./best_trial.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const row = { status: "done", valWindowAccuracy: 0.6, valRecordingAccuracy: 0.75 } as never;
 * assertEquals(trialScore(row, "recording"), [0.75, 0.6]);
 * assertEquals(trialScore({ status: "failed" } as never), [-Infinity, -Infinity]);
 * ```
 */
export function trialScore(row: TrialRow, rankBy: RankBy = "window"): [number, number] {
  if (row.status !== "done") return [-Infinity, -Infinity];
  const w = row.valWindowAccuracy ?? -Infinity;
  const r = row.valRecordingAccuracy ?? -Infinity;
  return rankBy === "window" ? [w, r] : [r, w];
}

/**
 * Compares two rows by score, best first (for `Array.prototype.sort`).
 *
 * @param a A row.
 * @param b Another row.
 * @param rankBy Which accuracy comes first. Default: "window".
 * @returns Negative when `a` ranks higher.
 *
 * @example
 * ```ts
 * import { compareTrials } from "./best_trial.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const a = { status: "done", valWindowAccuracy: 0.6, valRecordingAccuracy: 0.5 } as never;
 * const b = { status: "done", valWindowAccuracy: 0.6, valRecordingAccuracy: 0.75 } as never;
 * assertEquals([a, b].sort((x, y) => compareTrials(x, y))[0], b); // equal windows: recordings decide
 * ```
 */
export function compareTrials(a: TrialRow, b: TrialRow, rankBy: RankBy = "window"): number {
  const [a1, a2] = trialScore(a, rankBy);
  const [b1, b2] = trialScore(b, rankBy);
  return b1 !== a1 ? (b1 > a1 ? 1 : -1) : b2 !== a2 ? (b2 > a2 ? 1 : -1) : 0;
}

/**
 * The best finished trial of the last stage that has one (for successive
 * halving, the top rung: lower rungs had smaller budgets), by validation
 * accuracy (`rankBy` first, the other level breaking ties; then the earlier row).
 *
 * @param rows The trials table's rows.
 * @param rankBy Which accuracy comes first. Default: "window".
 * @returns The best row, or undefined when no trial is done.
 *
 * @example
 * ```ts
 * import { bestTrial } from "./best_trial.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const row = (trial: string, stage: number, w: number, r: number) => ({
 *   trial, stage, values: {}, epochs: 1, valWindowAccuracy: w, valRecordingAccuracy: r, trainWindowAccuracy: 1,
 *   trainRecordingAccuracy: 1, epochsRun: 1, bestEpoch: 1, seconds: 1, status: "done" as const, error: null,
 * });
 * const rows = [row("a", 0, 0.9, 0.5), row("b", 0, 0.6, 1), row("c", 1, 0.7, 0.5), row("d", 1, 0.7, 0.75)];
 * assertEquals(bestTrial(rows)?.trial, "d"); // top stage; equal window accuracy, better recordings
 * assertEquals(bestTrial(rows.slice(0, 2), "recording")?.trial, "b");
 * ```
 */
export function bestTrial(rows: readonly TrialRow[], rankBy: RankBy = "window"): TrialRow | undefined {
  const done = rows.filter((r) => r.status === "done");
  if (done.length === 0) return undefined;
  const top = Math.max(...done.map((r) => r.stage));
  return done.filter((r) => r.stage === top).sort((a, b) => compareTrials(a, b, rankBy))[0];
}
