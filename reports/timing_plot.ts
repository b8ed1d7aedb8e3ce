/**
 * Where the time went: one horizontal bar per stage of a run, declared as a
 * Vega-Lite spec ({@linkcode timingSpec}) and rendered to SVG ({@linkcode timingPlot}).
 *
 * @module
 */
import { emptyNote, fixed, INK, MUTED, OKABE_ITO } from "./_svg.ts";
import { renderChart, type VegaLiteSpec } from "./render_vega_lite.ts";

/** Options of {@linkcode timingPlot}. */
export interface TimingPlotOptions {
  /** Plot title. Default `"Time per stage"`. */
  title?: string;
  /** Width of the bars' area in pixels. Default 300. */
  width?: number;
}

/**
 * Formats seconds for people: `42.0 s`, `3 min 05 s`, `1 h 02 min`.
 *
 * @param seconds Duration in seconds.
 * @returns The text, or an en dash when not finite.
 *
 * @example
 * ```ts
 * import { formatSeconds } from "./timing_plot.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals([formatSeconds(4.25), formatSeconds(185), formatSeconds(3720)], ["4.3 s", "3 min 05 s", "1 h 02 min"]);
 * ```
 */
export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return "–";
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const total = Math.round(seconds);
  if (total < 3600) return `${Math.floor(total / 60)} min ${String(total % 60).padStart(2, "0")} s`;
  const minutes = Math.round(seconds / 60);
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min`;
}

/**
 * The Vega-Lite spec of the time per stage: one bar per stage, in the given
 * order, with its duration and share of the total. Stages that are not
 * finite, non-negative numbers are left out.
 *
 * @param seconds Seconds per stage, e.g. `{ ingest: 30, train: 600, evaluate: 20 }`.
 * @param options Title and width.
 * @returns The spec, with its data inline.
 *
 * @example
 * ```ts
 * import { timingSpec } from "./timing_plot.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const spec = timingSpec({ ingest: 30, train: 90, broken: NaN });
 * assertEquals((spec.data as { values: { label: string }[] }).values.map((v) => v.label), ["30.0 s (25%)", "1 min 30 s (75%)"]);
 * ```
 */
export function timingSpec(seconds: Readonly<Record<string, number>>, options: TimingPlotOptions = {}): VegaLiteSpec {
  const stages = Object.entries(seconds).filter(([, s]) => typeof s === "number" && Number.isFinite(s) && s >= 0);
  const total = stages.reduce((a, [, s]) => a + s, 0);
  const values = stages.map(([stage, s]) => ({
    stage,
    seconds: s,
    label: `${formatSeconds(s)} (${total > 0 ? ((s / total) * 100).toFixed(0) : "–"}%)`,
    tip: `${stage}: ${fixed(s, 1)} s`,
  }));
  const y = {
    field: "stage",
    type: "nominal",
    sort: null,
    scale: { paddingInner: 0.4, paddingOuter: 0.2 },
    axis: { title: null, ticks: false, domainColor: MUTED, labelFontSize: 12, labelColor: INK, labelPadding: 8 },
  };
  const x = {
    field: "seconds",
    type: "quantitative",
    scale: values.length > 0 ? {} : { domain: [0, 1] },
    axis: { title: "seconds", tickCount: 4, grid: true },
  };
  return {
    title: `${options.title ?? "Time per stage"} (total ${formatSeconds(total)})`,
    width: options.width ?? 300,
    height: values.length > 0 ? { step: 30 } : 30,
    data: { values },
    layer: [
      { mark: { type: "bar", color: OKABE_ITO.blue }, encoding: { x, y, description: { field: "tip" } } },
      { mark: { type: "text", align: "left", dx: 6, aria: false }, encoding: { x, y, text: { field: "label" } } },
      ...emptyNote(values.length, "no timings recorded"),
    ],
  };
}

/**
 * Draws one bar per stage with its duration and share of the total ({@linkcode timingSpec}).
 *
 * @param seconds Seconds per stage, e.g. `{ ingest: 30, train: 600, evaluate: 20 }`.
 * @param options Title and width.
 * @returns An `<svg data-plot="timings">` element and its spec.
 *
 * @example
 * ```ts
 * import { timingPlot } from "./timing_plot.ts";
 * import { assertStringIncludes } from "@std/assert";
 *
 * const svg = await timingPlot({ ingest: 30, train: 90 });
 * assertStringIncludes(svg, ">1 min 30 s (75%)</text>");
 * ```
 */
export function timingPlot(
  seconds: Readonly<Record<string, number>>,
  options: TimingPlotOptions = {},
): Promise<string> {
  return renderChart(timingSpec(seconds, options), {
    title: options.title ?? "Time per stage",
    data: { plot: "timings" },
  });
}
