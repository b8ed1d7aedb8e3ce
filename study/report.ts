/**
 * The study report `study.html`: one self-contained page (inline CSS and
 * SVG drawn from Vega-Lite specs, no scripts) answering (b) intra vs cross accuracy per model, (c) the
 * chosen hyper-parameters and their influence, (d) the train/test gap, its
 * likely cause, and the improvements for unseen subjects against the baseline.
 *
 * @module
 */
import { escapeXml, fixed } from "../reports/_svg.ts";
import { CHART_CSS } from "../reports/render_vega_lite.ts";
import { trialScore } from "../tune/best_trial.ts";
import { influencePlot } from "../tune/influence_plot.ts";
import { paramKind } from "../tune/search_space.ts";
import { accuracyBarsPlot } from "./accuracy_bars_plot.ts";
import type { Study } from "./run_study.ts";
import type { SearchSummary } from "./search_summary.ts";
import { roleOfSplit, type SplitRole } from "../training/validation_plan.ts";
import { formatStat, type GroupSummary, isEnsembleId, type Stat, testsLabel } from "./summarise_study.ts";

const CSS = `
*{box-sizing:border-box}
body{margin:0;background:#f4f5f7;color:#222;font:15px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',Arial,sans-serif}
main{max-width:1200px;margin:0 auto;padding:24px 20px 48px}
h1{font-size:26px;margin:2px 0 4px}
h2{font-size:19px;margin:0 0 12px}
h3{font-size:15px;margin:14px 0 6px;color:#444}
.sub{color:#555;font-size:14px}
section{background:#fff;border-radius:10px;box-shadow:0 1px 3px rgba(0,0,0,.08);padding:18px 20px;margin:16px 0}
.plots{display:flex;flex-wrap:wrap;gap:18px 24px}
svg.plot{max-width:100%;height:auto;display:block}
table{border-collapse:collapse;font-size:13px;margin:4px 0}
th,td{text-align:left;padding:4px 9px;border-bottom:1px solid #eee;vertical-align:top}
th{font-weight:600;color:#444}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
td.num{white-space:nowrap}
.note{color:#555;font-size:13px;margin:8px 0 0}
.muted{color:#777;font-style:italic}
code{font-family:ui-monospace,'DejaVu Sans Mono',Menlo,Consolas,monospace;font-size:12.5px}
ul.conclusions li{margin:4px 0}
.up{color:#00795a}.down{color:#b0413e}
.scroll{overflow-x:auto}
`;

/** "30 training runs" and, if any, "1 ensemble". */
export function runCounts(study: Study): string {
  const ensembles = study.summary.runs.filter((r) => isEnsembleId(r.id)).length;
  const training = study.summary.runs.length - ensembles;
  return `${training} training runs` + (ensembles ? ` and ${ensembles} ensemble${ensembles > 1 ? "s" : ""}` : "");
}

