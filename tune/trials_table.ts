/**
 * The trials table of a search, as an Arquero table with one column per
 * searched parameter, saved atomically as `trials.csv` and `trials.json`.
 *
 * Columns, in order: `trial`, `stage`, the parameters (in the order of the
 * search space; values that are not numbers, strings or booleans as JSON text),
 * `epochs`, `valWindowAccuracy`, `valRecordingAccuracy`, `trainWindowAccuracy`,
 * `trainRecordingAccuracy`, `epochsRun`, `bestEpoch`, `seconds`, `status`, `error`.
 *
 * @module
 */
import * as aq from "arquero";
import { join } from "node:path";
import { writeFileAtomic } from "../core/atomic_write.ts";
import type { TrialRow } from "./trial_row.ts";

/** The columns after the parameters. */
export const METRIC_COLUMNS: readonly string[] = [
  "epochs",
  "valWindowAccuracy",
  "valRecordingAccuracy",
  "trainWindowAccuracy",
  "trainRecordingAccuracy",
  "epochsRun",
  "bestEpoch",
  "seconds",
  "status",
  "error",
];

function cell(value: unknown): unknown {
  if (value === undefined) return null;
  if (value === null || ["number", "string", "boolean"].includes(typeof value)) return value;
  return JSON.stringify(value);
}

/**
 * Builds the trials table.
 *
 * @param rows One row per trial and stage.
 * @param paramNames The searched parameters, in column order. Default: the names of the rows' values.
 * @returns The table.
 *
 * @example
 * ```ts
 * import { trialsTable } from "./trials_table.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const row = {
 *   trial: "t1", stage: 0, values: { learningRate: 0.001, tubelet: [25, 4, 4] }, epochs: 3,
 *   valWindowAccuracy: 0.5, valRecordingAccuracy: 0.75, trainWindowAccuracy: 0.9, trainRecordingAccuracy: 1,
 *   epochsRun: 3, bestEpoch: 2, seconds: 12.5, status: "done" as const, error: null,
 * };
 * const table = trialsTable([row]);
 * assertEquals(table.columnNames().slice(0, 5), ["trial", "stage", "learningRate", "tubelet", "epochs"]);
 * assertEquals(table.get("tubelet", 0), "[25,4,4]");
 * ```
 */
export function trialsTable(rows: readonly TrialRow[], paramNames?: readonly string[]): aq.ColumnTable {
  const params = (paramNames ?? [...new Set(rows.flatMap((r) => Object.keys(r.values)))]).filter((n) => n !== "epochs");
  const columns: Record<string, unknown[]> = {
    trial: rows.map((r) => r.trial),
    stage: rows.map((r) => r.stage),
  };
  for (const name of params) columns[name] = rows.map((r) => cell(r.values[name]));
  for (const name of METRIC_COLUMNS) columns[name] = rows.map((r) => cell(r[name as keyof TrialRow]));
  return aq.table(columns);
}

/**
 * Writes `trials.csv` and `trials.json` (an array of row objects) into `dir`, each atomically.
 *
 * @param dir The search folder.
 * @param table The trials table.
 */
export async function writeTrialsTable(dir: string, table: aq.ColumnTable): Promise<void> {
  await writeFileAtomic(join(dir, "trials.csv"), aq.toCSV(table) + "\n");
  await writeFileAtomic(join(dir, "trials.json"), JSON.stringify(table.objects(), null, 2) + "\n");
}

/**
 * Reads a trials table written by {@linkcode writeTrialsTable}.
 *
 * @param path A search folder or its `trials.json`.
 * @returns The table, columns in the file's order.
 * @throws {TypeError} when the file is not an array of objects with `trial` and `status`.
 */
export async function readTrialsTable(path: string): Promise<aq.ColumnTable> {
  const file = path.endsWith(".json") ? path : join(path, "trials.json");
  const rows = JSON.parse(await Deno.readTextFile(file));
  if (
    !Array.isArray(rows) || rows.some((r) => r === null || typeof r !== "object" || !("trial" in r) || !("status" in r))
  ) {
    throw new TypeError(`${file}: expected an array of trial rows with "trial" and "status", got something else`);
  }
  const names = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return aq.table(Object.fromEntries(names.map((n) => [n, rows.map((r) => r[n] ?? null)])));
}

/**
 * The rows of a trials table (e.g. a merged one) as {@linkcode TrialRow}s;
 * parameter values stay as stored (JSON text for lists and objects).
 *
 * @param table A trials table.
 * @param paramNames The parameter columns. Default: every column that is not `trial`, `stage` or a metric.
 * @returns One row per table row.
 *
 * @example
 * ```ts
 * import * as aq from "arquero";
 * import { rowsOfTable } from "./trials_table.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const table = aq.table({ trial: ["t1"], stage: [0], lr: [0.01], epochs: [3], valWindowAccuracy: [0.5], status: ["done"] });
 * const [row] = rowsOfTable(table);
 * assertEquals([row.values, row.epochs, row.valWindowAccuracy, row.status], [{ lr: 0.01 }, 3, 0.5, "done"]);
 * ```
 */
export function rowsOfTable(table: aq.ColumnTable, paramNames?: readonly string[]): TrialRow[] {
  const names = paramNames ??
    table.columnNames().filter((n) => n !== "trial" && n !== "stage" && !METRIC_COLUMNS.includes(n));
  return (table.objects() as Record<string, unknown>[]).map((o) => ({
    trial: String(o.trial),
    stage: Number(o.stage ?? 0),
    values: Object.fromEntries(names.filter((n) => n in o).map((n) => [n, n === "epochs" ? o.epochs : o[n]])),
    epochs: Number(o.epochs),
    valWindowAccuracy: (o.valWindowAccuracy ?? null) as number | null,
    valRecordingAccuracy: (o.valRecordingAccuracy ?? null) as number | null,
    trainWindowAccuracy: (o.trainWindowAccuracy ?? null) as number | null,
    trainRecordingAccuracy: (o.trainRecordingAccuracy ?? null) as number | null,
    epochsRun: (o.epochsRun ?? null) as number | null,
    bestEpoch: (o.bestEpoch ?? null) as number | null,
    seconds: (o.seconds ?? null) as number | null,
    status: String(o.status) as TrialRow["status"],
    error: (o.error ?? null) as string | null,
  }));
}
