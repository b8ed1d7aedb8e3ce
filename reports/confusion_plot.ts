/**
 * Confusion matrix heatmap: counts and row percentages, true class down,
 * predicted class across. Declared as a Vega-Lite spec ({@linkcode confusionSpec})
 * and rendered to SVG ({@linkcode confusionPlot}).
 *
 * @module
 */
import { MUTED, percent } from "./_svg.ts";
import { renderChart, type VegaLiteSpec } from "./render_vega_lite.ts";

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
const BLUES = ["#f7fbff", "#c6dbef", "#6baed6", "#2171b5", "#08306b"];

/** One cell of the matrix, as the spec's data. */
interface Cell {
  true: string;
  predicted: string;
  count: number;
  total: number;
  share: number;
  tip: string;
}

function cells(confusion: readonly (readonly number[])[], labels: readonly string[], unit: string): Cell[] {
  return confusion.flatMap((row, t) => {
    const total = row.reduce((a, b) => a + b, 0);
    return row.map((count, p) => ({
      true: labels[t],
      predicted: labels[p],
      count,
      total,
      share: total > 0 ? count / total : 0,
      tip: total > 0
        ? `true ${labels[t]}, predicted ${labels[p]}: ${count} of ${total} ${unit} (${percent(count / total, 1)})`
        : `no ${unit} of true class ${labels[t]}`,
    }));
  });
}

/** Positions of the cells: predicted class across (labels on top), true class down. */
function cellPosition(labels: readonly string[]) {
  const axis = { domain: false, ticks: false, labelFontSize: 12, labelColor: "#222222", labelPadding: 6 };
  return {
    x: {
      field: "predicted",
      type: "nominal",
      sort: [...labels],
      scale: { padding: 0 },
      axis: { ...axis, orient: "top", labelAngle: 0, title: "predicted class", titlePadding: 8 },
    },
    y: {
      field: "true",
      type: "nominal",
      sort: [...labels],
      scale: { padding: 0 },
      axis: { ...axis, title: "true class", titlePadding: 10 },
    },
  };
}

/** The text layers: count and share in each cell, a note for empty rows, totals on the right. */
function cellTexts(labels: readonly string[], unit: string): VegaLiteSpec[] {
  const { x, y } = cellPosition(labels);
  const ink = { condition: { test: "datum.share > 0.55", value: "#ffffff" }, value: "#222222" };
  const filled = { filter: "datum.total > 0" };
  const diagonal = "datum.true === datum.predicted";
  const aside = { type: "text", fontSize: 11, color: MUTED, aria: false };
  return [
    {
      transform: [filled],
      mark: { type: "text", fontSize: 15, fontWeight: "bold", dy: -4, aria: false },
      encoding: { x, y, text: { field: "count" }, color: ink },
    },
    {
      transform: [filled],
      mark: { type: "text", fontSize: 11, baseline: "top", dy: 6, aria: false },
      encoding: { x, y, text: { field: "share", format: ".0%" }, color: ink },
    },
    {
      transform: [{ filter: `datum.total === 0 && ${diagonal}` }],
      mark: { ...aside, fontStyle: "italic", x: { expr: "width / 2" } },
      encoding: { y, text: { value: `no ${unit} of this class` } },
    },
    {
      transform: [{ filter: diagonal }, { calculate: "'n=' + datum.total", as: "n" }],
      mark: { ...aside, align: "left", x: { expr: "width + 10" } },
      encoding: { y, text: { field: "n" } },
    },
  ];
}