/** Escapes text for HTML and shows its `backtick` spans as code. */
function prose(text: string): string {
  return escapeXml(text).replace(/`([^`]+)`/g, "<code>$1</code>");
}

/** Mean ± sd of a table cell; an en dash for no finite mean. */
function pm(s: Stat | undefined): string {
  if (!s || s.n === 0 || !Number.isFinite(s.mean)) return "–";
  return formatStat(s);
}

/** A signed difference ± sd, coloured by its direction; an en dash for no finite mean. */
function signed(s: Stat | undefined): string {
  if (!s || s.n === 0 || !Number.isFinite(s.mean)) return "–";
  const cls = s.mean > 0 ? "up" : s.mean < 0 ? "down" : "";
  return `<span class="${cls}">${formatStat(s, { signed: true })}</span>`;
}

function settingsLine(study: Study): string {
  const s = study.settings;
  if (s.recipes) {
    return `${s.models.join(", ")} · seeds ${s.seeds.join(", ")} · every model with its own recipe ` +
      `(the settings of train-cross / train-intra --model M; training/model_recipes.ts) · ${
        s.maxSamples === null ? "whole recordings" : `first ${s.maxSamples} samples`
      }`;
  }
  return `${s.models.join(", ")} · seeds ${
    s.seeds.join(", ")
  } · ${s.epochs} epochs · batch ${s.batchSize} · lr ${s.learningRate} · ` +
    `${s.windowSeconds} s windows every ${s.strideSeconds} s (intra-subject every ${
      s.intraStrideSeconds ?? s.strideSeconds
    } s) · ${s.maxSamples === null ? "whole recordings" : `first ${s.maxSamples} samples`}`;
}

async function partB(study: Study): Promise<string> {
  const groups = study.summary.groups.filter((g) => g.variant === "baseline");
  const models = [...new Set(groups.map((g) => g.model))].filter((m) => study.settings.models.includes(m));
  const find = (task: string, model: string) => groups.find((g) => g.task === task && g.model === model);
  const rows = models.map((model) => {
    const intra = find("intra", model), cross = find("cross", model);
    return `<tr><td>${escapeXml(model)}</td>` +
      `<td class="num">${pm(intra?.test.window)}</td><td class="num">${pm(intra?.test.recording)}</td>` +
      `<td class="num">${pm(cross?.test.window)}</td><td class="num">${pm(cross?.test.recording)}</td>` +
      `<td class="num">${pm(cross?.meanTests?.window)}</td><td class="num">${pm(cross?.meanTests?.recording)}</td>` +
      `<td class="num">${intra?.seeds.length ?? 0} / ${cross?.seeds.length ?? 0}</td></tr>`;
  }).join("");
  const crossGroups = groups.filter((g) => g.task === "cross");
  const meanLabel = testsLabel(crossGroups[0]?.meanOf ?? ["test1", "test2", "test3"]);
  const roleOf = (k: string) =>
    crossGroups.map((g) => g.roles?.[k]).find((r) => r !== undefined && r !== "test") ?? "test";
  const perSplit = models.map((model) => {
    const cross = find("cross", model);
    const cells = ["test1", "test2", "test3"].map((k) =>
      `<td class="num">${pm(cross?.splits[k]?.window)}</td><td class="num">${pm(cross?.splits[k]?.recording)}</td>`
    ).join("");
    return `<tr><td>${escapeXml(model)}</td>${cells}</tr>`;
  }).join("");
  const bars = (level: "window" | "recording") =>
    accuracyBarsPlot(
      models.map((model) => ({
        label: model,
        bars: [
          { label: "intra (test)", stat: find("intra", model)?.test[level] ?? emptyStat() },
          { label: "cross (test3)", stat: find("cross", model)?.test[level] ?? emptyStat() },
          {
            label: `cross (${meanLabel.split(" (")[0]})`,
            stat: find("cross", model)?.meanTests?.[level] ?? emptyStat(),
          },
        ],
      })),
      { title: `Accuracy per ${level}`, yLabel: `${level} accuracy`, reference: 0.25 },
    );
  return `<section id="b"><h2>(b) Intra- vs cross-subject accuracy</h2>
<table><thead><tr><th rowspan="2">model</th><th colspan="2">intra: Intra/test (test)</th><th colspan="2">cross: test3 (test)</th>
<th colspan="2">cross: ${escapeXml(meanLabel)}</th><th rowspan="2" class="num">seeds<br>intra / cross</th></tr>
<tr><th class="num">window</th><th class="num">recording</th><th class="num">window</th><th class="num">recording</th><th class="num">window</th><th class="num">recording</th></tr></thead>
<tbody>${rows}</tbody></table>
<p class="note">Mean ± sample standard deviation over seeds. ${escapeXml(validationNote(study, roleOf))}</p>
<div class="plots">${await bars("window")}${await bars("recording")}</div>
<h3>Cross-subject accuracy per test subject</h3>
<table><thead><tr><th>model</th><th colspan="2">test1 (${
    roleOf("test1")
  }; window / recording)</th><th colspan="2">test2 (${roleOf("test2")})</th><th colspan="2">test3 (${
    roleOf("test3")
  })</th></tr></thead><tbody>${perSplit}</tbody></table>
