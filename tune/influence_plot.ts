/**
 * Influence of one hyper-parameter on validation accuracy: a scatter plot for
 * numeric parameters (log x axis for log-uniform ones), a strip plot for
 * choices, one dot per finished trial, coloured by stage, the best trial
 * ringed. Declared as a Vega-Lite spec ({@linkcode influenceSpec}) and
 * rendered to SVG ({@linkcode influencePlot}).
 *
 * @module
 */
import { emptyNote, fixed, INK, niceTicks, OKABE_ITO } from "../reports/_svg.ts";
import { renderChart, type VegaLiteSpec } from "../reports/render_vega_lite.ts";
import { hashSeed } from "../core/random.ts";
import type { ParamKind } from "./search_space.ts";

/** One trial in an influence plot. */
export interface InfluencePoint {
  /** The parameter's value in this trial. */
  value: unknown;
  /** Validation accuracy of the trial. */
  score: number;
  /** Trial id (tooltip, jitter). */
  trial: string;
  /** Stage of the trial (colour). Default: 0. */
  stage?: number;
  /** Whether this is the chosen trial. Default: false. */
  best?: boolean;
}

/** Options of {@linkcode influencePlot}. */
export interface InfluencePlotOptions {
  /** How the parameter was searched: choices give a strip plot, ranges a scatter plot. */
  kind: ParamKind;
  /** The choices in their order (strip plot categories). Default: the values seen, in order. */
  categories?: readonly unknown[];
  /** Label of the y axis. Default: "validation accuracy". */
  yLabel?: string;
  /** Legend text of each stage. Default: none (no legend when there is one stage). */
  stageLabels?: readonly string[];
  /** Chance level, drawn dashed when inside the y range. Default: none. */
  chance?: number;
  /** Width of the plot area in pixels. Default: 320. */
  width?: number;
  /** Height of the plot area in pixels. Default: 190. */
  height?: number;
}

const STAGE_COLOURS = [OKABE_ITO.skyBlue, OKABE_ITO.orange, OKABE_ITO.green, OKABE_ITO.purple, OKABE_ITO.blue];
const BEST = OKABE_ITO.vermillion;

function label(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value) ?? String(value);
}

function logTicks(low: number, high: number): number[] {
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(low)); e <= Math.ceil(Math.log10(high)); e++) {
    for (const m of [1, 2, 5]) {
      const t = Number((m * 10 ** e).toPrecision(3));
      if (t >= low / 1.0001 && t <= high * 1.0001) ticks.push(t);
    }
  }
  return ticks.length >= 2 ? ticks : [low, high];
}

/** The x encoding of a strip plot: one band per choice, dots jittered sideways by their trial id. */
function choiceX(name: string, points: readonly InfluencePoint[], options: InfluencePlotOptions, width: number) {
  const categories = [...(options.categories ?? [])].map(label);
  for (const p of points) if (!categories.includes(label(p.value))) categories.push(label(p.value));
  const band = width / Math.max(1, categories.length);
  const x = {
    field: "x",
    type: "nominal",
    sort: categories,
    scale: { domain: categories, paddingInner: 0, paddingOuter: 0 },
    axis: {
      title: `${name} (choice, jittered sideways)`,
      labelAngle: 0,
      labelColor: INK,
      labelExpr: "length(datum.label) > 14 ? slice(datum.label, 0, 13) + '…' : datum.label",
    },
  };
  const xOffset = { field: "jitter", type: "quantitative", scale: { domain: [-band / 2, band / 2] } };
  const place = (p: InfluencePoint) => ({
    x: label(p.value),
    jitter: ((hashSeed(p.trial, name) % 1000) / 1000 - 0.5) * Math.min(band * 0.5, 40),
  });
  return { encoding: { x, xOffset }, place };
}

/** The x encoding of a scatter plot: linear, or log for log-uniform positive values, with round ticks. */
function numericX(name: string, points: readonly InfluencePoint[], kind: ParamKind) {
  const values = points.map((p) => Number(p.value)).filter((v) => Number.isFinite(v));
  const log = kind === "logUniform" && values.length > 0 && values.every((v) => v > 0);
  const low = values.length ? Math.min(...values) : 0, high = values.length ? Math.max(...values) : 1;
  const ticks = log ? logTicks(low, high) : niceTicks(low, high, 4);
  const note = log ? "log scale" : kind === "int" ? "integer" : "linear scale";
  const x = {
    field: "x",
    type: "quantitative",
    scale: {
      type: log ? "log" : "linear",
      domain: [Math.min(low, ticks[0]), Math.max(high, ticks[ticks.length - 1])],
      nice: false,
      ...(log ? {} : { zero: false }),
      padding: 12,
    },
    axis: {
      title: `${name} (${note})`,
      values: ticks,
      tickCount: ticks.length,
      grid: true,
      labelExpr: "abs(datum.value) >= 1e4 || (datum.value != 0 && abs(datum.value) < 1e-3)" +
        " ? format(datum.value, '.0e') : format(datum.value, '.3~r')",
    },
  };
  return { encoding: { x }, place: (p: InfluencePoint) => ({ x: Number(p.value) }) };
}

