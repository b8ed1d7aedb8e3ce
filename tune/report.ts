/**
 * The search report `search.html`: one self-contained page (inline CSS and
 * SVG drawn from Vega-Lite specs, no scripts) with the best configuration, the final test of its
 * retrained model, one influence plot per hyper-parameter and the trials table.
 *
 * @module
 */
import type { RunResults, SplitMetrics } from "../evaluation/metrics.ts";
import { describeValidation, roleOfSplit } from "../training/validation_plan.ts";
import { splitKey } from "../core/_split_key.ts";
import { escapeXml, fixed } from "../reports/_svg.ts";
import { CHART_CSS } from "../reports/render_vega_lite.ts";
import { type RankBy, trialScore } from "./best_trial.ts";
import { influencePlot } from "./influence_plot.ts";
import type { SearchSettings } from "./plan_search.ts";
import { paramKind } from "./search_space.ts";
import type { TrialRow } from "./trial_row.ts";

/** What a search report shows. */
export interface SearchReportInput {
  /** The search (space, strategy, fixed configuration). */
  settings: SearchSettings;
  /** Every trial of every stage planned. */
  rows: readonly TrialRow[];
  /** Number of stages of the search. Default: the highest stage in `rows` + 1. */
  totalStages?: number;
  /** The chosen trial. Default: none. */
  best?: TrialRow;
  /** `results.json` of the best configuration retrained with the full budget. Default: none. */
  final?: RunResults;
}

/** Options of {@linkcode renderSearchReport}. */
export interface SearchReportOptions {
  /** Page title. Default: "megflow hyper-parameter search". */
  title?: string;
  /** Date shown under the title. Default: now. */
  date?: Date;
}

const CSS = `
*{box-sizing:border-box}
body{margin:0;background:#f4f5f7;color:#222;font:15px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',Arial,sans-serif}
main{max-width:1200px;margin:0 auto;padding:24px 20px 48px}
h1{font-size:26px;margin:2px 0 4px}
h2{font-size:19px;margin:0 0 12px}
.sub{color:#555;font-size:14px}
section{background:#fff;border-radius:10px;box-shadow:0 1px 3px rgba(0,0,0,.08);padding:18px 20px;margin:16px 0}
.plots{display:flex;flex-wrap:wrap;gap:18px 24px}
svg.plot{max-width:100%;height:auto;display:block}
table{border-collapse:collapse;font-size:13px}
th,td{text-align:left;padding:4px 9px;border-bottom:1px solid #eee;vertical-align:top}
th{font-weight:600;color:#444}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
tr.best td{background:#fdece3;font-weight:600}
tr.final td{background:#eef4fa}
.note{color:#555;font-size:13px;margin:8px 0 0}
.muted{color:#777;font-style:italic}
code{font-family:ui-monospace,'DejaVu Sans Mono',Menlo,Consolas,monospace;font-size:12.5px}
.scroll{overflow-x:auto}
`;

function valueText(value: unknown): string {
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(4)));
  return typeof value === "string" ? value : JSON.stringify(value) ?? "–";
}

function specText(spec: unknown): string {
  return JSON.stringify(spec);
}

