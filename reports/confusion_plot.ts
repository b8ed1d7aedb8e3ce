/**
 * Confusion matrix heatmap: counts and row percentages, true class down,
 * predicted class across.
 *
 * @module
 */
import { escapeXml, MUTED, percent, px, svgFrame, text } from "./_svg.ts";

/** Options of {@linkcode confusionPlot}. */
export interface ConfusionPlotOptions {
  /** Plot title. Default `"Confusion matrix"`. */
  title?: string;
  /** What is counted, shown in tooltips and the totals column. Default `"windows"`. */
  unit?: string;
  /** Written as `data-split` on the `<svg>`. Default: none. */
  split?: string;
  /** Side of one cell in pixels. Default 64. */
  cellSize?: number;
}

/** Sequential blues (light to dark), readable in grey scale and with colour-vision deficiencies. */
const BLUES: [number, number, number][] = [
  [247, 251, 255],
  [198, 219, 239],
  [107, 174, 214],
  [33, 113, 181],
  [8, 48, 107],
];

function blue(t: number): string {
  const v = Math.min(1, Math.max(0, t)) * (BLUES.length - 1);
  const i = Math.min(BLUES.length - 2, Math.floor(v));
  const f = v - i;
  const c = BLUES[i].map((a, j) => Math.round(a + (BLUES[i + 1][j] - a) * f));
  return `rgb(${c.join(",")})`;
}

/**
 * Draws a confusion matrix as a heatmap. Each cell shows its count and its
 * share of the row (the true class), and is shaded by that share, so the
 * diagonal reads as per-class recall. Rows without any example are grey.
 *
 * @param confusion Square counts, `confusion[true][predicted]`.
 * @param labels Class names, one per row.
 * @param options Title, unit and size.
 * @returns An `<svg data-plot="confusion">` element.
 * @throws {TypeError} A matrix that is not square with one row per label.
 *
 * @example
 * ```ts
 * import { confusionPlot } from "./confusion_plot.ts";
 * import { assertStringIncludes } from "@std/assert";
 *
 * const svg = confusionPlot([[3, 1], [0, 4]], ["rest", "motor"]);
 * assertStringIncludes(svg, ">75%</text>");
 * assertStringIncludes(svg, ">motor</text>");
 * ```
 */
export function confusionPlot(
  confusion: readonly (readonly number[])[],
  labels: readonly string[],
  options: ConfusionPlotOptions = {},
): string {
  const n = labels.length;
  if (confusion.length !== n || confusion.some((row) => row.length !== n)) {
    throw new TypeError(
      `Cannot plot confusion matrix: expected ${n} x ${n} counts for ${n} labels, got ${confusion.length} x ${
        confusion[0]?.length ?? 0
      }`,
    );
  }
  const unit = options.unit ?? "windows";
  const title = options.title ?? "Confusion matrix";
  const cell = options.cellSize ?? 64;
  const labelWidth = Math.max(56, ...labels.map((l) => l.length * 7.5)) + 30;
  const left = labelWidth, top = 66;
  const width = left + n * cell + 70;
  const height = top + n * cell + 46;
  const parts: string[] = [text(8, 18, title, { size: 14, weight: "bold" })];
  parts.push(text(left + (n * cell) / 2, 38, "predicted class", { anchor: "middle", fill: MUTED }));
  parts.push(text(14, top + (n * cell) / 2, "true class", { anchor: "middle", rotate: -90, fill: MUTED }));
  parts.push(text(left + n * cell + 10, top - 8, `${unit}`, { size: 11, fill: MUTED }));
  labels.forEach((label, k) => {
    parts.push(text(left + k * cell + cell / 2, top - 8, label, { anchor: "middle", size: 12 }));
    parts.push(text(left - 8, top + k * cell + cell / 2, label, { anchor: "end", baseline: "middle", size: 12 }));
  });
  confusion.forEach((row, t) => {
    const total = row.reduce((a, b) => a + b, 0);
    row.forEach((count, p) => {
      const x = left + p * cell, y = top + t * cell;
      const share = total > 0 ? count / total : NaN;
      const fill = total > 0 ? blue(share) : "#eeeeee";
      const ink = share > 0.55 ? "#ffffff" : "#222222";
      const tip = total > 0
        ? `true ${labels[t]}, predicted ${labels[p]}: ${count} of ${total} ${unit} (${percent(share, 1)})`
        : `no ${unit} of true class ${labels[t]}`;
      parts.push(
        `<rect x="${px(x)}" y="${px(y)}" width="${cell}" height="${cell}" fill="${fill}" stroke="#ffffff" ` +
          `stroke-width="2"><title>${escapeXml(tip)}</title></rect>`,
      );
      if (total > 0) {
        parts.push(text(x + cell / 2, y + cell / 2 - 4, String(count), {
          anchor: "middle",
          size: 15,
          weight: "bold",
          fill: ink,
        }));
        parts.push(text(x + cell / 2, y + cell / 2 + 14, percent(share), { anchor: "middle", size: 11, fill: ink }));
      }
    });
    if (total === 0) {
      parts.push(text(left + (n * cell) / 2, top + t * cell + cell / 2, `no ${unit} of this class`, {
        anchor: "middle",
        baseline: "middle",
        size: 11,
        fill: MUTED,
        italic: true,
      }));
    }
    parts.push(text(left + n * cell + 10, top + t * cell + cell / 2, `n=${total}`, {
      baseline: "middle",
      size: 11,
      fill: MUTED,
    }));
  });
  for (let k = 0; k < n; k++) {
    if (confusion[k].every((count) => count === 0)) continue;
    parts.push(
      `<rect x="${px(left + k * cell + 1)}" y="${px(top + k * cell + 1)}" width="${cell - 2}" height="${
        cell - 2
      }" fill="none" stroke="#222222" stroke-width="1.5"/>`,
    );
  }
  parts.push(
    `<rect x="${px(left)}" y="${px(top + n * cell + 9)}" width="11" height="11" fill="none" stroke="#222222" ` +
      `stroke-width="1.5"/>`,
  );
  parts.push(
    text(left + 16, top + n * cell + 18, "outlined = correct; % = share of the row", {
      size: 11,
      fill: MUTED,
    }),
  );
  return svgFrame({ plot: "confusion", width, height, title, split: options.split }, parts.join(""));
}