/** The unit above the totals and the key under the matrix. */
function annotations(unit: string): VegaLiteSpec[] {
  const once = { values: [{}] };
  const aside = { type: "text", fontSize: 11, color: MUTED, align: "left", aria: false };
  return [
    { data: once, mark: { ...aside, x: { expr: "width + 10" }, y: -8 }, encoding: { text: { value: unit } } },
    {
      data: once,
      mark: { ...aside, x: 16, y: { expr: "height + 15" }, baseline: "middle" },
      encoding: { text: { value: "outlined = correct; % = share of the row" } },
    },
    {
      data: once,
      mark: {
        type: "rect",
        x: 0,
        x2: 11,
        y: { expr: "height + 9.5" },
        y2: { expr: "height + 20.5" },
        fill: null,
        stroke: "#222222",
        strokeWidth: 1.5,
        aria: false,
      },
    },
  ];
}

/**
 * The Vega-Lite spec of a confusion matrix heatmap. Each cell shows its count
 * and its share of the row (the true class), and is shaded by that share, so
 * the diagonal, outlined, reads as per-class recall. Rows without any example
 * are grey and say so; the number of examples per row stands on the right.
 *
 * @param confusion Square counts, `confusion[true][predicted]`.
 * @param labels Class names, one per row.
 * @param options Title, unit and size.
 * @returns The spec, with its data inline.
 * @throws {TypeError} A matrix that is not square with one row per label.
 *
 * @example
 * ```ts
 * import { confusionSpec } from "./confusion_plot.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const spec = confusionSpec([[3, 1], [0, 4]], ["rest", "motor"]);
 * assertEquals((spec.data as { values: unknown[] }).values.length, 4);
 * ```
 */
export function confusionSpec(
  confusion: readonly (readonly number[])[],
  labels: readonly string[],
  options: ConfusionPlotOptions = {},
): VegaLiteSpec {
  const n = labels.length;
  if (confusion.length !== n || confusion.some((row) => row.length !== n)) {
    throw new TypeError(
      `Cannot plot confusion matrix: expected ${n} x ${n} counts for ${n} labels, got ${confusion.length} x ${
        confusion[0]?.length ?? 0
      }`,
    );
  }
  const unit = options.unit ?? "windows";
  const cell = options.cellSize ?? 64;
  const { x, y } = cellPosition(labels);
  return {
    title: options.title ?? "Confusion matrix",
    width: { step: cell },
    height: { step: cell },
    data: { values: cells(confusion, labels, unit) },
    layer: [
      {
        mark: { type: "rect", stroke: "#ffffff", strokeWidth: 2 },
        encoding: {
          x,
          y,
          color: {
            condition: { test: "datum.total === 0", value: "#eeeeee" },
            field: "share",
            type: "quantitative",
            scale: { domain: [0, 1], range: BLUES },
            legend: null,
          },
          description: { field: "tip" },
        },
      },
      {
        transform: [{ filter: "datum.true === datum.predicted && datum.total > 0" }],
        mark: { type: "rect", fill: null, stroke: "#222222", strokeWidth: 1.5, aria: false },
        encoding: { x, y },
      },
      ...cellTexts(labels, unit),
      ...annotations(unit),
    ],
  };
}

/**
 * Draws a confusion matrix as a heatmap ({@linkcode confusionSpec}).
 *
 * @param confusion Square counts, `confusion[true][predicted]`.
 * @param labels Class names, one per row.
 * @param options Title, unit and size.
 * @returns An `<svg data-plot="confusion">` element and its spec.
 * @throws {TypeError} A matrix that is not square with one row per label.
 *
 * @example
 * ```ts
 * import { confusionPlot } from "./confusion_plot.ts";
 * import { assertStringIncludes } from "@std/assert";
 *
 * const svg = await confusionPlot([[3, 1], [0, 4]], ["rest", "motor"]);
 * assertStringIncludes(svg, ">75%</text>");
 * assertStringIncludes(svg, ">motor</text>");
 * ```
 */
export function confusionPlot(
  confusion: readonly (readonly number[])[],
  labels: readonly string[],
  options: ConfusionPlotOptions = {},
): Promise<string> {
  const spec = confusionSpec(confusion, labels, options);
  return renderChart(spec, {
    title: options.title ?? "Confusion matrix",
    data: { plot: "confusion", split: options.split },
  });
}
