/**
 * Accuracy per recording: a strip plot of window accuracy, one dot per
 * recording, grouped by subject, coloured by true class, filled when the
 * recording's majority vote is correct.
 *
 * @module
 */
import type { RecordingMetrics } from "../evaluation/metrics.ts";
import {
  chanceLine,
  classColour,
  escapeXml,
  fixed,
  legend,
  type LegendItem,
  line,
  linearScale,
  MUTED,
  px,
  svgFrame,
  text,
  yAxis,
} from "./_svg.ts";

/** Options of {@linkcode recordingAccuracyPlot}. */
export interface RecordingAccuracyPlotOptions {
  /** Chance accuracy drawn as a dashed line. Default: none. */
  chance?: number;
  /** Plot title. Default `"Accuracy per recording"`. */
  title?: string;
  /** Written as `data-split` on the `<svg>`. Default: none. */
  split?: string;
  /** Height in pixels. Default 320. */
  height?: number;
}

/**
 * Draws each recording's window accuracy as a dot in its subject's column.
 * Colour = true class; filled dot = majority vote correct; ring with a cross =
 * vote wrong (the tooltip names the voted class). Dots of a subject are
 * spread sideways in class order so none hides another.
 *
 * @param recordings One entry per recording.
 * @param labels Class names in index order.
 * @param options Chance line, title and size.
 * @returns An `<svg data-plot="recordings">` element.
 *
 * @example
 * ```ts
 * import { recordingAccuracyPlot } from "./recording_accuracy_plot.ts";
 * import { assertStringIncludes } from "@std/assert";
 *
 * const svg = recordingAccuracyPlot([{
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
): string {
  const title = options.title ?? "Accuracy per recording";
  const height = options.height ?? 320;
  const subjects = [...new Set(recordings.map((r) => r.subject))];
  const bySubject = subjects.map((s) =>
    recordings.filter((r) => r.subject === s).sort((a, b) =>
      a.label - b.label || a.recording.localeCompare(b.recording, "en", { numeric: true })
    )
  );
  const bandWidths = bySubject.map((rs) => Math.max(120, rs.length * 15 + 20));
  const left = 52, top = 68, bottom = height - 50;
  const width = Math.max(380, left + bandWidths.reduce((a, b) => a + b, 0) + 80);
  const right = width - 72;
  const y = linearScale([0, 1], [bottom, top]);
  const parts: string[] = [text(8, 18, title, { size: 14, weight: "bold" })];
  parts.push(yAxis({
    ticks: [0, 0.2, 0.4, 0.6, 0.8, 1],
    scale: y,
    left,
    right,
    title: "window accuracy",
    format: (v) => v.toFixed(1),
  }));
  const present = [...new Set(recordings.map((r) => r.label))].sort((a, b) => a - b);
  const classItems: LegendItem[] = present.map((k) => ({ label: labels[k] ?? `class ${k}`, colour: classColour(k) }));
  parts.push(legend(classItems, left, 34));
  parts.push(legend(
    [
      { label: "vote correct", colour: "#444444", shape: "dot" },
      { label: "vote wrong", colour: "#444444", shape: "ring" },
    ],
    left,
    54,
  ));

  let x0 = left + (right - left - bandWidths.reduce((a, b) => a + b, 0)) / 2;
  bySubject.forEach((rs, i) => {
    const band = bandWidths[i];
    if (i > 0) parts.push(line(x0, top, x0, bottom + 34, "#d0d0d0"));
    const correct = rs.filter((r) => r.correct).length;
    parts.push(text(x0 + band / 2, bottom + 17, subjects[i], { anchor: "middle", size: 12 }));
    parts.push(
      text(x0 + band / 2, bottom + 32, `${correct}/${rs.length} rec. voted right`, {
        anchor: "middle",
        size: 10,
        fill: MUTED,
      }),
    );
    rs.forEach((r, j) => {
      const cx = x0 + 10 + (j + 0.5) * ((band - 20) / rs.length);
      const cy = y(Math.min(1, Math.max(0, r.windowAccuracy)));
      const colour = classColour(r.label);
      const verdict = `${labels[r.voted] ?? r.voted} ${r.correct ? "✓" : "✗"}${r.voteTied ? " (tie)" : ""}`;
      const tip = `${r.recording} (true ${labels[r.label] ?? r.label}): ${fixed(r.windowAccuracy)} of ${r.windows} ` +
        `windows correct, voted ${verdict}`;
      if (r.correct) {
        parts.push(
          `<circle cx="${px(cx)}" cy="${px(cy)}" r="6" fill="${colour}" stroke="#ffffff" stroke-width="1">` +
            `<title>${escapeXml(tip)}</title></circle>`,
        );
      } else {
        parts.push(
          `<g><title>${escapeXml(tip)}</title><circle cx="${px(cx)}" cy="${px(cy)}" r="5.5" fill="#ffffff" ` +
            `stroke="${colour}" stroke-width="2.2"/>` +
            line(cx - 2.6, cy - 2.6, cx + 2.6, cy + 2.6, colour, 'stroke-width="1.6"') +
            line(cx - 2.6, cy + 2.6, cx + 2.6, cy - 2.6, colour, 'stroke-width="1.6"') + "</g>",
        );
      }
    });
    x0 += band;
  });
  if (recordings.length === 0) {
    parts.push(text((left + right) / 2, (top + bottom) / 2, "no recordings", { anchor: "middle", fill: MUTED }));
  }
  parts.push(line(left, bottom, right, bottom, MUTED));
  parts.push(chanceLine(left, right, y, options.chance));
  return svgFrame({ plot: "recordings", width, height, title, split: options.split }, parts.join(""));
}
