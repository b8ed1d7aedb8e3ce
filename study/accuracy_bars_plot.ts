/**
 * Grouped bars of a statistic over seeds: the mean as a bar, ± one standard
 * deviation as an error bar, and every seed's value as a dot. Declared as a
 * Vega-Lite spec ({@linkcode accuracyBarsSpec}) and rendered to SVG
 * ({@linkcode accuracyBarsPlot}).
 *
 * @module
 */
import { fixed, INK, MUTED, niceTicks, OKABE_ITO } from "../reports/_svg.ts";
import { renderChart, type VegaLiteSpec } from "../reports/render_vega_lite.ts";
import { formatStat, type Stat } from "./summarise_study.ts";

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
  /** Height of the plot area in pixels. Default 212. */
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

/** One row per bar (mean, mean ± sd, tooltip) and one per seed's value. */
function barRows(groups: readonly BarGroup[]): { bars: Record<string, unknown>[]; seeds: Record<string, unknown>[] } {
  const bars = groups.flatMap((g) =>
    g.bars.map(({ label, stat: s }) => ({
      group: g.label,
      bar: label,
      mean: Number.isFinite(s.mean) ? s.mean : null,
      low: s.sd === null || !Number.isFinite(s.mean) ? null : s.mean - s.sd,
      high: s.sd === null || !Number.isFinite(s.mean) ? null : s.mean + s.sd,
      tip: `${g.label} ${label}: ${formatStat(s)} (n = ${s.n}; ${s.values.map((v) => fixed(v)).join(", ")})`,
    }))
  );
  const seeds = groups.flatMap((g) =>
    g.bars.filter((b) => Number.isFinite(b.stat.mean)).flatMap(({ label, stat }) =>
      stat.values.filter((v) => Number.isFinite(v)).map((value) => ({ group: g.label, bar: label, value }))
    )
  );
  return { bars, seeds };
}

/** The y range: fixed, [0, 1], or symmetric around 0 for differences; as round ticks. */
function yTicks(groups: readonly BarGroup[], options: AccuracyBarsPlotOptions): number[] {
  let domain = options.yDomain ?? [0, 1];
  if (options.differences && !options.yDomain) {
    const all = groups.flatMap((g) =>
      g.bars.flatMap((b) => [...b.stat.values, b.stat.mean + (b.stat.sd ?? 0), b.stat.mean - (b.stat.sd ?? 0)])
    ).filter((v) => Number.isFinite(v));
    const extent = Math.max(0.05, ...all.map((v) => Math.abs(v)));
    domain = [-extent, extent];
  }
  return niceTicks(domain[0], domain[1], 5);
}

/** Error bars (mean ± sd with caps) and the seeds' dots, positioned like the bars. */
function spreadLayers(position: Record<string, unknown>, seeds: Record<string, unknown>[]): VegaLiteSpec[] {
  const at = (field: string) => ({ field, type: "quantitative" });
  const withSd = [{ filter: "datum.low !== null" }];
  const cap = (field: string) => ({
    transform: withSd,
    mark: { type: "tick", color: INK, size: 10, thickness: 1.5, aria: false },
    encoding: { ...position, y: at(field) },
  });
  return [
    {
      transform: withSd,
      mark: { type: "rule", color: INK, strokeWidth: 1.5, aria: false },
      encoding: { ...position, y: at("low"), y2: { field: "high" } },
    },
    cap("low"),
    cap("high"),
    {
      data: { values: seeds },
      mark: { type: "point", filled: true, color: INK, size: 25, opacity: 1, aria: false },
      encoding: { ...position, y: at("value") },
    },
  ];
}

/**
 * The Vega-Lite spec of grouped bars with error bars and seed dots: per group
 * one bar per statistic (mean, tooltip with ± sd, n and the values), a bar
 * without a finite mean shown as "–"; the zero line and a dashed reference.
 *
 * @param groups The groups of bars.
 * @param options Title, axis, reference line.
 * @returns The spec, with its data inline.
 *
 * @example
 * ```ts
 * import { accuracyBarsSpec } from "./accuracy_bars_plot.ts";
 * import { stat } from "./summarise_study.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const spec = accuracyBarsSpec([{ label: "cnn", bars: [{ label: "intra", stat: stat([0.8, 0.9]) }] }], {
 *   title: "Accuracy",
 * });
 * assertEquals((spec.data as { values: unknown[] }).values.length, 1);
 * ```
 */
