/**
 * A small gauge for a summary card: window and recording accuracy as bars on
 * a 0-1 track, with the chance level marked.
 *
 * @module
 */
import { escapeXml, fixed, line, linearScale, MUTED, OKABE_ITO, px, svgFrame, text } from "./_svg.ts";

/** Options of {@linkcode accuracyGauge}. */
export interface AccuracyGaugeOptions {
  /** Uniform chance level, drawn as a dashed tick. Default: none. */
  chance?: number;
  /** Accuracy of always guessing the most frequent class, drawn as a dotted tick. Default: none. */
  majority?: number;
  /** Written as `data-split` on the `<svg>`. Default: none. */
  split?: string;
  /** Width in pixels. Default 250. */
  width?: number;
}

/**
 * Draws the two accuracies of a split as horizontal bars against chance.
 *
 * @param windowAccuracy Correct windows / windows.
 * @param recordingAccuracy Correct majority votes / recordings.
 * @param options Chance levels, split and width.
 * @returns An `<svg data-plot="gauge">` element.
 *
 * @example
 * ```ts
 * import { accuracyGauge } from "./accuracy_gauge.ts";
 * import { assertStringIncludes } from "@std/assert";
 *
 * const svg = accuracyGauge(0.62, 0.75, { chance: 0.25 });
 * assertStringIncludes(svg, ">0.75</text>");
 * assertStringIncludes(svg, ">chance</text>");
 * ```
 */
export function accuracyGauge(
  windowAccuracy: number,
  recordingAccuracy: number,
  options: AccuracyGaugeOptions = {},
): string {
  const width = options.width ?? 250;
  const left = 74, right = width - 38, height = 74;
  const x = linearScale([0, 1], [left, right]);
  const parts: string[] = [];
  const rows: [string, number, string][] = [
    ["windows", windowAccuracy, OKABE_ITO.skyBlue],
    ["recordings", recordingAccuracy, OKABE_ITO.blue],
  ];
  rows.forEach(([label, value, colour], i) => {
    const y = 8 + i * 22;
    const v = Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0;
    parts.push(text(left - 6, y + 8, label, { anchor: "end", baseline: "middle", size: 11, fill: MUTED }));
    parts.push(`<rect x="${left}" y="${y}" width="${px(right - left)}" height="16" rx="3" fill="#eef1f4"/>`);
    parts.push(
      `<rect x="${left}" y="${y}" width="${px(x(v) - left)}" height="16" rx="3" fill="${colour}">` +
        `<title>${escapeXml(`${label}: ${fixed(value)}`)}</title></rect>`,
    );
    parts.push(text(right + 5, y + 8, fixed(value), { baseline: "middle", size: 11, weight: "bold" }));
  });
  const marks: [number | undefined, string, string][] = [
    [options.chance, "chance", "4 3"],
    [options.majority, "majority", "1 2"],
  ];
  const drawn: number[] = [];
  for (const [value, label, dash] of marks) {
    if (typeof value !== "number" || !Number.isFinite(value)) continue;
    const xm = x(value);
    parts.push(line(xm, 4, xm, 50, "#222222", `stroke-dasharray="${dash}" stroke-width="1.5"`));
    if (drawn.every((d) => Math.abs(d - xm) > 48)) {
      parts.push(text(xm, 64, label, { anchor: "middle", size: 10, fill: MUTED }));
      drawn.push(xm);
    }
  }
  const title = `window accuracy ${fixed(windowAccuracy)}, recording accuracy ${fixed(recordingAccuracy)}` +
    (typeof options.chance === "number" ? `, chance ${fixed(options.chance)}` : "");
  return svgFrame({ plot: "gauge", width, height, title, split: options.split }, parts.join(""));
}
