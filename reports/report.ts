/**
 * The run report: one self-contained HTML file (inline CSS and SVG, no
 * scripts, no external resources) that shows what a run learned and how well
 * it does on each split, meant to be opened from a run folder and understood
 * without reading JSON.
 *
 * @module
 */
import { LABELS } from "../core/types.ts";
import { type RunResults, type SplitMetrics, trainTestGap } from "../evaluation/metrics.ts";
import { escapeXml, fixed, percent } from "./_svg.ts";
import { accuracyGauge } from "./accuracy_gauge.ts";
import { confusionPlot } from "./confusion_plot.ts";
import { type LearningCurveEpoch, learningCurvePlot } from "./learning_curve_plot.ts";
import { recordingAccuracyPlot } from "./recording_accuracy_plot.ts";
import { subjectAccuracyPlot } from "./subject_accuracy_plot.ts";
import { formatSeconds, timingPlot } from "./timing_plot.ts";
import { CHART_CSS } from "./render_vega_lite.ts";
import { roleOfSplit, type SplitRole } from "../training/validation_plan.ts";
import { type InsideModel, insideModelSection } from "./inside_model.ts";

export type { LearningCurveEpoch } from "./learning_curve_plot.ts";

/** What a report is made from: the files of a run folder, parsed. */
export interface ReportInput {
  /** Content of `results.json`. */
  results: RunResults;
  /** Lines of `metrics.jsonl`, one per epoch. Default: none (the learning curves say so). */
  history?: readonly LearningCurveEpoch[];
  /** Content of `config.json`: hyper-parameters and preprocessing steps. Default: none. */
  config?: Readonly<Record<string, unknown>>;
  /** Saliency topomaps and spatial filters from `explain`. Default: none (no "Inside the model" section). */
  inside?: InsideModel;
}

/** Options of {@linkcode renderReport}. */
export interface RenderReportOptions {
  /**
   * Key in `results.splits` of the split the model was trained on, compared
   * with every other split. Default: the split named `train` or ending in `/train`.
   */
  trainSplit?: string;
  /** Date shown in the title. Default: `results.startedAt`, else the current time. */
  date?: Date | string;
  /** Heading above task, model and backend. Default `"megflow run report"`. */
  title?: string;
}

const CSS = `
*{box-sizing:border-box}
body{margin:0;background:#f4f5f7;color:#222;font:15px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',Arial,sans-serif}
main{max-width:1200px;margin:0 auto;padding:24px 20px 48px}
header{margin-bottom:18px}
header .kicker{color:#666;font-size:13px;text-transform:uppercase;letter-spacing:.06em}
h1{font-size:28px;margin:2px 0 4px}
h2{font-size:20px;margin:0 0 12px}
h3{font-size:15px;margin:16px 0 8px;color:#444}
.sub{color:#555;font-size:14px}
.topomaps{display:flex;flex-wrap:wrap;gap:8px}.topomap{margin:0}.topomap figcaption{text-align:center;color:#666;font-size:13px}table.bands td{text-align:center;vertical-align:top;padding:2px}table.bands .band-map svg{width:150px;height:auto}
section{background:#fff;border-radius:10px;box-shadow:0 1px 3px rgba(0,0,0,.08);padding:18px 20px;margin:16px 0}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(225px,1fr));gap:14px}
.role{font-size:11px;font-weight:600;text-transform:uppercase;letter-spacing:.04em;padding:1px 6px;border-radius:4px;margin-left:6px;vertical-align:middle}
.role-train{background:#eee;color:#555}.role-validation{background:#fdf0d5;color:#8a5a00}.role-test{background:#dcefe3;color:#1d6b3a}
.card{background:#fff;border-radius:10px;box-shadow:0 1px 3px rgba(0,0,0,.1);padding:14px 16px;border-top:4px solid #0072B2}
.card.train{border-top-color:#999}
.card h3{margin:0;font-size:17px;color:#222}
.card .meta{color:#666;font-size:12px;margin-bottom:8px}
.bigs{display:flex;gap:18px;margin:4px 0 2px}
.big{font-size:30px;font-weight:700;line-height:1.1}
.big small{display:block;font-size:11px;font-weight:400;color:#666}
.facts{font-size:12.5px;color:#333;margin:6px 0 0;padding:0;list-style:none}
.facts li{display:flex;justify-content:space-between;gap:8px;border-bottom:1px dotted #ddd;padding:1px 0}
.facts b{white-space:nowrap}
.verdict{font-size:12.5px;margin-top:8px;color:#333}
.gaps{margin:0;padding-left:20px}
.gaps li{margin:4px 0}
.plots{display:flex;flex-wrap:wrap;gap:18px 28px;align-items:flex-start}
svg.plot{max-width:100%;height:auto;display:block}
.note{color:#555;font-size:13px;margin:6px 0 0}
.muted{color:#777;font-style:italic}
table{border-collapse:collapse;font-size:13px}
th,td{text-align:left;padding:4px 10px;border-bottom:1px solid #eee;vertical-align:top}
th{font-weight:600;color:#444}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
code{font-family:ui-monospace,'DejaVu Sans Mono',Menlo,Consolas,monospace;font-size:12.5px}
.steps{display:flex;flex-wrap:wrap;gap:4px;align-items:center}
.step{background:#eef4fa;border:1px solid #cfe0f0;border-radius:4px;padding:1px 6px}
.arrow{color:#888}
.per-class{flex:0 1 340px}
.per-class th,.per-class td{padding:3px 6px}
.per-class h3{margin-top:4px}
footer{color:#777;font-size:12px;text-align:center;margin-top:24px}
`;

