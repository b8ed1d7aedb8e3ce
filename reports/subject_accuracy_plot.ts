/**
 * Accuracy per subject: window and recording accuracy as paired bars, with
 * the chance level as a dashed line. Declared as a Vega-Lite spec
 * ({@linkcode subjectAccuracySpec}) and rendered to SVG ({@linkcode subjectAccuracyPlot}).
 *
 * @module
 */
import type { SubjectMetrics } from "../evaluation/metrics.ts";
import { accuracyAxis, captionLayer, chanceLayers, emptyNote, fixed, INK, OKABE_ITO } from "./_svg.ts";
import { renderChart, type VegaLiteSpec } from "./render_vega_lite.ts";

/** Options of {@linkcode subjectAccuracyPlot}. */
export interface SubjectAccuracyPlotOptions {
  /** Chance accuracy drawn as a dashed line. Default: none. */
  chance?: number;
  /** Plot title. Default `"Accuracy per subject"`. */
  title?: string;
  /** Written as `data-split` on the `<svg>`. Default: none. */
  split?: string;
  /** Height of the plot area in pixels. Default 190. */
  height?: number;
}

const MEASURES = ["windows", "recordings (vote)"];

/**
 * The Vega-Lite spec of window accuracy (light) and majority-vote recording
 * accuracy (dark) for each subject, with the value above each bar and the
 * number of windows and recordings under the subject's name.
 *
 * @param subjects One entry per subject, drawn in the given order.
 * @param options Chance line, title and size.
 * @returns The spec, with its data inline.
 *
 * @example
 * ```ts
 * import { subjectAccuracySpec } from "./subject_accuracy_plot.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const spec = subjectAccuracySpec(
 *   [{ subject: "7", windows: 80, windowAccuracy: 0.6, recordings: 8, recordingAccuracy: 0.75 }],
 * );
 * assertEquals((spec.data as { values: { label: string }[] }).values.map((v) => v.label), ["0.60", "0.75"]);
 * ```
 */
export function subjectAccuracySpec(
  subjects: readonly SubjectMetrics[],
  options: SubjectAccuracyPlotOptions = {},
): VegaLiteSpec {
  const values = subjects.flatMap((s) =>
    ([[s.windowAccuracy, `${s.windows} windows`], [s.recordingAccuracy, `${s.recordings} recordings`]] as const)
      .map(([value, what], j) => ({
        subject: s.subject,
        measure: MEASURES[j],
        value: Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0,
        label: fixed(value),
        tip: `subject ${s.subject}: ${fixed(value)} over ${what}`,
      }))
  );
  const order = subjects.map((s) => s.subject);
  const x = {
    field: "subject",
    type: "nominal",
    sort: order,
    scale: { paddingInner: 0.36, paddingOuter: 0.3 },
    axis: { title: null, labelAngle: 0, ticks: false, labelFontSize: 12, labelColor: INK, labelPadding: 6 },
  };
  const xOffset = { field: "measure", type: "nominal", sort: MEASURES, scale: { paddingInner: 0.1 } };
  const y = { field: "value", type: "quantitative", scale: { domain: [0, 1] }, axis: accuracyAxis("accuracy") };
  const colour = {
    field: "measure",
    type: "nominal",
    scale: { domain: MEASURES, range: [OKABE_ITO.skyBlue, OKABE_ITO.blue] },
  };
  return {
    title: options.title ?? "Accuracy per subject",
    width: Math.max(2, subjects.length) * 112,
    height: options.height ?? 190,
    data: { values },
    layer: [
      { mark: "bar", encoding: { x, xOffset, y, color: colour, description: { field: "tip" } } },
      {
        mark: { type: "text", baseline: "bottom", dy: -4, aria: false },
        encoding: { x, xOffset, y, text: { field: "label" } },
      },
      captionLayer(x, subjects.map((s) => ({ subject: s.subject, caption: `${s.windows} win · ${s.recordings} rec` }))),
      ...chanceLayers(options.chance),
      ...emptyNote(subjects.length, "no subjects"),
    ],
  };
}

/**
 * Draws window and recording accuracy per subject as paired bars ({@linkcode subjectAccuracySpec}).
 *
 * @param subjects One entry per subject, drawn in the given order.
 * @param options Chance line, title and size.
 * @returns An `<svg data-plot="subjects">` element and its spec.
 *
 * @example
 * ```ts
 * import { subjectAccuracyPlot } from "./subject_accuracy_plot.ts";
 * import { assertStringIncludes } from "@std/assert";
 *
 * const svg = await subjectAccuracyPlot(
 *   [{ subject: "162935", windows: 80, windowAccuracy: 0.6, recordings: 8, recordingAccuracy: 0.75 }],
 *   { chance: 0.25 },
 * );
 * assertStringIncludes(svg, ">162935</text>");
 * assertStringIncludes(svg, ">chance</tspan>");
 * ```
 */
export function subjectAccuracyPlot(
  subjects: readonly SubjectMetrics[],
  options: SubjectAccuracyPlotOptions = {},
): Promise<string> {
  return renderChart(subjectAccuracySpec(subjects, options), {
    title: options.title ?? "Accuracy per subject",
    data: { plot: "subjects", split: options.split },
  });
}
