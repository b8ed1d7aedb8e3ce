/**
 * What a study reports about a hyper-parameter search (part c): the chosen
 * values, their validation and final-test accuracy, and how much each
 * parameter seems to matter.
 *
 * Influence is measured on the trials of the first stage (for successive
 * halving the only stage where every configuration had the same budget): for
 * a numeric parameter, Spearman's rank correlation between its value and the
 * validation window accuracy; for a choice, the spread (highest minus lowest)
 * of the mean accuracy of each choice. With a handful of trials these are
 * hints, not tests.
 *
 * @module
 */
import { join } from "node:path";
import type { SearchSettings } from "../tune/plan_search.ts";
import type { SearchFile } from "../tune/run_search.ts";
import { type ParamKind, paramKind } from "../tune/search_space.ts";
import type { TrialRow } from "../tune/trial_row.ts";
import { readTrialsTable, rowsOfTable } from "../tune/trials_table.ts";

/** How much one parameter seems to matter. */
export interface ParamInfluence {
  /** Parameter name. */
  param: string;
  /** How it was searched. */
  kind: ParamKind;
  /** "spearman" (numeric) or "spread" (choice). */
  measure: "spearman" | "spread";
  /** The measure; null with fewer than 3 finished trials or no variation. */
  value: number | null;
  /** E.g. the mean accuracy per choice. */
  detail: string;
}

/** A search as the study reports it. */
export interface SearchSummary {
  /** The search folder. */
  dir: string;
  /** The search's settings. */
  settings: SearchSettings;
  /** Trials planned and finished. */
  trials: { planned: number; done: number };
  /** The best trial's values; null when none finished. */
  chosen: Record<string, unknown> | null;
  /** The best trial's validation accuracy. */
  validation: { window: number | null; recording: number | null } | null;
  /** The retrained best configuration's accuracy per split; null when not retrained. */
  final: Record<string, { windowAccuracy: number; recordingAccuracy: number; macroF1: number }> | null;
  /** One entry per searched parameter. */
  influence: ParamInfluence[];
  /** Every trial (for the influence plots). */
  rows: TrialRow[];
  /** Id of the best trial. */
  bestTrial: string | null;
}

function ranks(values: readonly number[]): number[] {
  const order = [...values.keys()].sort((a, b) => values[a] - values[b]);
  const out = new Array<number>(values.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && values[order[j + 1]] === values[order[i]]) j++;
    for (let k = i; k <= j; k++) out[order[k]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return out;
}

/**
 * Spearman's rank correlation (Pearson's correlation of average ranks).
 *
 * @param x Values.
 * @param y Values, same length.
 * @returns The correlation in [-1, 1]; null for fewer than 3 pairs or a constant side.
 *
 * @example
 * ```ts
 * import { spearman } from "./search_summary.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(spearman([1, 2, 3, 4], [0.1, 0.4, 0.3, 0.9]), 0.8);
 * ```
 */
export function spearman(x: readonly number[], y: readonly number[]): number | null {
  if (x.length !== y.length || x.length < 3) return null;
  const rx = ranks(x), ry = ranks(y);
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  const mx = mean(rx), my = mean(ry);
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < rx.length; i++) {
    sxy += (rx[i] - mx) * (ry[i] - my);
    sxx += (rx[i] - mx) ** 2;
    syy += (ry[i] - my) ** 2;
  }
  return sxx === 0 || syy === 0 ? null : Math.round((sxy / Math.sqrt(sxx * syy)) * 1e12) / 1e12;
}

/**
 * The influence of each searched parameter on validation window accuracy.
 *
 * @param settings The search.
 * @param rows Its trials.
 * @returns One entry per parameter of the space.
 */
export function paramInfluence(settings: SearchSettings, rows: readonly TrialRow[]): ParamInfluence[] {
  const done = rows.filter((r) => r.status === "done" && r.stage === 0 && r.valWindowAccuracy !== null);
  return Object.entries(settings.space).map(([param, spec]) => {
    const kind = paramKind(spec);
    const valueOf = (r: TrialRow) => (param === "epochs" ? r.epochs : r.values[param]);
    if (kind === "choice") {
      const groups = new Map<string, number[]>();
      for (const r of done) {
        const key = typeof valueOf(r) === "string" ? String(valueOf(r)) : JSON.stringify(valueOf(r));
        groups.set(key, [...(groups.get(key) ?? []), r.valWindowAccuracy!]);
      }
      const means = [...groups].map(([k, v]) => [k, v.reduce((a, b) => a + b, 0) / v.length] as const);
      const spread = means.length >= 2 && done.length >= 3
        ? Math.max(...means.map((m) => m[1])) - Math.min(...means.map((m) => m[1]))
        : null;
      return {
        param,
        kind,
        measure: "spread" as const,
        value: spread,
        detail: means.map(([k, m]) => `${k}: ${m.toFixed(3)} (${groups.get(k)!.length})`).join(", "),
      };
    }
    const x = done.map((r) => Number(valueOf(r)));
    const rho = spearman(x, done.map((r) => r.valWindowAccuracy!));
    return {
      param,
      kind,
      measure: "spearman" as const,
      value: rho,
      detail: rho === null ? `${done.length} finished trials` : `rank correlation over ${done.length} trials`,
    };
  });
}

/**
 * Reads a search folder written by `runSearch` (`search.json`, `trials.json`,
 * `best.json`) and summarises it.
 *
 * @param dir The search folder.
 * @returns The summary.
 * @throws {Error} when `search.json` or `trials.json` cannot be read.
 */
export async function summariseSearch(dir: string): Promise<SearchSummary> {
  const { settings } = JSON.parse(await Deno.readTextFile(join(dir, "search.json"))) as SearchFile;
  const rows = rowsOfTable(await readTrialsTable(dir), Object.keys(settings.space));
  const best = await Deno.readTextFile(join(dir, "best.json")).then(JSON.parse, () => undefined);
  return {
    dir,
    settings,
    trials: { planned: rows.length, done: rows.filter((r) => r.status === "done").length },
    chosen: best?.values ?? null,
    validation: best?.validation ?? null,
    final: best?.final ?? null,
    influence: paramInfluence(settings, rows),
    rows,
    bestTrial: best?.trial ?? null,
  };
}
