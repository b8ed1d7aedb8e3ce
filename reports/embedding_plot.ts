/**
 * Scatter plots of a 2-D embedding (UMAP of codes), coloured by a group (class
 * or subject), and the self-contained `embed.html` page that shows them.
 *
 * @module
 */
import { classColour, escapeXml, FONT, INK, MUTED } from "./_svg.ts";

/** One embedded window. */
export interface EmbeddedPoint {
  /** First coordinate. */
  x: number;
  /** Second coordinate. */
  y: number;
  /** Index of its group in the plot's `groups`. */
  group: number;
}

/**
 * Draws points as a square SVG scatter plot with one colour per group and a legend.
 *
 * @param points The points.
 * @param groups Group names, in colour order.
 * @param title Title above the plot.
 * @returns The SVG text.
 *
 * @example
 * ```ts
 * import { embeddingScatterSvg } from "./embedding_plot.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const svg = embeddingScatterSvg([{ x: 0, y: 0, group: 0 }, { x: 1, y: 2, group: 1 }], ["rest", "math"], "by class");
 * assertEquals(svg.match(/<circle /g)?.length, 2 + 2); // two points, two legend dots
 * ```
 */
export function embeddingScatterSvg(
  points: readonly EmbeddedPoint[],
  groups: readonly string[],
  title: string,
): string {
  const size = 420, pad = 16, top = 30, legend = 120;
  const xs = points.map((p) => p.x), ys = points.map((p) => p.y);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const sx = (x: number) => pad + ((x - x0) / ((x1 - x0) || 1)) * size;
  const sy = (y: number) => top + size - ((y - y0) / ((y1 - y0) || 1)) * size;
  const dots = points.map((p) =>
    `<circle cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="2.6" fill="${
      classColour(p.group)
    }" fill-opacity="0.75"/>`
  );
  const keys = groups.map((name, k) =>
    `<circle cx="${pad + size + 24}" cy="${top + 10 + 18 * k}" r="5" fill="${classColour(k)}"/>` +
    `<text x="${pad + size + 34}" y="${top + 14 + 18 * k}" font-size="12" fill="${INK}">${escapeXml(name)}</text>`
  );
  const width = pad + size + legend, height = top + size + pad;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="${FONT}">` +
    `<text x="${pad}" y="20" font-size="14" fill="${INK}">${escapeXml(title)}</text>` +
    `<rect x="${pad}" y="${top}" width="${size}" height="${size}" fill="none" stroke="${MUTED}" stroke-width="0.5"/>` +
    dots.join("") + keys.join("") + `</svg>`;
}

/**
 * The `embed.html` page: a heading, a paragraph, the probe accuracies and the plots.
 *
 * @param title Page heading.
 * @param intro A paragraph (text, escaped).
 * @param rows Lines of the accuracy table: a name and a value.
 * @param plots SVG texts, shown side by side.
 * @returns The HTML text (no scripts, loads nothing).
 *
 * @example
 * ```ts
 * import { renderEmbedPage } from "./embedding_plot.ts";
 * import { assertStringIncludes } from "@std/assert";
 *
 * const html = renderEmbedPage("Embeddings", "UMAP of codes", [["class probe test1", "0.50"]], ["<svg></svg>"]);
 * assertStringIncludes(html, "<td>class probe test1</td><td>0.50</td>");
 * ```
 */
export function renderEmbedPage(title: string, intro: string, rows: [string, string][], plots: string[]): string {
  const table = rows.map(([name, value]) => `<tr><td>${escapeXml(name)}</td><td>${escapeXml(value)}</td></tr>`);
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeXml(title)}</title>
<style>body{font:15px/1.5 ${FONT};color:${INK};margin:24px}td{padding:2px 12px 2px 0}.plots{display:flex;flex-wrap:wrap;gap:16px}</style>
</head><body><h1>${escapeXml(title)}</h1><p>${escapeXml(intro)}</p>
<table>${table.join("")}</table><div class="plots">${plots.join("")}</div></body></html>
`;
}
