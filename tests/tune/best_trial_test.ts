import { assertEquals, assertStrictEquals } from "@std/assert";
import { bestTrial, compareTrials, trialScore } from "../../tune/best_trial.ts";
import type { TrialRow, TrialStatus } from "../../tune/trial_row.ts";

function row(trial: string, stage: number, w: number | null, r: number | null, status: TrialStatus = "done"): TrialRow {
  return {
    trial,
    stage,
    values: {},
    epochs: 4,
    valWindowAccuracy: w,
    valRecordingAccuracy: r,
    trainWindowAccuracy: 1,
    trainRecordingAccuracy: 1,
    epochsRun: 4,
    bestEpoch: 4,
    seconds: 1,
    status,
    error: status === "failed" ? "RangeError: bad" : null,
  };
}

Deno.test("trialScore() puts the ranking accuracy first", () => {
  assertEquals(trialScore(row("a", 0, 0.6, 0.75)), [0.6, 0.75]);
  assertEquals(trialScore(row("a", 0, 0.6, 0.75), "window"), [0.6, 0.75]);
  assertEquals(trialScore(row("a", 0, 0.6, 0.75), "recording"), [0.75, 0.6]);
});

Deno.test("trialScore() of a trial that is not done is minus infinity, whatever accuracies it holds", () => {
  for (const status of ["failed", "interrupted", "pending"] as const) {
    assertEquals(trialScore(row("a", 0, 0.99, 0.99, status)), [-Infinity, -Infinity]);
  }
  // A done row without accuracies ranks below any measured one.
  assertEquals(trialScore(row("a", 0, null, 0.5)), [-Infinity, 0.5]);
  assertEquals(trialScore(row("a", 0, 0, null), "recording"), [-Infinity, 0]);
});

Deno.test("compareTrials() orders by the first accuracy, then the second, best first", () => {
  const a = row("a", 0, 0.5, 1);
  const b = row("b", 0, 0.6, 0);
  const c = row("c", 0, 0.6, 0.5);
  assertEquals([a, b, c].sort((x, y) => compareTrials(x, y)).map((r) => r.trial), ["c", "b", "a"]);
  assertEquals([a, b, c].sort((x, y) => compareTrials(x, y, "recording")).map((r) => r.trial), ["a", "c", "b"]);
  assertEquals(compareTrials(b, c) > 0, true);
  assertEquals(compareTrials(c, b) < 0, true);
});

Deno.test("compareTrials() of equal scores is 0, and a finished trial beats an unfinished one", () => {
  assertEquals(compareTrials(row("a", 0, 0.5, 0.5), row("b", 3, 0.5, 0.5)), 0);
  assertEquals(compareTrials(row("a", 0, 0.01, 0), row("b", 0, 0.99, 0.99, "failed")) < 0, true);
  assertEquals(compareTrials(row("a", 0, 0, 0, "pending"), row("b", 0, 0, 0, "failed")), 0);
});

Deno.test("bestTrial() of no rows, or of no finished row, is undefined", () => {
  assertEquals(bestTrial([]), undefined);
  assertEquals(bestTrial([row("a", 0, 0.9, 0.9, "failed"), row("b", 0, null, null, "pending")]), undefined);
});

Deno.test("bestTrial() of a single finished row is that row", () => {
  const only = row("a", 0, 0.3, 0.25);
  assertStrictEquals(bestTrial([row("x", 0, 1, 1, "interrupted"), only]), only);
});

Deno.test("bestTrial() ignores failed trials whatever accuracy they hold", () => {
  const rows = [row("a", 0, 0.4, 0.5), row("b", 0, 1, 1, "failed"), row("c", 0, 0.45, 0.25)];
  assertEquals(bestTrial(rows)?.trial, "c");
});

Deno.test("bestTrial() takes the top stage that has a finished trial, even when a lower stage scored better", () => {
  const rows = [
    row("a", 0, 0.95, 0.95),
    row("b", 1, 0.5, 0.5),
    row("c", 1, 0.6, 0.5),
    row("d", 2, 1, 1, "failed"), // the top rung failed: stage 1 decides
  ];
  assertEquals(bestTrial(rows)?.trial, "c");
});

Deno.test("bestTrial() breaks ties by the other accuracy, then by the earlier row", () => {
  const rows = [row("a", 0, 0.5, 0.5), row("b", 0, 0.5, 0.75), row("c", 0, 0.5, 0.75), row("d", 0, 0.25, 1)];
  assertEquals(bestTrial(rows)?.trial, "b");
  assertEquals(bestTrial([...rows].reverse())?.trial, "c");
  assertEquals(bestTrial(rows, "recording")?.trial, "d");
});

Deno.test("bestTrial() does not reorder the rows it is given", () => {
  const rows = [row("a", 0, 0.1, 0.1), row("b", 0, 0.9, 0.9)];
  bestTrial(rows);
  assertEquals(rows.map((r) => r.trial), ["a", "b"]);
});
