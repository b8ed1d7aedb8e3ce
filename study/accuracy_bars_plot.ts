/**
 * Grouped bars of a statistic over seeds: the mean as a bar, ± one standard
 * deviation as an error bar, and every seed's value as a dot.
 *
 * @module
 */
import {
  approximateTextWidth,
  escapeXml,
  fixed,
  legend,
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
import type { Stat } from "./summarise_study.ts";

/** One group of bars (e.g. a model). */
export interface BarGroup {
  /** Label under the group. */
  label: string;
  /** The bars, in legend order. */
  bars: Array<{ label: string; stat: Stat }>;
}

/** Options of {@linkcode accuracyBarsPlot}. */
export interface AccuracyBarsPlotOptions {
  /** Title. */
  title: string;
  /** y-axis title. Default: "accuracy". */
  yLabel?: string;
  /** Dashed reference line (e.g. chance 0.25). Default: none. */
  reference?: number;
  /** Fixed y range; default [0, 1], or a range around the data containing 0 for differences. */
  yDomain?: [number, number];
  /** Differences (may be negative): the y range follows the data and includes 0. Default: false. */
  differences?: boolean;
  /** Height in pixels. Default 300. */
  height?: number;
}

const COLOURS = [
  OKABE_ITO.skyBlue,
  OKABE_ITO.blue,
  OKABE_ITO.orange,
  OKABE_ITO.vermillion,
  OKABE_ITO.green,
  OKABE_ITO.purple,
];

/**
 * Draws grouped bars with error bars and seed dots.
 *
 * @param groups The groups of bars.
 * @param options Title, axis, reference line.
 * @returns An `<svg data-plot="accuracy-bars">` element.
 *
 * @example
 * ```ts
 * import { accuracyBarsPlot } from "./accuracy_bars_plot.ts";
 * import { stat } from "./summarise_study.ts";
 * import { assertStringIncludes } from "@std/assert";
 *
 * const svg = accuracyBarsPlot([{ label: "cnn", bars: [
 *   { label: "intra", stat: stat([0.8, 0.85, 0.9]) },
 *   { label: "cross", stat: stat([0.4, 0.45, 0.5]) },
 * ] }], { title: "Accuracy", reference: 0.25 });
 * assertStringIncludes(svg, 'data-plot="accuracy-bars"');
 * assertStringIncludes(svg, "cross: 0.45 ± 0.05");
 * ```
 */
export function accuracyBarsPlot(groups: readonly BarGroup[], options: AccuracyBarsPlotOptions): string {
  const height = options.height ?? 300;
  const nBars = Math.max(1, ...groups.map((g) => g.bars.length));
  const bar = 26, gap = 4, groupWidth = nBars * (bar + gap) + 34;
  const left = 56, top = 48, bottom = height - 40;
  const labels = groups[0]?.bars.map((b) => b.label) ?? [];
  const legendWidth = labels.reduce((w, label) => w + 17 + approximateTextWidth(label, 12) + 16, 0);
  const width = Math.max(320, left + groups.length * groupWidth + 24, left + legendWidth + 8);
  const right = width - 16;
  const all = groups.flatMap((g) =>
    g.bars.flatMap((b) => [...b.stat.values, b.stat.mean + (b.stat.sd ?? 0), b.stat.mean - (b.stat.sd ?? 0)])
  )
    .filter((v) => Number.isFinite(v));
  let domain = options.yDomain ?? [0, 1];
  if (options.differences && !options.yDomain) {
    const extent = Math.max(0.05, ...all.map((v) => Math.abs(v)));
    domain = [-extent, extent];
  }
  const ticks = niceTicks(domain[0], domain[1], 5);
  const y = linearScale([ticks[0], ticks[ticks.length - 1]], [bottom, top]);
  const parts: string[] = [text(8, 18, options.title, { size: 14, weight: "bold" })];
  parts.push(yAxis({ ticks, scale: y, left, right, title: options.yLabel ?? "accuracy", format: (v) => v.toFixed(2) }));
  parts.push(legend(labels.map((label, i) => ({ label, colour: COLOURS[i % COLOURS.length] })), left, 34));
  const zero = y(Math.min(Math.max(0, ticks[0]), ticks[ticks.length - 1]));
  groups.forEach((g, gi) => {
    const start = left + 20 + gi * groupWidth;
    g.bars.forEach((b, bi) => {
      const x = start + bi * (bar + gap);
      const colour = COLOURS[labels.indexOf(b.label) >= 0 ? labels.indexOf(b.label) % COLOURS.length : bi];
      const s = b.stat;
      const tip = escapeXml(
        `${g.label} ${b.label}: ${fixed(s.mean)}${s.sd === null ? "" : ` ± ${fixed(s.sd)}`} (n = ${s.n}; ${
          s.values.map((v) => fixed(v)).join(", ")
        })`,
      );
      if (Number.isFinite(s.mean)) {
        const ym = y(s.mean);
        parts.push(
          `<rect x="${px(x)}" y="${px(Math.min(ym, zero))}" width="${bar}" height="${
            px(Math.abs(zero - ym))
          }" fill="${colour}" fill-opacity="0.8"><title>${tip}</title></rect>`,
        );
        if (s.sd !== null) {
          const [hi, lo] = [y(s.mean + s.sd), y(s.mean - s.sd)];
          parts.push(line(x + bar / 2, hi, x + bar / 2, lo, "#222222", 'stroke-width="1.5"'));
          parts.push(line(x + bar / 2 - 5, hi, x + bar / 2 + 5, hi, "#222222", 'stroke-width="1.5"'));
          parts.push(line(x + bar / 2 - 5, lo, x + bar / 2 + 5, lo, "#222222", 'stroke-width="1.5"'));
        }
        for (const v of s.values) {
          if (Number.isFinite(v)) {
            parts.push(`<circle cx="${px(x + bar / 2)}" cy="${px(y(v))}" r="2.5" fill="#222222"/>`);
          }
        }
      } else {
        parts.push(text(x + bar / 2, bottom - 6, "–", { anchor: "middle", fill: MUTED }));
      }
    });
    parts.push(text(start + (g.bars.length * (bar + gap)) / 2, bottom + 18, g.label, { anchor: "middle", size: 12 }));
  });
  parts.push(line(left, zero, right, zero, MUTED));
  if (
    typeof options.reference === "number" && options.reference >= ticks[0] &&
    options.reference <= ticks[ticks.length - 1]
  ) {
    parts.push(line(left, y(options.reference), right, y(options.reference), "#222222", 'stroke-dasharray="5 4"'));
  }
  return svgFrame({ plot: "accuracy-bars", width, height, title: options.title }, parts.join(""));
}