function bestSection(input: SearchReportInput, rankBy: RankBy): string {
  const best = input.best;
  if (!best) {
    return `<section id="best"><h2>Best configuration</h2><p class="muted">No trial has finished yet.</p></section>`;
  }
  const rows = Object.entries(best.values).map(([k, v]) =>
    `<tr><td><code>${escapeXml(k)}</code></td><td>${escapeXml(valueText(v))}</td></tr>`
  ).join("");
  return `<section id="best"><h2>Best configuration</h2>
<p>Trial <code>${escapeXml(best.trial)}</code> (stage ${best.stage}, ${best.epochs} epochs): validation accuracy
<b>${fixed(best.valWindowAccuracy, 3)}</b> per window, <b>${fixed(best.valRecordingAccuracy, 3)}</b> per recording
(ranked by ${
    rankBy === "window"
      ? "window accuracy, ties broken by recording accuracy"
      : "recording accuracy, ties broken by window accuracy"
  }).</p>
<table><thead><tr><th>parameter</th><th>value</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

function finalSection(input: SearchReportInput): string {
  if (!input.final) {
    return `<section id="final"><h2>Final test</h2><p class="muted">The best configuration has not been retrained
yet (the search is unfinished or ran with --no-retrain).</p></section>`;
  }
  const splits = Object.entries(input.final.splits);
  const roleOf = (key: string, m: SplitMetrics) => roleOfSplit(key, m.role, input.settings.base);
  const line = ([key, m]: [string, SplitMetrics]) => {
    const role = roleOf(key, m);
    const text = role === "train"
      ? "train (training data)"
      : role === "test"
      ? "test (never used to choose)"
      : "validation (used to choose and to stop early; not a test result)";
    return `<tr class="${role === "test" ? "final" : ""}"><td>${escapeXml(key)}</td><td>${text}</td>` +
      `<td class="num">${m.recordings}</td><td class="num">${m.windows}</td>` +
      `<td class="num">${fixed(m.windowAccuracy, 3)}</td><td class="num">${fixed(m.recordingAccuracy, 3)}</td>` +
      `<td class="num">${fixed(m.macroF1, 3)}</td></tr>`;
  };
  return `<section id="final"><h2>Final test of the retrained best configuration</h2>
<p>The best values retrained with the full budget (${input.settings.base.epochs} epochs) and evaluated once on every test split.</p>
<table><thead><tr><th>split</th><th>role</th><th class="num">recordings</th><th class="num">windows</th>
<th class="num">window acc.</th><th class="num">recording acc.</th><th class="num">macro-F1</th></tr></thead>
<tbody>${splits.map(line).join("")}</tbody></table>
<p class="note">Best epoch ${input.final.bestEpoch ?? "–"}, ${fixed(input.final.seconds.total, 0)} s on ${
    escapeXml(input.final.backend)
  }.</p></section>`;
}

async function influenceSection(input: SearchReportInput, rankBy: RankBy, totalStages: number): Promise<string> {
  const done = input.rows.filter((r) => r.status === "done");
  const stageLabels = Array.from({ length: totalStages }, (_, s) => `stage ${s}`);
  const stageEpochs = stageLabels.map((label, s) => {
    const epochs = input.rows.find((r) => r.stage === s)?.epochs;
    return epochs === undefined ? undefined : `${label}: ${epochs} epoch${epochs === 1 ? "" : "s"}`;
  }).filter((t) => t !== undefined);
  const plots = await Promise.all(
    Object.entries(input.settings.space).map(([name, spec]) => {
      const kind = paramKind(spec);
      return influencePlot(
        name,
        done.map((r) => ({
          value: name === "epochs" ? r.epochs : r.values[name],
          score: trialScore(r, rankBy)[0],
          trial: r.trial,
          stage: r.stage,
          best: input.best !== undefined && r.trial === input.best.trial && r.stage === input.best.stage,
        })),
        {
          kind,
          categories: kind === "choice" ? (spec as { choice: unknown[] }).choice : undefined,
          yLabel: `validation accuracy (${rankBy})`,
          stageLabels,
          chance: 0.25,
        },
      );
    }),
  );
  return `<section id="influence"><h2>Influence of each hyper-parameter</h2>
<div class="plots">${plots.join("")}</div>
<p class="note">One dot per finished trial${
    totalStages > 1
      ? `, coloured by stage (${stageEpochs.join(", ")}; later stages trained longer, so compare within a colour)`
      : ""
  }; the best trial is ringed. Dashed: chance (0.25). Trials differ in all parameters at once, so a plot shows a
marginal trend, not a controlled comparison.</p></section>`;
}

function tableSection(input: SearchReportInput, rankBy: RankBy): string {
  const names = Object.keys(input.settings.space).filter((n) => n !== "epochs");
  const rows = [...input.rows].sort((a, b) => {
    if (b.stage !== a.stage) return b.stage - a.stage;
    const [a1, a2] = trialScore(a, rankBy), [b1, b2] = trialScore(b, rankBy);
    return b1 - a1 || b2 - a2 || 0;
  });
  const measures = [
    "epochs",
    "val. window",
    "val. recording",
    "train window",
    "train recording",
    "epochs run",
    "best epoch",
    "seconds",
  ];
  const head = ["trial", "stage", ...names, ...measures, "status"];
  const numeric = new Set(["stage", ...measures]);
  const body = rows.map((r) => {
    const isBest = input.best !== undefined && r.trial === input.best.trial && r.stage === input.best.stage;
    const cells = [
      `<code>${escapeXml(r.trial)}</code>`,
      String(r.stage),
      ...names.map((n) => escapeXml(valueText(r.values[n]))),
      String(r.epochs),
      fixed(r.valWindowAccuracy, 3),
      fixed(r.valRecordingAccuracy, 3),
      fixed(r.trainWindowAccuracy, 3),
      fixed(r.trainRecordingAccuracy, 3),
      r.epochsRun === null ? "–" : String(r.epochsRun),
      r.bestEpoch === null ? "–" : String(r.bestEpoch),
      fixed(r.seconds, 0),
      r.status === "failed" ? `failed: ${escapeXml(r.error ?? "")}` : r.status,
    ];
    return `<tr${isBest ? ' class="best"' : ""}>${
      cells.map((c, i) => `<td${numeric.has(head[i]) ? ' class="num"' : ""}>${c}</td>`).join("")
    }</tr>`;
  }).join("");
  return `<section id="trials"><h2>Trials</h2><div class="scroll"><table><thead><tr>${
    head.map((h) => `<th${numeric.has(h) ? ' class="num"' : ""}>${escapeXml(h)}</th>`).join("")
  }</tr></thead><tbody>${body}</tbody></table></div>
<p class="note">Validation (role <code>validation</code>: it ranks the trials and stops each early; no test split
is looked at): ${
    input.settings.base.validationSplits.length > 0
      ? `the mean over ${input.settings.base.validationSplits.map(escapeXml).join(" and ")} of each split's accuracy`
      : escapeXml(describeValidation(input.settings.base))
  }, evaluated as the trial's early stopping validated it (BatchNorm adapted per subject when the run adapts). Train: the kept model on its training recordings after training. Also in <code>trials.csv</code> and <code>trials.json</code>.</p></section>`;
}