/** The dots of the trials and, on top, the best trial ringed, with a legend entry "best". */
function dotLayers(encoding: Record<string, unknown>): VegaLiteSpec[] {
  return [
    {
      transform: [{ filter: "!datum.best" }],
      mark: { type: "point", filled: true, size: 81, opacity: 0.85, stroke: "#ffffff", strokeWidth: 1 },
      encoding,
    },
    {
      name: "best",
      transform: [{ filter: "datum.best" }],
      mark: { type: "point", filled: true, size: 196, opacity: 1, strokeWidth: 3 },
      encoding: {
        ...encoding,
        stroke: {
          datum: "best",
          scale: { domain: ["best"], range: [BEST] },
          legend: { orient: "bottom", symbolFillColor: "#ffffff", symbolStrokeWidth: 3, offset: 10 },
        },
      },
    },
  ];
}

/**
 * The Vega-Lite spec of validation accuracy against one hyper-parameter: one
 * dot per finished trial (tooltip: trial, value, accuracy), coloured by stage,
 * the best one ringed; the chance level dashed when inside the y range.
 *
 * @param name The parameter's name (title, x axis).
 * @param points One point per finished trial; those without a finite score are left out.
 * @param options Kind, categories, stages, size.
 * @returns The spec, with its data inline.
 *
 * @example
 * ```ts
 * import { influenceSpec } from "./influence_plot.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const spec = influenceSpec("act", [
 *   { value: "elu", score: 0.5, trial: "a" }, { value: "relu", score: NaN, trial: "b" },
 * ], { kind: "choice" });
 * assertEquals((spec.data as { values: unknown[] }).values.length, 1);
 * ```
 */
export function influenceSpec(
  name: string,
  points: readonly InfluencePoint[],
  options: InfluencePlotOptions,
): VegaLiteSpec {
  const width = options.width ?? 320;
  const finite = points.filter((p) => Number.isFinite(p.score));
  const scores = finite.map((p) => p.score);
  const yTicks = scores.length
    ? niceTicks(Math.max(0, Math.min(...scores) - 0.02), Math.min(1, Math.max(...scores) + 0.02), 4)
    : [0, 0.5, 1];
  const stages = options.stageLabels?.length
    ? [...options.stageLabels]
    : Array.from({ length: Math.max(0, ...finite.map((p) => p.stage ?? 0)) + 1 }, (_, s) => `stage ${s}`);
  const { encoding: xEncoding, place } = options.kind === "choice"
    ? choiceX(name, finite, options, width)
    : numericX(name, finite, options.kind);
  const values = finite.map((p) => ({
    ...place(p),
    score: p.score,
    stage: stages[p.stage ?? 0] ?? `stage ${p.stage ?? 0}`,
    best: p.best ?? false,
    tip: `${p.trial}: ${name} = ${label(p.value)}, accuracy ${fixed(p.score, 3)}${p.best ? " (best)" : ""}`,
  }));
  const encoding = {
    ...xEncoding,
    y: {
      field: "score",
      type: "quantitative",
      scale: { domain: [yTicks[0], yTicks[yTicks.length - 1]], nice: false, zero: false },
      axis: {
        // A qualifier in parentheses goes on a second line, so that the title fits the plot's height.
        title: (options.yLabel ?? "validation accuracy").split(/ (?=\()/),
        values: yTicks,
        tickCount: yTicks.length,
        format: ".2f",
      },
    },
    color: {
      field: "stage",
      type: "nominal",
      scale: { domain: stages, range: stages.map((_, s) => STAGE_COLOURS[s % STAGE_COLOURS.length]) },
      legend: (options.stageLabels ?? []).length > 1 ? { orient: "bottom", offset: 10 } : null,
    },
    description: { field: "tip" },
  };
  const chance = options.chance;
  const chanceShown = typeof chance === "number" && chance >= yTicks[0] && chance <= yTicks[yTicks.length - 1];
  return {
    title: name,
    width,
    height: options.height ?? 190,
    data: { values },
    layer: [
      ...(chanceShown
        ? [{
          data: { values: [{ chance }] },
          mark: { type: "rule", color: "#222222", strokeDash: [5, 4], aria: false },
          encoding: { y: { field: "chance", type: "quantitative" } },
        }]
        : []),
      ...dotLayers(encoding),
      ...emptyNote(finite.length, "no finished trial"),
    ],
  };
}

/**
 * Draws validation accuracy against one hyper-parameter ({@linkcode influenceSpec}).
 *
 * @param name The parameter's name (title, `data-param`).
 * @param points One point per finished trial.
 * @param options Kind, categories, stages, size.
 * @returns An `<svg data-plot="influence" data-param="NAME">` element and its spec.
 *
 * @example
 * ```ts
 * import { influencePlot } from "./influence_plot.ts";
 * import { assertStringIncludes } from "@std/assert";
 *
 * const svg = await influencePlot("learningRate", [
 *   { value: 1e-4, score: 0.4, trial: "t1" },
 *   { value: 1e-3, score: 0.6, trial: "t2", best: true },
 * ], { kind: "logUniform" });
 * assertStringIncludes(svg, 'data-param="learningRate"');
 * assertStringIncludes(svg, "log scale");
 * ```
 */
export function influencePlot(
  name: string,
  points: readonly InfluencePoint[],
  options: InfluencePlotOptions,
): Promise<string> {
  return renderChart(influenceSpec(name, points, options), {
    title: `Validation accuracy against ${name}`,
    data: { plot: "influence", param: name },
  });
}
