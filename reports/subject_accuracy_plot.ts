/**
 * Accuracy per subject: window and recording accuracy as paired bars, with
 * the chance level as a dashed line.
 *
 * @module
 */
import type { SubjectMetrics } from "../evaluation/metrics.ts";
import {
  chanceLine,
  escapeXml,
  fixed,
  legend,
  line,
  linearScale,
  MUTED,
  OKABE_ITO,
  px,
  svgFrame,
  text,
  yAxis,
} from "./_svg.ts";

/** Options of {@linkcode subjectAccuracyPlot}. */
export interface SubjectAccuracyPlotOptions {
  /** Chance accuracy drawn as a dashed line. Default: none. */
  chance?: number;
  /** Plot title. Default `"Accuracy per subject"`. */
  title?: string;
  /** Written as `data-split` on the `<svg>`. Default: none. */
  split?: string;
  /** Height in pixels. Default 300. */
  height?: number;
}

const WINDOW_COLOUR = OKABE_ITO.skyBlue;
const RECORDING_COLOUR = OKABE_ITO.blue;

/**
 * Draws window accuracy (light) and majority-vote recording accuracy (dark)
 * for each subject, with the value above each bar and the number of windows
 * and recordings under the subject's name.
 *
 * @param subjects One entry per subject, drawn in the given order.
 * @param options Chance line, title and size.
 * @returns An `<svg data-plot="subjects">` element.
 *
 * @example
 * ```ts
 * import { subjectAccuracyPlot } from "./subject_accuracy_plot.ts";
 * import { assertStringIncludes } from "@std/assert";
 *
 * const svg = subjectAccuracyPlot(
 *   [{ subject: "162935", windows: 80, windowAccuracy: 0.6, recordings: 8, recordingAccuracy: 0.75 }],
 *   { chance: 0.25 },
 * );
 * assertStringIncludes(svg, ">162935</text>");
 * assertStringIncludes(svg, ">chance</text>");
 * ```
 */
export function subjectAccuracyPlot(
  subjects: readonly SubjectMetrics[],
  options: SubjectAccuracyPlotOptions = {},
): string {
  const title = options.title ?? "Accuracy per subject";
  const height = options.height ?? 300;
  const group = 112;
  const left = 52, top = 62, bottom = height - 50;
  const width = Math.max(300, left + subjects.length * group + 80);
  const right = width - 72;
  const y = linearScale([0, 1], [bottom, top]);
  const parts: string[] = [text(8, 18, title, { size: 14, weight: "bold" })];
  parts.push(yAxis({
    ticks: [0, 0.2, 0.4, 0.6, 0.8, 1],
    scale: y,
    left,
    right,
    title: "accuracy",
    format: (v) => v.toFixed(1),
  }));
  parts.push(legend(
    [
      { label: "windows", colour: WINDOW_COLOUR },
      { label: "recordings (vote)", colour: RECORDING_COLOUR },
    ],
    left,
    34,
  ));
  const bar = 34;
  const start = left + (right - left - subjects.length * group) / 2;
  subjects.forEach((s, i) => {
    const centre = start + i * group + group / 2;
    const bars: [number, string, string][] = [
      [s.windowAccuracy, WINDOW_COLOUR, `${s.windows} windows`],
      [s.recordingAccuracy, RECORDING_COLOUR, `${s.recordings} recordings`],
    ];
    bars.forEach(([value, colour, what], j) => {
      const x = centre - bar - 2 + j * (bar + 4);
      const v = Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0;
      parts.push(
        `<rect x="${px(x)}" y="${px(y(v))}" width="${bar}" height="${px(bottom - y(v))}" fill="${colour}">` +
          `<title>${escapeXml(`subject ${s.subject}: ${fixed(value)} over ${what}`)}</title></rect>`,
      );
      parts.push(text(x + bar / 2, y(v) - 5, fixed(value), { anchor: "middle", size: 11 }));
    });
    parts.push(text(centre, bottom + 17, s.subject, { anchor: "middle", size: 12 }));
    parts.push(
      text(centre, bottom + 32, `${s.windows} win · ${s.recordings} rec`, { anchor: "middle", size: 10, fill: MUTED }),
    );
  });
  if (subjects.length === 0) {
    parts.push(text((left + right) / 2, (top + bottom) / 2, "no subjects", { anchor: "middle", fill: MUTED }));
  }
  parts.push(line(left, bottom, right, bottom, MUTED));
  parts.push(chanceLine(left, right, y, options.chance));
  return svgFrame({ plot: "subjects", width, height, title, split: options.split }, parts.join(""));
}
