/**
 * Accuracy per recording: a strip plot of window accuracy, one dot per
 * recording, grouped by subject, coloured by true class, filled when the
 * recording's majority vote is correct. Declared as a Vega-Lite spec
 * ({@linkcode recordingAccuracySpec}) and rendered to SVG ({@linkcode recordingAccuracyPlot}).
 *
 * @module
 */
import type { RecordingMetrics } from "../evaluation/metrics.ts";
import { accuracyAxis, captionLayer, chanceLayers, classColour, emptyNote, fixed, INK } from "./_svg.ts";
import { renderChart, type VegaLiteSpec } from "./render_vega_lite.ts";

/** Options of {@linkcode recordingAccuracyPlot}. */
export interface RecordingAccuracyPlotOptions {
  /** Chance accuracy drawn as a dashed line. Default: none. */
  chance?: number;
  /** Plot title. Default `"Accuracy per recording"`. */
  title?: string;
  /** Written as `data-split` on the `<svg>`. Default: none. */
  split?: string;
  /** Height of the plot area in pixels. Default 200. */
  height?: number;
}

const VOTES = ["vote correct", "vote wrong"];
/**
 * A ring with a diagonal cross as one filled Vega symbol path in the unit square [-1, 1]²: the inner
 * circle winds the other way, so it is a hole, and the bars of the cross wind like the outer circle.
 */
const RING_CROSS = "M-1,0A1,1,0,1,1,1,0A1,1,0,1,1,-1,0Z M-0.62,0A0.62,0.62,0,1,0,0.62,0A0.62,0.62,0,1,0,-0.62,0Z " +
  "M-0.371,-0.569L0.569,0.371L0.371,0.569L-0.569,-0.371Z M-0.569,0.371L0.371,-0.569L0.569,-0.371L-0.371,0.569Z";

/** The recordings of each subject in class then name order, spread evenly across the subject's column (0 to 1). */
function dots(recordings: readonly RecordingMetrics[], labels: readonly string[]): Record<string, unknown>[] {
  const subjects = [...new Set(recordings.map((r) => r.subject))];
  return subjects.flatMap((subject) =>
    recordings.filter((r) => r.subject === subject)
      .sort((a, b) => a.label - b.label || a.recording.localeCompare(b.recording, "en", { numeric: true }))
      .map((r, slot, all) => {
        const verdict = `${labels[r.voted] ?? r.voted} ${r.correct ? "✓" : "✗"}${r.voteTied ? " (tie)" : ""}`;
        return {
          subject,
          spread: (slot + 0.5) / all.length,
          class: labels[r.label] ?? `class ${r.label}`,
          accuracy: Math.min(1, Math.max(0, r.windowAccuracy)),
          vote: VOTES[r.correct ? 0 : 1],
          tip: `${r.recording} (true ${labels[r.label] ?? r.label}): ${fixed(r.windowAccuracy)} of ${r.windows} ` +
            `windows correct, voted ${verdict}`,
        };
      })
  );
}

/** Dots of correct votes (filled circles) and of wrong ones (a white disc under a ring with a cross). */
function dotLayers(encoding: Record<string, unknown>): Record<string, unknown>[] {
  const vote = (v: string) => [{ filter: `datum.vote === '${v}'` }];
  const { x, xOffset, y } = encoding;
  return [
    {
      transform: vote(VOTES[0]),
      mark: { type: "point", filled: true, size: 144, stroke: "#ffffff", strokeWidth: 1, opacity: 1 },
      encoding: { ...encoding, description: { field: "tip" } },
    },
    {
      transform: vote(VOTES[1]),
      mark: { type: "point", filled: true, size: 100, color: "#ffffff", opacity: 1, aria: false },
      encoding: { x, xOffset, y },
    },
    {
      transform: vote(VOTES[1]),
      mark: { type: "point", filled: true, size: 121, opacity: 1 },
      encoding: { ...encoding, description: { field: "tip" } },
    },
  ];
}

/**
 * The Vega-Lite spec of each recording's window accuracy as a dot in its
 * subject's column. Colour = true class; filled dot = majority vote correct;
 * ring with a cross = vote wrong (the tooltip names the voted class). Dots of
 * a subject are spread sideways in class order so none hides another.
 *
 * @param recordings One entry per recording.
 * @param labels Class names in index order.
 * @param options Chance line, title and size.
 * @returns The spec, with its data inline.
 *
 * @example
 * ```ts
 * import { recordingAccuracySpec } from "./recording_accuracy_plot.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const spec = recordingAccuracySpec([{
 *   recording: "rest_1_1.h5", subject: "1", label: 0, windows: 4, windowAccuracy: 0.25,
 *   votes: [1, 3, 0, 0], voted: 1, voteTied: false, meanProb: [0.3, 0.6, 0.05, 0.05], votedMeanProb: 1,
 *   correct: false,
 * }], ["rest", "math", "memory", "motor"]);
 * assertEquals((spec.data as { values: { vote: string }[] }).values[0].vote, "vote wrong");
 * ```
 */
