/**
 * Merging the trials tables of searches run apart (several machines, several
 * folders) into one.
 *
 * @module
 */
import * as aq from "arquero";
import { METRIC_COLUMNS } from "./trials_table.ts";

const STATUS_RANK: Readonly<Record<string, number>> = { done: 0, failed: 1, interrupted: 2, pending: 3 };

/**
 * Concatenates trials tables and keeps one row per trial and stage: a `done`
 * row over a failed, interrupted or pending one; among equals, the first.
 * Columns are the union (parameters of all tables, missing values null), with
 * `trial`, `stage` first and the metric columns last; rows keep the order of
 * their first appearance.
 *
 * @param tables Trials tables (e.g. from `readTrialsTable`).
 * @returns The merged table.
 *
 * @example
 * ```ts
 * import * as aq from "arquero";
 * import { mergeTrialsTables } from "./merge_trials_tables.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const a = aq.table({ trial: ["t1", "t2"], stage: [0, 0], lr: [0.1, 0.2], status: ["pending", "done"] });
 * const b = aq.table({ trial: ["t1", "t3"], stage: [0, 0], units: [8, 16], status: ["done", "failed"] });
 * const merged = mergeTrialsTables([a, b]);
 * assertEquals(merged.array("trial"), ["t2", "t1", "t3"]);
 * assertEquals(merged.array("status"), ["done", "done", "failed"]);
 * assertEquals(merged.columnNames(), ["trial", "stage", "lr", "units", "status"]);
 * ```
 */
export function mergeTrialsTables(tables: readonly aq.ColumnTable[]): aq.ColumnTable {
  const names = [...new Set(tables.flatMap((t) => t.columnNames()))];
  const params = names.filter((n) => n !== "trial" && n !== "stage" && !METRIC_COLUMNS.includes(n));
  const ordered = ["trial", "stage", ...params, ...METRIC_COLUMNS.filter((n) => names.includes(n))];
  const rows = tables.flatMap((t) => t.objects() as Record<string, unknown>[]);
  const columns = Object.fromEntries(ordered.map((n) => [n, rows.map((r) => r[n] ?? null)]));
  return aq.table(columns)
    .derive({
      _order: () => aq.op.row_number(),
      _rank: aq.escape((d: { status: string }) => STATUS_RANK[d.status] ?? 4),
    })
    .orderby("_rank", "_order")
    .dedupe("trial", "stage")
    .orderby("_order")
    .select(aq.not("_rank", "_order"));
}
