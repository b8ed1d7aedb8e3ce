/**
 * Small pure helpers that write SVG text for the report's plots: escaping,
 * number formats, scales, nice ticks, axes, legends and a colour-blind-safe
 * palette (Okabe & Ito, 2008). Inline SVG in HTML needs no namespace URL, so
 * none is written.
 *
 * @module
 */

/** Okabe-Ito colours, distinguishable with the common colour-vision deficiencies. */
export const OKABE_ITO = {
  black: "#000000",
  orange: "#E69F00",
  skyBlue: "#56B4E9",
  green: "#009E73",
  yellow: "#F0E442",
  blue: "#0072B2",
  vermillion: "#D55E00",
  purple: "#CC79A7",
} as const;

const CLASS_COLOURS = [
  OKABE_ITO.blue,
  OKABE_ITO.orange,
  OKABE_ITO.green,
  OKABE_ITO.purple,
  OKABE_ITO.skyBlue,
  OKABE_ITO.vermillion,
  OKABE_ITO.yellow,
  OKABE_ITO.black,
];

/** Text colour for labels and axes. */
export const INK = "#222222";
/** Colour of grid lines. */
export const GRID = "#e3e3e3";
/** Colour of secondary text. */
export const MUTED = "#666666";
/** Font stack of every plot. */
export const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', Arial, sans-serif";

/**
 * Colour of class `k` (rest blue, math orange, memory green, motor purple, ...).
 *
 * @param k Class index.
 * @returns A hex colour.
 *
 * @example
 * ```ts
 * import { classColour } from "./_svg.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(classColour(0), "#0072B2");
 * ```
 */
export function classColour(k: number): string {
  return CLASS_COLOURS[((k % CLASS_COLOURS.length) + CLASS_COLOURS.length) % CLASS_COLOURS.length];
}

/**
 * Escapes text for HTML or SVG content and attribute values.
 *
 * @param value Any value; converted with `String`.
 * @returns The text with `& < > " '` replaced by entities.
 *
 * @example
 * ```ts
 * import { escapeXml } from "./_svg.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(escapeXml(`<b a="1">'&'</b>`), "&lt;b a=&quot;1&quot;&gt;&#39;&amp;&#39;&lt;/b&gt;");
 * ```
 */