function isTrainName(name: string): boolean {
  return name === "train" || name.endsWith("/train");
}

function splitName(key: string, metrics: SplitMetrics): string {
  return typeof metrics.split === "string" && metrics.split !== "" ? metrics.split : key;
}

function dateText(date: Date | string | undefined): string {
  const d = date === undefined ? new Date() : new Date(date);
  if (Number.isNaN(d.getTime())) return escapeXml(String(date));
  return `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

function labelsOf(results: RunResults): readonly string[] {
  const first = Object.values(results.splits)[0];
  return Array.isArray(first?.labels) && first.labels.length > 0 ? first.labels : LABELS;
}

function verdict(m: SplitMetrics): string {
  const chance = Math.max(m.chance.uniform, m.chance.majorityClass);
  const ratio = m.windowAccuracy / m.chance.uniform;
  if (!Number.isFinite(m.windowAccuracy)) return "No windows evaluated.";
  const present = (m.perClass ?? []).filter((c) => c.support > 0);
  if (present.length === 1) {
    return `Only one class (“${escapeXml(present[0].label)}”) in this split: accuracy is its recall, ` +
      `and chance levels say little.`;
  }
  if (m.windowAccuracy <= chance) {
    return `Windows are classified no better than chance: always answering “${
      escapeXml(m.chance.majorityClassLabel)
    }” would score ${fixed(m.chance.majorityClass)}.`;
  }
  if (m.windowAccuracy < chance + 0.1) return `Just above chance (${fixed(chance)}).`;
  return `${ratio.toFixed(1)}× the chance level of ${fixed(m.chance.uniform)}.`;
}

/** What a role means, as the title of its tag. */
const ROLE_TITLES: Record<SplitRole, string> = {
  train: "the model was fitted on these recordings",
  validation: "used to choose (best epoch, early stopping, search trials): not a test result",
  test: "never used to choose anything: a test result",
};

/** The tag of a split's role, e.g. `<span class="role role-test">test</span>`. */
function roleTag(role: SplitRole): string {
  return `<span class="role role-${role}" title="${escapeXml(ROLE_TITLES[role])}">${role}</span>`;
}

async function summaryCard(key: string, m: SplitMetrics, isTrain: boolean, role: SplitRole): Promise<string> {
  const correctRecordings = (m.perRecording ?? []).filter((r) => r.correct).length;
  const recordingsText = m.perRecording ? `${correctRecordings}/${m.recordings}` : `${m.recordings}`;
  const facts: [string, string][] = [
    ["macro-F1", fixed(m.macroF1)],
    ["balanced accuracy", fixed(m.balancedAccuracy)],
    ["recordings right (vote)", recordingsText],
    ["rec. accuracy (mean prob.)", fixed(m.recordingAccuracyMeanProb)],
    ["chance / majority class", `${fixed(m.chance?.uniform)} / ${fixed(m.chance?.majorityClass)}`],
  ];
  const gauge = await accuracyGauge(m.windowAccuracy, m.recordingAccuracy, {
    chance: m.chance?.uniform,
    majority: m.chance?.majorityClass,
    split: key,
  });
  return `<div class="card${isTrain ? " train" : ""}">
<h3>${escapeXml(splitName(key, m))}${roleTag(role)}${isTrain ? ` <span class="muted">(training data)</span>` : ""}</h3>
<div class="meta">${m.subjects ?? "?"} subject${
    m.subjects === 1 ? "" : "s"
  } · ${m.recordings} recordings · ${m.windows} windows</div>
<div class="bigs"><div class="big">${percent(m.windowAccuracy)}<small>window accuracy</small></div>` +
    `<div class="big">${percent(m.recordingAccuracy)}<small>recording accuracy</small></div></div>
${gauge}
<ul class="facts">${facts.map(([k, v]) => `<li><span>${escapeXml(k)}</span><b>${escapeXml(v)}</b></li>`).join("")}</ul>
<div class="verdict">${m.chance ? verdict(m) : ""}</div>
</div>`;
}

function gapSection(
  results: RunResults,
  trainKey: string | undefined,
  roles: Readonly<Record<string, SplitRole>>,
): string {
  const body: string[] = [];
  if (trainKey === undefined) {
    body.push(
      `<p class="muted">No training split was evaluated, so the gap between fitting and generalising cannot be shown. ` +
        `Evaluate the training data too (a split named “train”) to see it.</p>`,
    );
  } else {
    const train = results.splits[trainKey];
    const items = Object.entries(results.splits).filter(([key]) => key !== trainKey).map(([key, test]) => {
      const windows = trainTestGap(train, test);
      const recordings = trainTestGap(train, test, { level: "recording" });
      return `<li>${roleTag(roles[key])} ${escapeXml(windows.sentence)} <span class="note">(recordings: train ${
        fixed(recordings.trainAccuracy)
      } vs ${fixed(recordings.testAccuracy)}, gap ${fixed(recordings.gap)})</span></li>`;
    });
    body.push(
      items.length
        ? `<ul class="gaps">${items.join("")}</ul>
<p class="note">Window accuracy on the training data, measured after training. A large gap means the model
learned what is particular to its training data rather than what the brain states have in common.</p>`
        : `<p class="muted">Only the training split was evaluated.</p>`,
    );
  }
  return `<section id="gap"><h2>Train vs validation and test</h2>${body.join("")}</section>`;
}

/** What the roles of this run's splits mean, and where its validation came from. */
function rolesNote(results: RunResults, roles: Readonly<Record<string, SplitRole>>): string {
  const of = (role: SplitRole) => Object.keys(roles).filter((k) => roles[k] === role);
  const validation = of("validation"), test = of("test");
  const source = typeof results.validation === "string" ? ` Validation: ${escapeXml(results.validation)}.` : "";
  return `<p class="note">Roles: ${roleTag("validation")} ${
    validation.length ? escapeXml(validation.join(", ")) : "none"
  } chose the best epoch and early stopping, so its accuracy is not a test result; ${roleTag("test")} ${
    test.length ? escapeXml(test.join(", ")) : "none"
  } chose nothing.${source}</p>`;
}

/** The run's best epoch, else the first epoch of highest validation accuracy (the rule `fit()` uses). */
function bestEpochOf(results: RunResults, history: readonly LearningCurveEpoch[]): { epoch?: number; why: string } {
  if (typeof results.bestEpoch === "number") return { epoch: results.bestEpoch, why: "weights kept by the run" };
  const withVal = history.filter((e) => typeof e.valAccuracy === "number" && Number.isFinite(e.valAccuracy));
  if (withVal.length === 0) return { why: "" };
  const best = withVal.reduce((a, b) => ((b.valAccuracy as number) > (a.valAccuracy as number) ? b : a));
  return { epoch: best.epoch, why: "highest validation accuracy" };
}

async function learningSection(
  results: RunResults,
  history: readonly LearningCurveEpoch[] | undefined,
  chance: number,
): Promise<string> {
  if (!history || history.length === 0) {
    return `<section id="learning"><h2>Learning curves</h2>
<p class="muted">No per-epoch history (metrics.jsonl) was given for this run.</p></section>`;
  }
  const best = bestEpochOf(results, history);
  const options = { bestEpoch: best.epoch, stoppedEpoch: results.stoppedEpoch, chance };
  const seconds = history.map((e) => e.seconds).filter((s) => Number.isFinite(s));
  const rates = history.map((e) => e.learningRate).filter((r) => Number.isFinite(r));
  const notes: string[] = [`${history.length} epoch${history.length === 1 ? "" : "s"}`];
  if (seconds.length) {
    notes.push(`mean ${formatSeconds(seconds.reduce((a, b) => a + b, 0) / seconds.length)} per epoch`);
  }
  if (rates.length) {
    const first = rates[0], last = rates[rates.length - 1];
    notes.push(first === last ? `learning rate ${first}` : `learning rate ${first} → ${last}`);
  }
  if (best.epoch !== undefined) notes.push(`best epoch ${best.epoch} (${best.why})`);
  if (results.stoppedEpoch !== undefined) notes.push(`early stopping after epoch ${results.stoppedEpoch}`);
  const hasValidation = history.some((e) => typeof e.valLoss === "number" || typeof e.valAccuracy === "number");
  const loss = await learningCurvePlot(history, "loss", options);
  const accuracy = await learningCurvePlot(history, "accuracy", options);
  return `<section id="learning"><h2>Learning curves</h2>
<div class="plots">${loss}${accuracy}</div>
<p class="note">${escapeXml(notes.join(" · "))}.${
    hasValidation
      ? " Training values are averaged over each epoch (with dropout active); validation values are measured after it." +
        " Validation loss rising while training loss falls is overfitting."
      : " No validation split was used, so these curves show fitting only, not generalisation."
  }</p></section>`;
}

function perClassTable(m: SplitMetrics): string {
  if (!Array.isArray(m.perClass)) return "";
  const rows = m.perClass.map((c) =>
    `<tr><td>${escapeXml(c.label)}</td><td class="num">${c.support}</td><td class="num">${c.predicted}</td>` +
    `<td class="num">${fixed(c.precision)}</td><td class="num">${fixed(c.recall)}</td><td class="num">${
      fixed(c.f1)
    }</td></tr>`
  ).join("");
  return `<table><thead><tr><th>class</th><th class="num">true</th><th class="num">predicted</th>` +
    `<th class="num">precision</th><th class="num">recall</th><th class="num">F1</th></tr></thead><tbody>${rows}</tbody></table>` +
    `<p class="note">– = undefined (0/0): a class never predicted has no precision; a class without windows has no recall.</p>`;
}

async function splitSection(
  key: string,
  m: SplitMetrics,
  labels: readonly string[],
  role: SplitRole,
): Promise<string> {
  const name = splitName(key, m);
  const plots: string[] = [];
  if (Array.isArray(m.confusion)) {
    plots.push(
      await confusionPlot(m.confusion, labels, { title: "Windows: true vs predicted", unit: "windows", split: key }),
    );
  }
  if (Array.isArray(m.recordingConfusion)) {
    plots.push(
      await confusionPlot(m.recordingConfusion, labels, {
        title: "Recordings: true vs majority vote",
        unit: "recordings",
        split: key,
      }),
    );
  }
  const chance = m.chance?.uniform;
  const more: string[] = [];
  if (Array.isArray(m.perSubject)) more.push(await subjectAccuracyPlot(m.perSubject, { chance, split: key }));
  if (Array.isArray(m.perRecording)) {
    more.push(await recordingAccuracyPlot(m.perRecording, labels, { chance, split: key }));
  }
  const tied = (m.perRecording ?? []).filter((r) => r.voteTied).length;
  return `<section class="split" id="split-${escapeXml(key.replace(/[^A-Za-z0-9_-]/g, "-"))}">
<h2>${escapeXml(name)}${roleTag(role)}</h2>
<div class="plots">${plots.join("")}</div>
<div class="plots">${more.join("")}<div class="per-class"><h3>Per class (windows)</h3>${perClassTable(m)}</div></div>
<p class="note">A recording is classified by majority vote over its windows${
    tied ? ` (${tied} tied vote${tied === 1 ? "" : "s"} decided by the highest mean probability)` : ""
  }. Hover over a dot or cell for details.</p>
</section>`;
}

function scalar(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  return JSON.stringify(value) ?? String(value);
}

function stepName(value: unknown): string | undefined {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  for (const key of ["name", "op", "step", "type", "kind"]) {
    if (typeof record[key] === "string") return key;
  }
  return undefined;
}

function stepsHtml(steps: readonly Record<string, unknown>[]): string {
  return `<div class="steps">${
    steps.map((step) => {
      const nameKey = stepName(step) as string;
      const params = Object.entries(step).filter(([k]) => k !== nameKey).map(([k, v]) => `${k}=${scalar(v)}`);
      return `<code class="step">${
        escapeXml(`${step[nameKey]}${params.length ? `(${params.join(", ")})` : ""}`)
      }</code>`;
    }).join('<span class="arrow">→</span>')
  }</div>`;
}

/** Flattens a config into rows of dotted keys and HTML values; arrays of named steps become a chain. */
function configRows(value: unknown, prefix: string, out: [string, string][]): [string, string][] {
  if (Array.isArray(value)) {
    if (value.length > 0 && value.every((v) => stepName(v) !== undefined)) {
      out.push([prefix, stepsHtml(value as Record<string, unknown>[])]);
    } else if (value.every((v) => v === null || typeof v !== "object")) {
      out.push([prefix, `<code>${escapeXml(`[${value.map(scalar).join(", ")}]`)}</code>`]);
    } else {
      value.forEach((v, i) => configRows(v, `${prefix}[${i}]`, out));
    }
  } else if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) out.push([prefix, "<code>{}</code>"]);
    for (const [k, v] of entries) configRows(v, prefix ? `${prefix}.${k}` : k, out);
  } else {
    out.push([prefix, `<code>${escapeXml(scalar(value))}</code>`]);
  }
  return out;
}

function configSection(config: Readonly<Record<string, unknown>> | undefined): string {
  if (config === undefined || config === null || Object.keys(config).length === 0) {
    return `<section id="config"><h2>Configuration</h2><p class="muted">No configuration was given.</p></section>`;
  }
  const rows = configRows(config, "", []).map(([k, v]) => `<tr><th>${escapeXml(k)}</th><td>${v}</td></tr>`).join("");
  return `<section id="config"><h2>Configuration</h2>
<p class="note">Everything needed to repeat this run (config.json). Preprocessing steps run left to right.</p>
<table class="config"><tbody>${rows}</tbody></table></section>`;
}

async function timingSection(results: RunResults): Promise<string> {
  const facts: [string, string][] = [];
  const number = (
    x: unknown,
    digits: number,
  ) => (typeof x === "number" && Number.isFinite(x) ? x.toFixed(digits) : "–");
  facts.push(["training throughput", `${number(results.trainWindowsPerSecond, 1)} windows/s`]);
  if (results.evaluateWindowsPerSecond !== undefined) {
    facts.push(["evaluation throughput", `${number(results.evaluateWindowsPerSecond, 1)} windows/s`]);
  }
  facts.push(["peak memory (RSS)", `${number(results.peakRssMB, 0)} MB`]);
  facts.push(["backend", results.backend]);
  const seconds = results.seconds ?? {};
  for (const [stage, s] of Object.entries(seconds)) facts.push([`${stage} time`, formatSeconds(s)]);
  const table = `<table><tbody>${
    facts.map(([k, v]) => `<tr><th>${escapeXml(k)}</th><td class="num">${escapeXml(v)}</td></tr>`).join("")
  }</tbody></table>`;
  return `<section id="timings"><h2>Timings and throughput</h2>
<div class="plots">${await timingPlot(seconds)}${table}</div></section>`;
}

/**
 * Renders the report of a run as one self-contained HTML document: title,
 * a summary card per split (window and recording accuracy against chance),
 * the train-vs-test gap in words, learning curves with the best and
 * early-stopping epochs, per split a confusion heatmap for windows and for
 * recordings, accuracy per subject and per recording, the configuration and
 * the timings. Every plot is an inline `<svg data-plot="...">` drawn from a
 * Vega-Lite spec, which follows it in a closed `<details>` as JSON; all text
 * is escaped; the page has no scripts and loads nothing. Missing pieces (no
 * history, no validation, no training split, no config) are said, not hidden.
 *
 * @param input Parsed `results.json`, `metrics.jsonl` and `config.json`.
 * @param options Training split, date and heading.
 * @returns The HTML text.
 * @throws {TypeError} `results` without a `splits` object (the promise rejects).
 *
 * @example
 * ```ts
 * import { evaluatePredictions } from "../evaluation/metrics.ts";
 * import { renderReport } from "./report.ts";
 * import { assert, assertStringIncludes } from "@std/assert";
 *
 * const splits = evaluatePredictions([0, 1, 2, 3].map((label) => ({
 *   split: "Cross/test1", subject: "7", recording: `r${label}.h5`, startSample: 0, label, predicted: label,
 *   probs: [0, 1, 2, 3].map((k) => (k === label ? 0.7 : 0.1)),
 * })));
 * const html = await renderReport({
 *   results: {
 *     task: "cross", model: "cnn", backend: "wasm", splits, seconds: { ingest: 1, train: 2, evaluate: 1 },
 *     trainWindowsPerSecond: 50, peakRssMB: 300,
 *   },
 * }, { date: "2025-01-02T03:04:00Z" });
 * assertStringIncludes(html, "cross · cnn · wasm");
 * assert(!html.includes("<script"));
 * ```
 */
export async function renderReport(input: ReportInput, options: RenderReportOptions = {}): Promise<string> {
  const results = input?.results;
  if (
    results === null || typeof results !== "object" || results.splits === null || typeof results.splits !== "object"
  ) {
    throw new TypeError(`Cannot render report: expected results with a splits object, got ${typeof results?.splits}`);
  }
  const labels = labelsOf(results);
  const keys = Object.keys(results.splits);
  const trainKey = options.trainSplit ??
    keys.find((k) => isTrainName(k) || isTrainName(splitName(k, results.splits[k])));
  if (trainKey !== undefined && !(trainKey in results.splits)) {
    throw new RangeError(
      `Cannot render report: train split "${trainKey}" is not among the splits [${keys.join(", ")}]`,
    );
  }
  const ordered = [...keys.filter((k) => k !== trainKey), ...(trainKey === undefined ? [] : [trainKey])];
  const config = input.config as { validationSplits?: string[] } | undefined;
  const roles = Object.fromEntries(
    keys.map((k) => [k, k === trainKey ? "train" : roleOfSplit(k, results.splits[k].role, config)]),
  ) as Record<string, SplitRole>;
  const chance = 1 / labels.length;
  const headline = `${results.task} · ${results.model} · ${results.backend}`;
  const cards = ordered.length
    ? `<div class="cards">${
      (await Promise.all(ordered.map((k) => summaryCard(k, results.splits[k], k === trainKey, roles[k])))).join("")
    }</div>`
    : `<p class="muted">No split was evaluated.</p>`;
  const splits = await Promise.all(ordered.map((k) => splitSection(k, results.splits[k], labels, roles[k])));
  const total = Object.values(results.seconds ?? {}).filter((s) => Number.isFinite(s)).reduce((a, b) => a + b, 0);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeXml(`${headline} — ${options.title ?? "megflow run report"}`)}</title>
<style>${CSS}${CHART_CSS}</style>
</head>
<body>
<main>
<header>
<div class="kicker">${escapeXml(options.title ?? "megflow run report")}</div>
<h1>${escapeXml(headline)}</h1>
<div class="sub">${dateText(options.date ?? results.startedAt)} · classes: ${
    escapeXml(labels.join(", "))
  } · total time ${escapeXml(formatSeconds(total))}</div>
</header>
<section id="summary"><h2>Summary</h2>${cards}
<p class="note">Window accuracy: share of windows classified correctly. Recording accuracy: share of recordings whose
windows, by majority vote, name the right class. Chance is 1/${labels.length} = ${fixed(chance)} for
${labels.length} balanced classes; “majority class” is what always answering the most frequent class would score.</p>
${rolesNote(results, roles)}
</section>
${gapSection(results, trainKey, roles)}
${await learningSection(results, input.history, chance)}
${splits.join("\n")}
${input.inside ? insideModelSection(input.inside) : ""}
${configSection(input.config)}
${await timingSection(results)}
<footer>Made by megflow from ${
    escapeXml(
      ["results.json", input.history?.length ? "metrics.jsonl" : "", input.config ? "config.json" : ""]
        .filter((f) => f !== "").join(", "),
    )
  } of this run folder.</footer>
</main>
</body>
</html>
`;
}
