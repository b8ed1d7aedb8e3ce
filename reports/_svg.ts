/**
 * Small pure helpers shared by the report pages and their charts: escaping,
 * number formats, nice ticks, a colour-blind-safe palette (Okabe & Ito, 2008)
 * and the pieces of Vega-Lite specs that several charts use (accuracy axis,
 * chance line, captions under a band axis, a note for an empty chart).
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
  return Math.round(content.length * size * 5.8) / 10;
}

/**
 * The y axis of an accuracy from 0 to 1: ticks every 0.2 with one decimal, grid lines.
 *
 * @param title Axis title.
 * @returns A Vega-Lite axis definition.
 *
 * @example
 * ```ts
 * import { accuracyAxis } from "./_svg.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(accuracyAxis("accuracy").values, [0, 0.2, 0.4, 0.6, 0.8, 1]);
 * ```
 */
export function accuracyAxis(title: string): Record<string, unknown> {
  // Vega thins explicit tick values down to tickCount, which defaults to one per 40 pixels.
  return { title, values: [0, 0.2, 0.4, 0.6, 0.8, 1], tickCount: 6, format: ".1f", grid: true };
}

/**
 * Vega-Lite layers of a dashed horizontal line at chance level across the
 * plot, labelled "chance" and its value to the right of the plot; none when
 * `chance` is not a finite number.
 *
 * @param chance Chance accuracy.
 * @returns Zero or two layers (rule and label) with their own data.
 *
 * @example
 * ```ts
 * import { chanceLayers } from "./_svg.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(chanceLayers(undefined), []);
 * assertEquals(chanceLayers(0.25).length, 2);
 * ```
 */
export function chanceLayers(chance?: number): Record<string, unknown>[] {
  if (typeof chance !== "number" || !Number.isFinite(chance)) return [];
  const data = { values: [{ chance, label: ["chance", fixed(chance)] }] };
  const y = { field: "chance", type: "quantitative" };
  return [
    { data, mark: { type: "rule", color: INK, strokeDash: [5, 4], strokeWidth: 1.5, aria: false }, encoding: { y } },
    {
      data,
      mark: { type: "text", align: "left", baseline: "middle", dx: 6, fontSize: 11, x: { expr: "width" }, aria: false },
      encoding: { y, text: { field: "label" } },
    },
  ];
}

/**
 * A Vega-Lite text layer of small grey captions under the labels of a band x axis.
 *
 * @param x The x encoding of the band axis (its field names each row's band).
 * @param rows One object per band: the band's value under the x field and `caption`.
 * @returns The layer, with its own data.
 *
 * @example
 * ```ts
 * import { captionLayer } from "./_svg.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const layer = captionLayer({ field: "subject" }, [{ subject: "7", caption: "80 win" }]);
 * assertEquals((layer.data as { values: unknown[] }).values.length, 1);
 * ```
 */
export function captionLayer(
  x: Record<string, unknown>,
  rows: readonly Record<string, unknown>[],
): Record<string, unknown> {
  return {
    data: { values: rows },
    mark: { type: "text", fontSize: 10, color: MUTED, baseline: "top", y: { expr: "height + 24" }, aria: false },
    encoding: { x, text: { field: "caption" } },
  };
}

/**
 * A Vega-Lite text layer saying, in the middle of the plot, that there is nothing to draw.
 *
 * @param count How many things the chart draws.
 * @param note What to say when there are none.
 * @returns One layer when `count` is 0, else none.
 *
 * @example
 * ```ts
 * import { emptyNote } from "./_svg.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals([emptyNote(0, "no subjects").length, emptyNote(3, "no subjects").length], [1, 0]);
 * ```
 */
export function emptyNote(count: number, note: string): Record<string, unknown>[] {
  if (count > 0) return [];
  return [{
    data: { values: [{}] },
    mark: {
      type: "text",
      color: MUTED,
      fontStyle: "italic",
      fontSize: 12,
      x: { expr: "width / 2" },
      y: { expr: "height / 2" },
      aria: false,
    },
    encoding: { text: { value: note } },
  }];
}