export function escapeXml(value: unknown): string {
  return String(value)
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

/**
 * Formats a number with fixed decimals, or an en dash when it is not finite.
 *
 * @param x The number.
 * @param digits Decimals (default 2).
 * @returns The text.
 *
 * @example
 * ```ts
 * import { fixed } from "./_svg.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals([fixed(0.125), fixed(NaN), fixed(3, 0)], ["0.13", "–", "3"]);
 * ```
 */
export function fixed(x: number | null | undefined, digits = 2): string {
  return typeof x === "number" && Number.isFinite(x) ? x.toFixed(digits) : "–";
}

/**
 * Formats a fraction as a percentage, or an en dash when it is not finite.
 *
 * @param x Fraction in [0, 1].
 * @param digits Decimals (default 0).
 * @returns E.g. `62%`.
 *
 * @example
 * ```ts
 * import { percent } from "./_svg.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(percent(0.625), "63%");
 * ```
 */
export function percent(x: number | null | undefined, digits = 0): string {
  return typeof x === "number" && Number.isFinite(x) ? `${(x * 100).toFixed(digits)}%` : "–";
}

/**
 * Rounds a coordinate to one decimal, to keep the SVG text short.
 *
 * @param x Coordinate in pixels.
 * @returns The rounded number.
 *
 * @example
 * ```ts
 * import { px } from "./_svg.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(px(1.234), 1.2);
 * ```
 */
export function px(x: number): number {
  return Math.round(x * 10) / 10;
}

/**
 * A linear map from a data interval to a pixel interval.
 *
 * @param domain `[low, high]` in data units (equal ends map to the middle).
 * @param range `[start, end]` in pixels.
 * @returns The map.
 *
 * @example
 * ```ts
 * import { linearScale } from "./_svg.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(linearScale([0, 1], [300, 100])(0.5), 200);
 * ```
 */
export function linearScale(domain: [number, number], range: [number, number]): (x: number) => number {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  if (d1 === d0) return () => (r0 + r1) / 2;
  return (x) => r0 + ((x - d0) / (d1 - d0)) * (r1 - r0);
}

/**
 * About `count` round tick values (1, 2 or 5 times a power of ten) covering `[low, high]`.
 *
 * @param low Smallest value.
 * @param high Largest value.
 * @param count Wanted number of intervals (default 5).
 * @returns Ticks in increasing order, the first <= low and the last >= high.
 *
 * @example
 * ```ts
 * import { niceTicks } from "./_svg.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(niceTicks(0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1]);
 * assertEquals(niceTicks(0.3, 1.7, 4), [0, 0.5, 1, 1.5, 2]);
 * ```
 */
export function niceTicks(low: number, high: number, count = 5): number[] {
  if (!Number.isFinite(low) || !Number.isFinite(high)) return [0, 1];
  if (high === low) {
    const pad = Math.abs(low) > 0 ? Math.abs(low) / 2 : 1;
    return niceTicks(low - pad, high + pad, count);
  }
  const raw = (high - low) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const first = Math.floor(low / step + 1e-9);
  const last = Math.ceil(high / step - 1e-9);
  const decimals = Math.max(0, -Math.floor(Math.log10(step)));
  const ticks: number[] = [];
  for (let i = first; i <= last; i++) ticks.push(Number((i * step).toFixed(decimals)));
  return ticks;
}

/** Attributes of the outer `<svg>` element of a plot. */
export interface SvgFrame {
  /** Kind of plot, written as `data-plot` so tests and styles can find it. */
  plot: string;
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** Accessible title (also the tooltip of the whole plot). */
  title: string;
  /** Written as `data-split` when given. */
  split?: string;
}

/**
 * Wraps plot content into an `<svg>` element with a title, a viewBox and the font.
 *
 * @param frame Size, kind and title.
 * @param body SVG content.
 * @returns The `<svg>` element.
 *
 * @example
 * ```ts
 * import { svgFrame } from "./_svg.ts";
 * import { assertStringIncludes } from "@std/assert";
 *
 * const svg = svgFrame({ plot: "demo", width: 10, height: 5, title: "a < b" }, "");
 * assertStringIncludes(svg, 'data-plot="demo"');
 * assertStringIncludes(svg, "<title>a &lt; b</title>");
 * ```
 */
export function svgFrame(frame: SvgFrame, body: string): string {
  const split = frame.split === undefined ? "" : ` data-split="${escapeXml(frame.split)}"`;
  return `<svg class="plot" data-plot="${
    escapeXml(frame.plot)
  }"${split} viewBox="0 0 ${frame.width} ${frame.height}" ` +
    `width="${frame.width}" height="${frame.height}" role="img" font-family="${escapeXml(FONT)}" font-size="12" ` +
    `fill="${INK}"><title>${escapeXml(frame.title)}</title>${body}</svg>`;
}

/** Options of {@linkcode text}. */
export interface TextOptions {
  /** `start`, `middle` or `end`. Default `start`. */
  anchor?: "start" | "middle" | "end";
  /** Font size in pixels. Default 12. */
  size?: number;
  /** Fill colour. Default {@linkcode INK}. */
  fill?: string;
  /** `bold` or `normal`. Default `normal`. */
  weight?: "bold" | "normal";
  /** Rotation in degrees around the anchor point. Default 0. */
  rotate?: number;
  /** Vertical alignment: `baseline` or `middle`. Default `baseline`. */
  baseline?: "baseline" | "middle";
  /** Italic when true. Default false. */
  italic?: boolean;
}

/**
 * An escaped SVG `<text>` element.
 *
 * @param x Anchor x in pixels.
 * @param y Anchor y in pixels.
 * @param content Text (escaped here).
 * @param options Alignment and style.
 * @returns The element.
 *
 * @example
 * ```ts
 * import { text } from "./_svg.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(text(1, 2, "A&B"), '<text x="1" y="2">A&amp;B</text>');
 * ```
 */
export function text(x: number, y: number, content: string, options: TextOptions = {}): string {
  const attrs = [`x="${px(x)}"`, `y="${px(y)}"`];
  if (options.anchor && options.anchor !== "start") attrs.push(`text-anchor="${options.anchor}"`);
  if (options.size && options.size !== 12) attrs.push(`font-size="${options.size}"`);
  if (options.fill && options.fill !== INK) attrs.push(`fill="${options.fill}"`);
  if (options.weight === "bold") attrs.push(`font-weight="bold"`);
  if (options.italic) attrs.push(`font-style="italic"`);
  if (options.baseline === "middle") attrs.push(`dominant-baseline="central"`);
  if (options.rotate) attrs.push(`transform="rotate(${options.rotate} ${px(x)} ${px(y)})"`);
  return `<text ${attrs.join(" ")}>${escapeXml(content)}</text>`;
}

/**
 * A straight line.
 *
 * @param x1 Start x.
 * @param y1 Start y.
 * @param x2 End x.
 * @param y2 End y.
 * @param stroke Colour.
 * @param extra Further attributes, e.g. `stroke-dasharray="4 3"`.
 * @returns The `<line>` element.
 *
 * @example
 * ```ts
 * import { line } from "./_svg.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(line(0, 0, 1, 1, "#000"), '<line x1="0" y1="0" x2="1" y2="1" stroke="#000"/>');
 * ```
 */
export function line(x1: number, y1: number, x2: number, y2: number, stroke: string, extra = ""): string {
  return `<line x1="${px(x1)}" y1="${px(y1)}" x2="${px(x2)}" y2="${px(y2)}" stroke="${stroke}"${
    extra ? " " + extra : ""
  }/>`;
}

/** Options of {@linkcode yAxis}. */
export interface YAxisOptions {
  /** Tick values. */
  ticks: number[];
  /** Data-to-pixel map. */
  scale: (y: number) => number;
  /** Left end of the plot area (axis position) in pixels. */
  left: number;
  /** Right end of the plot area (grid lines end) in pixels. */
  right: number;
  /** Axis title, written vertically. */
  title: string;
  /** Tick label format. Default: the number as text. */
  format?: (y: number) => string;
}

/**
 * A left y axis with horizontal grid lines, tick labels and a vertical title.
 *
 * @param options Ticks, scale, extent and title.
 * @returns SVG elements.
 *
 * @example
 * ```ts
 * import { linearScale, yAxis } from "./_svg.ts";
 * import { assertStringIncludes } from "@std/assert";
 *
 * const svg = yAxis({ ticks: [0, 1], scale: linearScale([0, 1], [100, 0]), left: 40, right: 200, title: "accuracy" });
 * assertStringIncludes(svg, ">accuracy</text>");
 * ```
 */
export function yAxis(options: YAxisOptions): string {
  const format = options.format ?? String;
  const parts = options.ticks.map((t) => {
    const y = options.scale(t);
    return line(options.left, y, options.right, y, GRID) +
      text(options.left - 6, y, format(t), { anchor: "end", baseline: "middle", size: 11, fill: MUTED });
  });
  const [y0, y1] = [options.scale(options.ticks[0]), options.scale(options.ticks[options.ticks.length - 1])];
  parts.push(line(options.left, y0, options.left, y1, MUTED));
  parts.push(text(14, (y0 + y1) / 2, options.title, { anchor: "middle", rotate: -90, fill: MUTED }));
  return parts.join("");
}

/** One entry of a {@linkcode legend}. */
export interface LegendItem {
  /** Text. */
  label: string;
  /** Colour of the swatch. */
  colour: string;
  /** `line`, `dashed`, `dot`, `ring` or `box`. Default `box`. */
  shape?: "line" | "dashed" | "dot" | "ring" | "box";
}

/**
 * A horizontal legend: swatch and label per item, left to right.
 *
 * @param items Entries.
 * @param x Left edge in pixels.
 * @param y Vertical centre in pixels.
 * @returns SVG elements.
 *
 * @example
 * ```ts
 * import { legend } from "./_svg.ts";
 * import { assertStringIncludes } from "@std/assert";
 *
 * assertStringIncludes(legend([{ label: "train", colour: "#0072B2", shape: "line" }], 0, 10), ">train</text>");
 * ```
 */
export function legend(items: readonly LegendItem[], x: number, y: number): string {
  let cursor = x;
  const parts: string[] = [];
  for (const item of items) {
    const shape = item.shape ?? "box";
    if (shape === "line" || shape === "dashed") {
      parts.push(
        line(
          cursor,
          y,
          cursor + 22,
          y,
          item.colour,
          `stroke-width="2.5"${shape === "dashed" ? ' stroke-dasharray="6 4"' : ""}`,
        ),
      );
      cursor += 28;
    } else if (shape === "dot" || shape === "ring") {
      parts.push(
        `<circle cx="${px(cursor + 6)}" cy="${px(y)}" r="5.5" fill="${
          shape === "dot" ? item.colour : "#fff"
        }" stroke="${item.colour}" stroke-width="2"/>`,
      );
      cursor += 16;
    } else {
      parts.push(`<rect x="${px(cursor)}" y="${px(y - 6)}" width="12" height="12" rx="2" fill="${item.colour}"/>`);
      cursor += 17;
    }
    parts.push(text(cursor, y, item.label, { baseline: "middle", size: 12 }));
    cursor += approximateTextWidth(item.label, 12) + 16;
  }
  return parts.join("");
}

/**
 * Approximate width of a text line in a sans-serif font, for layout without a browser.
 *
 * @param content Text.
 * @param size Font size in pixels.
 * @returns Width in pixels (about 0.58 em per character).
 *
 * @example
 * ```ts
 * import { approximateTextWidth } from "./_svg.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(approximateTextWidth("abcd", 10), 23.2);
 * ```
 */
export function approximateTextWidth(content: string, size: number): number {
  return px(content.length * size * 0.58);
}

/**
 * A dashed horizontal line at chance level across the plot, labelled "chance" and its value
 * to the right of `right`; nothing when `chance` is not a finite number.
 */
export function chanceLine(left: number, right: number, y: (value: number) => number, chance?: number): string {
  if (typeof chance !== "number" || !Number.isFinite(chance)) return "";
  const yc = y(chance);
  return line(left, yc, right, yc, "#222222", 'stroke-dasharray="5 4" stroke-width="1.5"') +
    text(right + 6, yc - 7, "chance", { size: 11 }) +
    text(right + 6, yc + 8, fixed(chance), { size: 11 });
}