export function recordingAccuracySpec(
  recordings: readonly RecordingMetrics[],
  labels: readonly string[],
  options: RecordingAccuracyPlotOptions = {},
): VegaLiteSpec {
  const values = dots(recordings, labels);
  const subjects = [...new Set(recordings.map((r) => r.subject))];
  const slots = Math.max(1, ...subjects.map((s) => recordings.filter((r) => r.subject === s).length));
  // Each subject's column fits its dots; together at least 240 pixels wide.
  const band = Math.max(120, slots * 15 + 20, 240 / Math.max(1, subjects.length)), margin = 10 / (band - 20);
  const present = [...new Set(recordings.map((r) => r.label))].sort((a, b) => a - b);
  const x = {
    field: "subject",
    type: "nominal",
    sort: subjects,
    scale: { paddingInner: 0, paddingOuter: 0 },
    axis: {
      title: null,
      labelAngle: 0,
      ticks: false,
      labelFontSize: 12,
      labelColor: INK,
      labelPadding: 6,
      grid: true,
      gridColor: "#d0d0d0",
      bandPosition: 0,
    },
  };
  const encoding = {
    x,
    xOffset: { field: "spread", type: "quantitative", scale: { domain: [-margin, 1 + margin] } },
    y: { field: "accuracy", type: "quantitative", scale: { domain: [0, 1] }, axis: accuracyAxis("window accuracy") },
    color: {
      field: "class",
      type: "nominal",
      scale: { domain: present.map((k) => labels[k] ?? `class ${k}`), range: present.map(classColour) },
      legend: { symbolType: "square", order: 0 },
    },
    shape: {
      field: "vote",
      type: "nominal",
      scale: { domain: VOTES, range: ["circle", RING_CROSS] },
      legend: { symbolFillColor: "#444444", symbolStrokeWidth: 0, order: 1 },
    },
  };
  const correct = subjects.map((s) => {
    const of = recordings.filter((r) => r.subject === s);
    return { subject: s, caption: `${of.filter((r) => r.correct).length}/${of.length} rec. voted right` };
  });
  return {
    title: options.title ?? "Accuracy per recording",
    width: Math.max(1, subjects.length) * band,
    height: options.height ?? 200,
    data: { values },
    config: { legend: { layout: { top: { anchor: "start", direction: "vertical", margin: 4 } } } },
    layer: [
      ...dotLayers(encoding),
      captionLayer(x, correct),
      ...chanceLayers(options.chance),
      ...emptyNote(recordings.length, "no recordings"),
    ],
  };
}

/**
 * Draws each recording's window accuracy as a dot in its subject's column
 * ({@linkcode recordingAccuracySpec}).
 *
 * @param recordings One entry per recording.
 * @param labels Class names in index order.
 * @param options Chance line, title and size.
 * @returns An `<svg data-plot="recordings">` element and its spec.
 *
 * @example
 * ```ts
 * import { recordingAccuracyPlot } from "./recording_accuracy_plot.ts";
 * import { assertStringIncludes } from "@std/assert";
 *
 * const svg = await recordingAccuracyPlot([{
 *   recording: "rest_1_1.h5", subject: "1", label: 0, windows: 4, windowAccuracy: 0.25,
 *   votes: [1, 3, 0, 0], voted: 1, voteTied: false, meanProb: [0.3, 0.6, 0.05, 0.05], votedMeanProb: 1,
 *   correct: false,
 * }], ["rest", "math", "memory", "motor"]);
 * assertStringIncludes(svg, "rest_1_1.h5 (true rest): 0.25 of 4 windows correct, voted math ✗");
 * ```
 */
export function recordingAccuracyPlot(
  recordings: readonly RecordingMetrics[],
  labels: readonly string[],
  options: RecordingAccuracyPlotOptions = {},
): Promise<string> {
  return renderChart(recordingAccuracySpec(recordings, labels, options), {
    title: options.title ?? "Accuracy per recording",
    data: { plot: "recordings", split: options.split },
  });
}