</section>`;
}

/** What chose the best epochs of the study's runs, and which cross-subject folders are tests. */
function validationNote(study: Study, roleOf: (key: string) => string): string {
  const validated = ["test1", "test2", "test3"].filter((k) => roleOf(k) === "validation");
  const cross = study.settings.validation ?? "holdout";
  const how = cross === "holdout"
    ? "held-out chunks of the training subjects"
    : cross.startsWith("loso")
    ? "a left-out training subject"
    : `the folders ${cross}`;
  return `Early stopping and the best epoch were chosen on validation data: intra-subject runs on chunks held out ` +
    `of Intra/train, cross-subject runs on ${how}. ` +
    (validated.length === 0
      ? "test1, test2 and test3 chose nothing: all three are test splits, and their mean is the headline."
      : `${validated.join(" and ")} chose (role validation), so they are not test numbers and are left out of the ` +
        `test mean.`);
}

function emptyStat(): Stat {
  return { mean: NaN, sd: null, n: 0, values: [] };
}

async function searchBlock(task: string, search: SearchSummary | undefined, studyOut: string): Promise<string> {
  if (!search) return `<h3>${task}-subject</h3><p class="muted">Not searched.</p>`;
  const chosen = search.chosen
    ? Object.entries(search.chosen).map(([k, v]) =>
      `<tr><td><code>${escapeXml(k)}</code></td><td>${
        escapeXml(typeof v === "string" ? v : JSON.stringify(v))
      }</td></tr>`
    ).join("")
    : `<tr><td colspan="2" class="muted">no trial finished</td></tr>`;
  const final = search.final
    ? Object.entries(search.final).map(([k, m]) =>
      `<tr><td>${escapeXml(k)} (${
        roleOfSplit(k, (m as { role?: SplitRole }).role, search.settings.base)
      })</td><td class="num">${fixed(m.windowAccuracy)}</td><td class="num">${fixed(m.recordingAccuracy)}</td></tr>`
    ).join("")
    : `<tr><td colspan="3" class="muted">not retrained</td></tr>`;
  const influence = search.influence.map((i) =>
    `<tr><td><code>${escapeXml(i.param)}</code></td><td>${
      i.measure === "spearman" ? "Spearman ρ" : "spread of means"
    }</td>` +
    `<td class="num">${fixed(i.value)}</td><td>${escapeXml(i.detail)}</td></tr>`
  ).join("");
  const done = search.rows.filter((r) => r.status === "done");
  const plots = (await Promise.all(
    Object.entries(search.settings.space).map(([name, spec]) =>
      influencePlot(
        name,
        done.map((r) => ({
          value: name === "epochs" ? r.epochs : r.values[name],
          score: trialScore(r, "window")[0],
          trial: r.trial,
          stage: r.stage,
          best: r.trial === search.bestTrial,
        })),
        {
          kind: paramKind(spec),
          categories: paramKind(spec) === "choice" ? (spec as { choice: unknown[] }).choice : undefined,
          chance: 0.25,
          width: 270,
          height: 160,
        },
      )
    ),
  )).join("");
  const link = search.dir.startsWith(studyOut)
    ? `${search.dir.slice(studyOut.length).replace(/^\/+/, "")}/search.html`
    : `${search.dir}/search.html`;
  return `<h3>${task}-subject: ${escapeXml(search.settings.strategy)} search of ${
    escapeXml(search.settings.base.model)
  },
${search.trials.done}/${search.trials.planned} trials, ${search.settings.base.epochs} epochs each (<a href="${
    escapeXml(link)
  }">search report</a>)</h3>
<div class="plots"><div><table><thead><tr><th>chosen</th><th>value</th></tr></thead><tbody>${chosen}</tbody></table>
<p class="note">validation: ${fixed(search.validation?.window ?? null)} per window, ${
    fixed(search.validation?.recording ?? null)
  } per recording</p></div>
<div><table><thead><tr><th>retrained best</th><th class="num">window</th><th class="num">recording</th></tr></thead><tbody>${final}</tbody></table></div>
<div><table><thead><tr><th>parameter</th><th>influence</th><th class="num">value</th><th>detail</th></tr></thead><tbody>${influence}</tbody></table></div></div>
<div class="plots">${plots}</div>`;
}

async function partC(study: Study, out: string): Promise<string> {
  return `<section id="c"><h2>(c) Hyper-parameters and their influence</h2>
