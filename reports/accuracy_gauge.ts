/**
 * A small gauge for a summary card: window and recording accuracy as bars on
 * a 0-1 track, with the chance level marked. Declared as a Vega-Lite spec
 * ({@linkcode accuracyGaugeSpec}) with fixed pixel margins, so that it fits
 * the card, and rendered to SVG ({@linkcode accuracyGauge}).
 *
 * @module
 */
import { fixed, MUTED, OKABE_ITO } from "./_svg.ts";
import { renderChart, type VegaLiteSpec } from "./render_vega_lite.ts";

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

const LEFT = 74, RIGHT = 38, HEIGHT = 74;

/** The chance and majority ticks that are finite; a label only where it does not crowd the previous one. */
function ticks(options: AccuracyGaugeOptions, track: number): Record<string, unknown>[] {
  const marks: [number | undefined, string, number[]][] = [
    [options.chance, "chance", [4, 3]],
    [options.majority, "majority", [1, 2]],
  ];
  const labelled: number[] = [];
  return marks.filter(([value]) => typeof value === "number" && Number.isFinite(value)).map(([value, label, dash]) => {
    const x = (value as number) * track;
    const shown = labelled.every((d) => Math.abs(d - x) > 48);
    if (shown) labelled.push(x);
    return { value, label: shown ? label : "", dash };
  });
}

/**
 * The Vega-Lite spec of the two accuracies of a split as horizontal bars on a
 * 0-1 track, the value to the right, chance (dashed) and majority class
 * (dotted) as ticks across both.
 *
 * @param windowAccuracy Correct windows / windows.
 * @param recordingAccuracy Correct majority votes / recordings.
 * @param options Chance levels and width.
 * @returns The spec, with its data inline.
 *
 * @example
 * ```ts
 * import { accuracyGaugeSpec } from "./accuracy_gauge.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const spec = accuracyGaugeSpec(0.62, 0.75, { chance: 0.25, majority: 0.25 });
 * assertEquals([spec.width, spec.height], [138, 74]);
 * ```
 */
export function accuracyGaugeSpec(
  windowAccuracy: number,
  recordingAccuracy: number,
  options: AccuracyGaugeOptions = {},
): VegaLiteSpec {
  const track = (options.width ?? 250) - LEFT - RIGHT;
  const rows = ([["windows", windowAccuracy, OKABE_ITO.skyBlue], [
    "recordings",
    recordingAccuracy,
    OKABE_ITO.blue,
  ]] as const).map(([row, value, colour], i) => ({
    row,
    share: Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0,
    label: fixed(value),
    colour,
    top: 8 + i * 22,
    bottom: 24 + i * 22,
    middle: 16 + i * 22,
    tip: `${row}: ${fixed(value)}`,
  }));
  const px = (field: string) => ({ field, type: "quantitative", scale: null });
  const x = { type: "quantitative", scale: { domain: [0, 1] }, axis: null };
  const text = { type: "text", fontSize: 11, baseline: "middle", aria: false };
  return {
    width: track,
    height: HEIGHT,
    autosize: { type: "none" },
    padding: { left: LEFT, right: RIGHT, top: 0, bottom: 0 },
    data: { values: rows },
    layer: [
      {
        mark: { type: "rect", cornerRadius: 3, fill: "#eef1f4", x: 0, x2: track, aria: false },
        encoding: { y: px("top"), y2: px("bottom") },
      },
      {
        mark: { type: "rect", cornerRadius: 3 },
        encoding: {
          x: { ...x, field: "share" },
          x2: { datum: 0 },
          y: px("top"),
          y2: px("bottom"),
          color: { field: "colour", type: "nominal", scale: null },
          description: { field: "tip" },
        },
      },
      { mark: { ...text, align: "right", x: -6, color: MUTED }, encoding: { y: px("middle"), text: { field: "row" } } },
      {
        mark: { ...text, align: "left", x: track + 5, fontWeight: "bold" },
        encoding: { y: px("middle"), text: { field: "label" } },
      },
      {
        data: { values: ticks(options, track) },
        layer: [
          {
            mark: { type: "rule", color: "#222222", strokeWidth: 1.5, y: 4, y2: 50, aria: false },
            encoding: { x: { ...x, field: "value" }, strokeDash: { field: "dash", type: "nominal", scale: null } },
          },
          {
            mark: { ...text, fontSize: 10, color: MUTED, y: 62 },
            encoding: { x: { ...x, field: "value" }, text: { field: "label" } },
          },
        ],
      },
    ],
  };
}

/**
 * Draws the two accuracies of a split as horizontal bars against chance ({@linkcode accuracyGaugeSpec}).
 *
 * @param windowAccuracy Correct windows / windows.
 * @param recordingAccuracy Correct majority votes / recordings.
 * @param options Chance levels, split and width.
 * @returns An `<svg data-plot="gauge">` element and its spec.
 *
 * @example
 * ```ts
 * import { accuracyGauge } from "./accuracy_gauge.ts";
 * import { assertStringIncludes } from "@std/assert";
 *
 * const svg = await accuracyGauge(0.62, 0.75, { chance: 0.25 });
 * assertStringIncludes(svg, ">0.75</text>");
 * assertStringIncludes(svg, ">chance</text>");
 * ```
 */
export function accuracyGauge(
  windowAccuracy: number,
  recordingAccuracy: number,
  options: AccuracyGaugeOptions = {},
): Promise<string> {
  const title = `window accuracy ${fixed(windowAccuracy)}, recording accuracy ${fixed(recordingAccuracy)}` +
    (typeof options.chance === "number" ? `, chance ${fixed(options.chance)}` : "");
  return renderChart(accuracyGaugeSpec(windowAccuracy, recordingAccuracy, options), {
    title,
    data: { plot: "gauge", split: options.split },
  });
}