export function accuracyBarsSpec(groups: readonly BarGroup[], options: AccuracyBarsPlotOptions): VegaLiteSpec {
  const labels = [...new Set(groups.flatMap((g) => g.bars.map((b) => b.label)))];
  const nBars = Math.max(1, ...groups.map((g) => g.bars.length));
  const groupWidth = nBars * 30 + 34;
  const ticks = yTicks(groups, options);
  const zero = Math.min(Math.max(0, ticks[0]), ticks[ticks.length - 1]);
  const { bars, seeds } = barRows(groups);
  const position = {
    x: {
      field: "group",
      type: "nominal",
      sort: groups.map((g) => g.label),
      scale: { paddingInner: 34 / groupWidth, paddingOuter: 0.3 },
      axis: { title: null, labelAngle: 0, ticks: false, labelFontSize: 12, labelColor: INK, domain: false },
    },
    xOffset: { field: "bar", type: "nominal", sort: labels, scale: { paddingInner: 0.13 } },
  };
  const y = {
    field: "mean",
    type: "quantitative",
    scale: { domain: [ticks[0], ticks[ticks.length - 1]], nice: false, zero: false },
    axis: { title: options.yLabel ?? "accuracy", values: ticks, tickCount: ticks.length, format: ".2f", grid: true },
  };
  const rule = (value: number, extra: Record<string, unknown>) => ({
    data: { values: [{ value }] },
    mark: { type: "rule", aria: false, ...extra },
    encoding: { y: { field: "value", type: "quantitative" } },
  });
  const reference = options.reference;
  const referenceShown = typeof reference === "number" && reference >= ticks[0] &&
    reference <= ticks[ticks.length - 1];
  return {
    title: options.title,
    width: Math.max(1, groups.length) * groupWidth,
    height: options.height ?? 212,
    data: { values: bars },
    layer: [
      {
        mark: { type: "bar", fillOpacity: 0.8 },
        encoding: {
          ...position,
          y,
          y2: { datum: zero },
          color: {
            field: "bar",
            type: "nominal",
            scale: { domain: labels, range: labels.map((_, i) => COLOURS[i % COLOURS.length]) },
          },
          description: { field: "tip" },
        },
      },
      ...spreadLayers(position, seeds),
      {
        transform: [{ filter: "datum.mean === null" }],
        mark: {
          type: "text",
          text: "–",
          color: MUTED,
          fontSize: 12,
          baseline: "bottom",
          y: { expr: "height - 4" },
          aria: false,
        },
        encoding: position,
      },
      rule(zero, { color: MUTED }),
      ...(referenceShown ? [rule(reference, { color: INK, strokeDash: [5, 4] })] : []),
    ],
  };
}

/**
 * Draws grouped bars with error bars and seed dots ({@linkcode accuracyBarsSpec}).
 *
 * @param groups The groups of bars.
 * @param options Title, axis, reference line.
 * @returns An `<svg data-plot="accuracy-bars">` element and its spec.
 *
 * @example
 * ```ts
 * import { accuracyBarsPlot } from "./accuracy_bars_plot.ts";
 * import { stat } from "./summarise_study.ts";
 * import { assertStringIncludes } from "@std/assert";
 *
 * const svg = await accuracyBarsPlot([{ label: "cnn", bars: [
 *   { label: "intra", stat: stat([0.8, 0.85, 0.9]) },
 *   { label: "cross", stat: stat([0.4, 0.45, 0.5]) },
 * ] }], { title: "Accuracy", reference: 0.25 });
 * assertStringIncludes(svg, 'data-plot="accuracy-bars"');
 * assertStringIncludes(svg, "cross: 0.45 ± 0.05");
 * ```
 */
export function accuracyBarsPlot(groups: readonly BarGroup[], options: AccuracyBarsPlotOptions): Promise<string> {
  return renderChart(accuracyBarsSpec(groups, options), { title: options.title, data: { plot: "accuracy-bars" } });
}