${await searchBlock("cross", study.searches.cross, out)}
${await searchBlock("intra", study.searches.intra, out)}
<p class="note">Trials rank by validation accuracy only (the validation of each search's settings: held-out chunks of
the training subjects unless the study was given another <code>--validation</code>); the test splits are evaluated once,
on the retrained best configuration. Influence:
Spearman's rank correlation with validation window accuracy for numeric parameters, the spread of the mean accuracy
per value for choices; with few trials, hints rather than tests. The runs of parts b and d use the study's fixed
settings, not the searched ones, so that all comparisons share them.</p></section>`;
}

async function partD(study: Study): Promise<string> {
  const gaps = study.summary.gaps.map((g) =>
    `<tr><td>${escapeXml(g.model)}</td><td class="num">${pm(g.intra)}</td><td class="num">${pm(g.cross)}</td><td>${
      escapeXml(g.cause)
    }</td></tr>`
  ).join("");
  const sentences = study.summary.runs.filter((r) => r.variant === "baseline" && r.gap).map((r) =>
    `<li><code>${escapeXml(r.id)}</code>: ${escapeXml(r.gap!.sentence)}</li>`
  ).join("");
  const imps = study.summary.improvements;
  const rows = imps.map((i) =>
    `<tr><td><b>${escapeXml(i.variant)}</b><br><span class="note">${prose(i.description)}</span></td>` +
    `<td class="num">${signed(i.diffTest.window)}</td><td class="num">${signed(i.diffTest.recording)}</td>` +
    `<td class="num">${signed(i.diffMeanTests.window)}</td><td class="num">${signed(i.diffMeanTests.recording)}</td>` +
    `<td class="num">${i.betterSeeds} / ${i.seeds.length}</td><td class="num">${signed(i.diffGap)}</td></tr>`
  ).join("");
  const model = imps[0]?.model ?? study.settings.improvementModel;
  const group = (variant: string): GroupSummary | undefined =>
    study.summary.groups.find((g) => g.task === "cross" && g.model === model && g.variant === variant);
  const variants = ["baseline", ...imps.map((i) => i.variant)];
  const tests = testsLabel(group("baseline")?.meanOf ?? ["test1", "test2", "test3"]).split(" (")[0].replace(
    " mean",
    "",
  );
  const absolute = await accuracyBarsPlot(
    variants.map((v) => ({
      label: v,
      bars: [
        { label: `${tests} window`, stat: group(v)?.meanTests?.window ?? emptyStat() },
        { label: `${tests} recording`, stat: group(v)?.meanTests?.recording ?? emptyStat() },
      ],
    })),
    { title: `Cross-subject accuracy of ${model}`, reference: 0.25 },
  );
  const differences = imps.length === 0 ? "" : await accuracyBarsPlot(
    imps.map((i) => ({
      label: i.variant,
      bars: [
        { label: "Δ window", stat: i.diffMeanTests.window },
        { label: "Δ recording", stat: i.diffMeanTests.recording },
      ],
    })),
    {
      title: `Improvement − baseline (same seeds), ${tests}`,
      yLabel: "accuracy difference",
      differences: true,
      reference: 0,
    },
  );
  const rationale = imps.map((i) => `<li><b>${escapeXml(i.variant)}</b>: ${prose(i.rationale)}</li>`).join("");
  return `<section id="d"><h2>(d) Train/test gap and improvements for unseen subjects</h2>
<table><thead><tr><th>model</th><th class="num">gap intra<br>(train − test)</th><th class="num">gap cross<br>(train − test3)</th><th>likely cause</th></tr></thead>
<tbody>${gaps}</tbody></table>
<p class="note">Window accuracy of the kept model on its own training recordings minus that on the test split, mean ± sd over seeds.</p>
<details><summary>Per run (pipeline/metrics.ts trainTestGap)</summary><ul>${sentences}</ul></details>
<h3>Improvements, measured against the baseline with the same seeds (${escapeXml(model)}, cross-subject)</h3>
<div class="scroll"><table><thead><tr><th>improvement</th><th class="num">Δ test3<br>window</th><th class="num">Δ test3<br>recording</th>
<th class="num">Δ ${escapeXml(tests)}<br>window</th><th class="num">Δ ${
    escapeXml(tests)
  }<br>recording</th><th class="num">better<br>seeds</th><th class="num">Δ gap</th></tr></thead>