function settingsSection(settings: SearchSettings): string {
  const base = settings.base;
  const space = Object.entries(settings.space).map(([k, v]) =>
    `<tr><td><code>${escapeXml(k)}</code></td><td><code>${escapeXml(specText(v))}</code></td></tr>`
  ).join("");
  const fixedRows: [string, string][] = [
    ["task", base.task],
    ["model", base.model],
    ["model options", JSON.stringify(base.modelOptions)],
    ["epochs (full budget)", String(base.epochs)],
    ["batch size / learning rate", `${base.batchSize} / ${base.learningRate}`],
    ["preprocessing", base.preprocess.map((s) => JSON.stringify(s)).join(" → ")],
    ["validation (ranks trials, stops early)", describeValidation(base)],
    [
      "final tests (never used to choose)",
      base.testSplits.filter((s) => roleOfSplit(splitKey(s), undefined, base) === "test").join(", "),
    ],
    ["max samples per recording", base.maxSamples === null ? "all" : String(base.maxSamples)],
    ["data", base.data],
  ];
  return `<section id="settings"><h2>Search settings</h2>
<div class="plots"><div><h3>Searched</h3><table><tbody>${space}</tbody></table></div>
<div><h3>Fixed</h3><table><tbody>${
    fixedRows.map(([k, v]) => `<tr><td>${escapeXml(k)}</td><td><code>${escapeXml(v)}</code></td></tr>`).join("")
  }</tbody></table></div></div></section>`;
}

/**
 * Renders `search.html`.
 *
 * @param input Settings, rows, best trial and final results.
 * @param options Title and date.
 * @returns The HTML page.
 *
 * @example
 * ```ts
 * import { renderSearchReport } from "./report.ts";
 * import { runConfig } from "../training/run_config.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const space = { learningRate: { logUniform: [1e-4, 1e-2] }, batchSize: { choice: [16, 32] } } as const;
 * const settings = { base: runConfig("cross", "/data"), space, strategy: "random", trials: 1, seed: 1, rankBy: "window", eta: 2 } as const;
 * const row = {
 *   trial: "t1", stage: 0, values: { learningRate: 1e-3, batchSize: 16 }, epochs: 3, valWindowAccuracy: 0.5,
 *   valRecordingAccuracy: 0.75, trainWindowAccuracy: 0.9, trainRecordingAccuracy: 1, epochsRun: 3, bestEpoch: 2,
 *   seconds: 10, status: "done" as const, error: null,
 * };
 * const html = await renderSearchReport({ settings: settings as never, rows: [row], best: row });
 * assertEquals(html.match(/data-plot="influence"/g)?.length, 2); // one plot per hyper-parameter
 * ```
 */
export async function renderSearchReport(
  input: SearchReportInput,
  options: SearchReportOptions = {},
): Promise<string> {
  const { settings } = input;
  const rankBy = settings.rankBy;
  const totalStages = input.totalStages ?? Math.max(0, ...input.rows.map((r) => r.stage)) + 1;
  const done = input.rows.filter((r) => r.status === "done").length;
  const failed = input.rows.filter((r) => r.status === "failed").length;
  const title = options.title ?? "megflow hyper-parameter search";
  const date = (options.date ?? new Date()).toISOString().slice(0, 16).replace("T", " ");
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeXml(title)}</title><style>${CSS}${CHART_CSS}</style></head><body><main>
<header><h1>${escapeXml(title)}</h1>
<div class="sub">${escapeXml(settings.base.task)}-subject · model ${escapeXml(settings.base.model)} · ${
    escapeXml(settings.strategy)
  } search, seed ${settings.seed} · ${input.rows.length} trials in ${totalStages} stage${
    totalStages === 1 ? "" : "s"
  } (${done} done${failed ? `, ${failed} failed` : ""}) · ${escapeXml(date)} UTC</div></header>
${bestSection(input, rankBy)}
${finalSection(input)}
${await influenceSection(input, rankBy, totalStages)}
${tableSection(input, rankBy)}
${settingsSection(settings)}
<p class="note" style="text-align:center">megflow · the final test split is never used to choose a configuration.</p>
</main></body></html>
`;
}
