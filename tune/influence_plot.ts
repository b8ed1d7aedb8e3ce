/**
 * Influence of one hyper-parameter on validation accuracy: a scatter plot for
 * numeric parameters (log x axis for log-uniform ones), a strip plot for
 * choices, one dot per finished trial, coloured by stage, the best trial ringed.
 *
 * @module
 */
import {
  escapeXml,
  fixed,
  GRID,
  legend,
  type LegendItem,
  line,
  linearScale,
  MUTED,
  niceTicks,
  OKABE_ITO,
  px,
  svgFrame,
  text,
  yAxis,
} from "../reports/_svg.ts";
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
  /** Width in pixels. Default: 400. */
  width?: number;
  /** Height in pixels. Default: 280. */
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

function tickText(x: number): string {
  return Math.abs(x) >= 1e4 || (x !== 0 && Math.abs(x) < 1e-3) ? x.toExponential(0) : String(Number(x.toPrecision(3)));
}

/**
 * Draws validation accuracy against one hyper-parameter.
 *
 * @param name The parameter's name (title, `data-param`).
 * @param points One point per finished trial.
 * @param options Kind, categories, stages, size.
 * @returns An `<svg data-plot="influence" data-param="NAME">` element.
 *
 * @example
 * ```ts
 * import { influencePlot } from "./influence_plot.ts";
 * import { assertStringIncludes } from "@std/assert";
 *
 * const svg = influencePlot("learningRate", [
 *   { value: 1e-4, score: 0.4, trial: "t1" },
 *   { value: 1e-3, score: 0.6, trial: "t2", best: true },
 * ], { kind: "logUniform" });
 * assertStringIncludes(svg, 'data-param="learningRate"');
 * assertStringIncludes(svg, "log scale");
 * ```
 */
export function influencePlot(name: string, points: readonly InfluencePoint[], options: InfluencePlotOptions): string {
  const width = options.width ?? 400;
  const height = options.height ?? 280;
  const left = 56, right = width - 16, top = 30, bottom = height - 62;
  const finite = points.filter((p) => Number.isFinite(p.score));
  const parts: string[] = [text(8, 18, name, { size: 14, weight: "bold" })];
  const scores = finite.map((p) => p.score);
  const yTicks = scores.length
    ? niceTicks(Math.max(0, Math.min(...scores) - 0.02), Math.min(1, Math.max(...scores) + 0.02), 4)
    : [0, 0.5, 1];
  const y = linearScale([yTicks[0], yTicks[yTicks.length - 1]], [bottom, top]);
  parts.push(yAxis({
    ticks: yTicks,
    scale: y,
    left,
    right,
    title: options.yLabel ?? "validation accuracy",
    format: (v) => v.toFixed(2),
  }));
  parts.push(line(left, bottom, right, bottom, MUTED));
  let xOf: (p: InfluencePoint) => number;
  let axisNote = "";
  if (options.kind === "choice") {
    const categories = [...(options.categories ?? [])].map(label);
    for (const p of finite) if (!categories.includes(label(p.value))) categories.push(label(p.value));
    const band = (right - left) / Math.max(1, categories.length);
    categories.forEach((c, i) => {
      const cx = left + band * (i + 0.5);
      parts.push(text(cx, bottom + 16, c.length > 14 ? c.slice(0, 13) + "…" : c, { anchor: "middle", size: 11 }));
    });
    xOf = (p) => {
      const jitter = ((hashSeed(p.trial, name) % 1000) / 1000 - 0.5) * Math.min(band * 0.5, 40);
      return left + band * (categories.indexOf(label(p.value)) + 0.5) + jitter;
    };
    axisNote = "choice, jittered sideways";
  } else {
    const values = finite.map((p) => Number(p.value)).filter((v) => Number.isFinite(v));
    const log = options.kind === "logUniform" && values.length > 0 && values.every((v) => v > 0);
    const low = values.length ? Math.min(...values) : 0, high = values.length ? Math.max(...values) : 1;
    const ticks = log ? logTicks(low, high) : niceTicks(low, high, 4);
    const f = log ? Math.log10 : (v: number) => v;
    const domain: [number, number] = [Math.min(f(low), f(ticks[0])), Math.max(f(high), f(ticks[ticks.length - 1]))];
    const x = linearScale(domain, [left + 12, right - 12]);
    for (const t of ticks) {
      parts.push(line(x(f(t)), top, x(f(t)), bottom, GRID));
      parts.push(text(x(f(t)), bottom + 16, tickText(t), { anchor: "middle", size: 11, fill: MUTED }));
    }
    xOf = (p) => x(f(Number(p.value)));
    axisNote = log ? "log scale" : options.kind === "int" ? "integer" : "linear scale";
  }
  parts.push(
    text((left + right) / 2, bottom + 32, `${name} (${axisNote})`, { anchor: "middle", size: 11, fill: MUTED }),
  );
  if (
    typeof options.chance === "number" && options.chance >= yTicks[0] && options.chance <= yTicks[yTicks.length - 1]
  ) {
    parts.push(line(left, y(options.chance), right, y(options.chance), "#222222", 'stroke-dasharray="5 4"'));
  }
  const ordered = [...finite].sort((a, b) => Number(a.best ?? false) - Number(b.best ?? false));
  for (const p of ordered) {
    const colour = STAGE_COLOURS[(p.stage ?? 0) % STAGE_COLOURS.length];
    const tip = escapeXml(
      `${p.trial}: ${name} = ${label(p.value)}, accuracy ${fixed(p.score, 3)}${p.best ? " (best)" : ""}`,
    );
    const [cx, cy] = [px(xOf(p)), px(y(p.score))];
    parts.push(
      p.best
        ? `<circle class="best" cx="${cx}" cy="${cy}" r="7" fill="${colour}" stroke="${BEST}" stroke-width="3"><title>${tip}</title></circle>`
        : `<circle cx="${cx}" cy="${cy}" r="4.5" fill="${colour}" fill-opacity="0.85" stroke="#fff"><title>${tip}</title></circle>`,
    );
  }
  if (finite.length === 0) {
    parts.push(text((left + right) / 2, (top + bottom) / 2, "no finished trial", { anchor: "middle", fill: MUTED }));
  }
  const items: LegendItem[] = (options.stageLabels ?? []).length > 1
    ? options.stageLabels!.map((s, i) => ({ label: s, colour: STAGE_COLOURS[i % STAGE_COLOURS.length], shape: "dot" }))
    : [];
  items.push({ label: "best", colour: BEST, shape: "ring" });
  parts.push(legend(items, 8, height - 12));
  return svgFrame({ plot: "influence", width, height, title: `Validation accuracy against ${name}` }, parts.join(""))
    .replace('data-plot="influence"', `data-plot="influence" data-param="${escapeXml(name)}"`);
}
