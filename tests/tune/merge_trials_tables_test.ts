import { assertEquals } from "@std/assert";
import * as aq from "arquero";
import { mergeTrialsTables } from "../../tune/merge_trials_tables.ts";
import { METRIC_COLUMNS } from "../../tune/trials_table.ts";

type Row = Record<string, unknown>;
const rowsOf = (t: aq.ColumnTable) => t.objects() as Row[];

/** A small trials table: trial, stage, one parameter, status and a score. */
function table(rows: Array<[string, number, string, number | null]>, param = "lr"): aq.ColumnTable {
  return aq.table({
    trial: rows.map((r) => r[0]),
    stage: rows.map((r) => r[1]),
    [param]: rows.map((_, i) => i + 1),
    status: rows.map((r) => r[2]),
    valWindowAccuracy: rows.map((r) => r[3]),
  });
}

Deno.test("mergeTrialsTables() keeps a done row over a failed, interrupted or pending one, in either order", () => {
  for (const other of ["failed", "interrupted", "pending"]) {
    const unfinished = table([["t1", 0, other, null]]);
    const done = table([["t1", 0, "done", 0.8]]);
    for (const tables of [[unfinished, done], [done, unfinished]]) {
      const merged = mergeTrialsTables(tables);
      assertEquals(merged.numRows(), 1);
      assertEquals([merged.get("status", 0), merged.get("valWindowAccuracy", 0)], ["done", 0.8]);
    }
  }
});

Deno.test("mergeTrialsTables() ranks failed over interrupted over pending, and unknown statuses last", () => {
  const merged = mergeTrialsTables([
    table([["t1", 0, "pending", null], ["t2", 0, "mystery", null]]),
    table([["t1", 0, "interrupted", null], ["t2", 0, "pending", null]]),
    table([["t1", 0, "failed", null]]),
  ]);
  assertEquals(rowsOf(merged).map((r) => [r.trial, r.status]), [["t2", "pending"], ["t1", "failed"]]);
});

Deno.test("mergeTrialsTables() keeps the first of equal rows", () => {
  const merged = mergeTrialsTables([table([["t1", 0, "done", 0.5]]), table([["t1", 0, "done", 0.9]])]);
  assertEquals(merged.array("valWindowAccuracy"), [0.5]);
  // Duplicates within one table too.
  assertEquals(mergeTrialsTables([table([["t1", 0, "done", 0.5], ["t1", 0, "done", 0.9]])]).numRows(), 1);
});

Deno.test("mergeTrialsTables() keeps one row per trial and stage, not per trial", () => {
  const merged = mergeTrialsTables([
    table([["t1", 0, "done", 0.5], ["t1", 1, "pending", null]]),
    table([["t1", 1, "done", 0.7]]),
  ]);
  assertEquals(rowsOf(merged).map((r) => [r.trial, r.stage, r.status]), [["t1", 0, "done"], ["t1", 1, "done"]]);
});

Deno.test("mergeTrialsTables() orders rows by where the kept row appeared", () => {
  const merged = mergeTrialsTables([
    table([["t1", 0, "pending", null], ["t2", 0, "done", 0.2], ["t3", 0, "done", 0.3]]),
    table([["t1", 0, "done", 0.1], ["t4", 0, "done", 0.4]]),
  ]);
  assertEquals(merged.array("trial"), ["t2", "t3", "t1", "t4"]);
});

Deno.test("mergeTrialsTables() unites the columns: trial and stage first, parameters, then metrics in order", () => {
  const a = table([["t1", 0, "done", 0.5]], "lr");
  const b = aq.table({ epochs: [3], units: [16], stage: [0], trial: ["t2"], status: ["failed"] });
  const merged = mergeTrialsTables([a, b]);
  const metrics = METRIC_COLUMNS.filter((n) => ["epochs", "status", "valWindowAccuracy"].includes(n));
  assertEquals(merged.columnNames(), ["trial", "stage", "lr", "units", ...metrics]);
  assertEquals(merged.objects(), [
    { trial: "t1", stage: 0, lr: 1, units: null, epochs: null, valWindowAccuracy: 0.5, status: "done" },
    { trial: "t2", stage: 0, lr: null, units: 16, epochs: 3, valWindowAccuracy: null, status: "failed" },
  ]);
});

Deno.test("mergeTrialsTables() of one table without duplicates returns its rows unchanged", () => {
  const only = table([["t1", 0, "done", 0.5], ["t2", 0, "failed", null], ["t3", 0, "pending", null]]);
  const merged = mergeTrialsTables([only]);
  assertEquals(merged.objects(), only.objects());
});

Deno.test("mergeTrialsTables() of no tables is an empty table", () => {
  const merged = mergeTrialsTables([]);
  assertEquals(merged.numRows(), 0);
  assertEquals(merged.columnNames(), ["trial", "stage"]);
});