<tbody>${rows || `<tr><td colspan="7" class="muted">no improvement measured</td></tr>`}</tbody></table></div>
<p class="note">Δ = improvement − baseline per seed, then mean ± sd over seeds, on test splits only (never on a split
that chose the best epoch); "better seeds" counts seeds where the ${
    escapeXml(tests)
  } window accuracy went up. An ensemble is one model made of the baseline runs of all seeds: its Δ is the
ensemble minus each member, and its bar above has no spread. Why each should help:</p><ul>${rationale}</ul>
<div class="plots">${absolute}${differences}</div></section>`;
}

function runsSection(study: Study): string {
  const rows = study.summary.runs.map((r) => {
    const split = (k: string) =>
      r.splits[k]
        ? `${fixed(r.splits[k].windowAccuracy)} / ${fixed(r.splits[k].recordingAccuracy)}${
          r.splits[k].role === "validation" ? " (validation)" : ""
        }`
        : "–";
    return `<tr><td><code>${escapeXml(r.id)}</code></td><td>${r.task}</td><td>${escapeXml(r.model)}</td><td>${
      escapeXml(r.variant)
    }</td>` +
      `<td class="num">${isEnsembleId(r.id) ? "all" : r.seed}</td><td class="num">${
        split("train")
      }</td><td class="num">${r.task === "intra" ? split("test") : split("test1")}</td>` +
      `<td class="num">${r.task === "intra" ? "" : split("test2")}</td><td class="num">${
        r.task === "intra" ? "" : split("test3")
      }</td>` +
      `<td class="num">${r.bestEpoch ?? "–"}</td><td class="num">${fixed(r.seconds ?? null, 0)}</td><td>${r.status}${
        r.error ? `: ${escapeXml(r.error.split("\n")[0])}` : ""
      }</td></tr>`;
  }).join("");
  return `<section id="runs"><h2>Every run</h2><div class="scroll"><table><thead><tr><th>run folder (trials/; ensembles: ensembles/)</th><th>task</th><th>model</th><th>variant</th>
<th class="num">seed</th><th class="num">train</th><th class="num">test / test1</th><th class="num">test2</th><th class="num">test3</th>
<th class="num">best epoch</th><th class="num">s</th><th>status</th></tr></thead><tbody>${rows}</tbody></table></div>
<p class="note">Accuracies as window / recording; “(validation)” marks a folder that chose the run's best epoch (not a
test number). The ensemble is one folder made of every seed's baseline run.</p></section>`;
}

/**
 * Renders `study.html`.
 *
 * @param study The content of `study.json`.
 * @param out The study folder (to link the search reports relatively). Default: none (absolute links).
 * @returns The HTML page.
 */
export async function renderStudyReport(study: Study, out = ""): Promise<string> {
  const conclusions = study.summary.conclusions.map((c) => `<li>${escapeXml(c)}</li>`).join("");
  const minutes = (study.seconds.total / 60).toFixed(1);
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>megflow study</title><style>${CSS}${CHART_CSS}</style></head><body><main>
<header><h1>megflow study: intra vs cross, hyper-parameters, unseen subjects</h1>
<div class="sub">${escapeXml(settingsLine(study))}</div>
<div class="sub">data ${escapeXml(study.settings.data)} · ${runCounts(study)} · this invocation
${minutes} min (runs ${(study.seconds.runs / 60).toFixed(1)}, searches ${
    (study.seconds.searches / 60).toFixed(1)
  }; reused runs cost nothing) · all invocations: runs ${(study.seconds.runsSum / 60).toFixed(1)} min, search trials ${
    (study.seconds.searchTrialsSum / 60).toFixed(1)
  } min of training, summed over workers · started ${
    escapeXml(study.startedAt.slice(0, 16).replace("T", " "))
  } UTC</div></header>
<section id="summary"><h2>In short</h2><ul class="conclusions">${conclusions}</ul>
<p class="note">On megflow's generated data the numbers show that the pipeline and the methods work; they say nothing
about real brains. Alignment and subject-wise z-scoring of a test subject use that subject's own unlabelled test
recordings (transductive adaptation).</p></section>
${await partB(study)}
${await partC(study, out)}
${await partD(study)}
${runsSection(study)}
</main></body></html>
`;
}
