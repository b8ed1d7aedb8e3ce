/**
 * Where the time went: one horizontal bar per stage of a run.
 *
 * @module
 */
import { escapeXml, fixed, line, linearScale, MUTED, niceTicks, OKABE_ITO, px, svgFrame, text } from "./_svg.ts";

/** Options of {@linkcode timingPlot}. */
export interface TimingPlotOptions {
  /** Plot title. Default `"Time per stage"`. */
  title?: string;
  /** Width in pixels. Default 520. */
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
 * Draws one bar per stage with its duration and share of the total.
 * Stages that are not finite numbers are left out.
 *
 * @param seconds Seconds per stage, e.g. `{ ingest: 30, train: 600, evaluate: 20 }`.
 * @param options Title and width.
 * @returns An `<svg data-plot="timings">` element.
 *
 * @example
 * ```ts
 * import { timingPlot } from "./timing_plot.ts";
 * import { assertStringIncludes } from "@std/assert";
 *
 * const svg = timingPlot({ ingest: 30, train: 90 });
 * assertStringIncludes(svg, ">1 min 30 s (75%)</text>");
 * ```
 */
export function timingPlot(seconds: Readonly<Record<string, number>>, options: TimingPlotOptions = {}): string {
  const title = options.title ?? "Time per stage";
  const width = options.width ?? 520;
  const stages = Object.entries(seconds).filter(([, s]) => typeof s === "number" && Number.isFinite(s) && s >= 0);
  const total = stages.reduce((a, [, s]) => a + s, 0);
  const left = 96, right = width - 130, top = 40, row = 30;
  const height = top + Math.max(1, stages.length) * row + 48;
  const ticks = niceTicks(0, Math.max(1e-9, ...stages.map(([, s]) => s)), 4);
  const x = linearScale([0, ticks[ticks.length - 1]], [left, right]);
  const parts: string[] = [text(8, 18, `${title} (total ${formatSeconds(total)})`, { size: 14, weight: "bold" })];
  const axisY = top + stages.length * row + 4;
  for (const t of ticks) {
    parts.push(line(x(t), top - 4, x(t), axisY, "#e3e3e3"));
    parts.push(text(x(t), axisY + 15, String(t), { anchor: "middle", size: 11, fill: MUTED }));
  }
  parts.push(text((left + right) / 2, axisY + 32, "seconds", { anchor: "middle", size: 11, fill: MUTED }));
  stages.forEach(([stage, s], i) => {
    const y = top + i * row;
    const share = total > 0 ? s / total : NaN;
    parts.push(text(left - 8, y + row / 2 - 2, stage, { anchor: "end", baseline: "middle" }));
    parts.push(
      `<rect x="${left}" y="${px(y + 4)}" width="${px(Math.max(1, x(s) - left))}" height="${row - 12}" ` +
        `fill="${OKABE_ITO.blue}"><title>${escapeXml(`${stage}: ${fixed(s, 1)} s`)}</title></rect>`,
    );
    parts.push(
      text(
        x(s) + 6,
        y + row / 2 - 2,
        `${formatSeconds(s)} (${Number.isFinite(share) ? (share * 100).toFixed(0) : "–"}%)`,
        {
          baseline: "middle",
          size: 11,
        },
      ),
    );
  });
  if (stages.length === 0) parts.push(text(left, top + 14, "no timings recorded", { fill: MUTED, italic: true }));
  parts.push(line(left, top - 4, left, axisY, MUTED));
  return svgFrame({ plot: "timings", width, height, title }, parts.join(""));
}
