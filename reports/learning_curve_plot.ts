/**
 * Learning curve: training and validation loss, or accuracy, per epoch.
 * Declared as a Vega-Lite spec ({@linkcode learningCurveSpec}) and rendered
 * to SVG ({@linkcode learningCurvePlot}).
 *
 * @module
 */
import { approximateTextWidth, emptyNote, fixed, GRID, MUTED, niceTicks, OKABE_ITO } from "./_svg.ts";
import { renderChart, type VegaLiteSpec } from "./render_vega_lite.ts";
import type { EpochMetrics } from "../training/fit.ts";

/**
 * The fields of one `metrics.jsonl` line that the learning curves read; the
 * `EpochMetrics` written by `pipeline/fit.ts` has these and more.
 */
export type LearningCurveEpoch = Pick<
  EpochMetrics,
  "epoch" | "trainLoss" | "trainAccuracy" | "valLoss" | "valAccuracy" | "learningRate" | "seconds"
>;

/** Options of {@linkcode learningCurvePlot}. */
export interface LearningCurvePlotOptions {
  /** Epoch to mark as best (kept weights). Default: none. */
  bestEpoch?: number;
  /** Epoch at which early stopping ended training. Default: none. */
  stoppedEpoch?: number;
  /** Chance accuracy, drawn as a dashed line on the accuracy plot. Default: none. */
  chance?: number;
  /** Width of the plot area in pixels. Default 440. */
  width?: number;
  /** Height of the plot area in pixels. Default 200. */
  height?: number;
}

const SERIES = ["train", "validation"];

function finite(x: number | undefined | null): x is number {
  return typeof x === "number" && Number.isFinite(x);
}

/**
 * Vega-Lite layers of the best and early-stopping epochs: a vertical line
 * each, labelled above the plot, best to the right of its line and early
 * stop to the left (each flipped when it would leave the plot), the second
 * label a row higher when the two would overlap.
 */
function epochMarkLayers(
  options: LearningCurvePlotOptions,
  domain: [number, number],
  width: number,
  x: Record<string, unknown>,
): Record<string, unknown>[] {
  const marks: [number | undefined, string, string, number[]][] = [
    [options.bestEpoch, `best: epoch ${options.bestEpoch}`, "#444444", [5, 3]],
    [options.stoppedEpoch, `early stop: epoch ${options.stoppedEpoch}`, MUTED, [1, 3]],
  ];
  const spans: [number, number][] = [];
  return marks.flatMap(([epoch, label, colour, dash], i) => {
    if (!finite(epoch) || epoch < domain[0] || epoch > domain[1]) return [];
    if (i === 1 && epoch === options.bestEpoch) return [];
    const xe = ((epoch - domain[0]) / (domain[1] - domain[0])) * width, extent = approximateTextWidth(label, 11);
    const alignRight = i === 1 ? xe - extent - 4 >= 0 : xe + extent + 4 > width;
    const start = alignRight ? xe - 4 - extent : xe + 4;
    const overlaps = spans.some(([a, b]) => start < b + 6 && start + extent > a - 6);
    spans.push([start, start + extent]);
    const data = { values: [{ epoch }] };
    return [
      {
        data,
        mark: { type: "rule", color: colour, strokeDash: dash, y: 0, y2: { expr: "height" }, aria: false },
        encoding: { x },
      },
      {
        data,
        mark: {
          type: "text",
          text: label,
          color: colour,
          fontSize: 11,
          align: alignRight ? "right" : "left",
          dx: alignRight ? -4 : 4,
          y: overlaps ? -19 : -6,
          aria: false,
        },
        encoding: { x },
      },
    ];
  });
}

/** The dashed chance line of the accuracy plot, labelled at its right end. */
function chanceLayer(chance: number | undefined): Record<string, unknown>[] {
  if (!finite(chance)) return [];
  const data = { values: [{ chance }] }, y = { field: "chance", type: "quantitative" };
  return [{
    data,
    layer: [
      { mark: { type: "rule", color: MUTED, strokeDash: [2, 4], strokeWidth: 1.5, aria: false }, encoding: { y } },
      {
        mark: {
          type: "text",
          text: `chance ${fixed(chance)}`,
          color: MUTED,
          align: "right",
          baseline: "bottom",
          x: { expr: "width" },
          dx: -4,
          dy: -4,
          aria: false,
        },
        encoding: { y },
      },
    ],
  }];
}

/** One row per epoch and series with a finite value, for the lines and dots. */
function curveRows(entries: readonly LearningCurveEpoch[], metric: "loss" | "accuracy"): Record<string, unknown>[] {
  const keys = metric === "loss" ? ["trainLoss", "valLoss"] as const : ["trainAccuracy", "valAccuracy"] as const;
  return keys.flatMap((key, s) =>
    entries.filter((e) => finite(e[key])).map((e) => ({
      epoch: e.epoch,
      series: SERIES[s],
      value: e[key],
      tip: `${SERIES[s]}, epoch ${e.epoch}: ${fixed(e[key], 3)}`,
    }))
  );
}

/**
 * The Vega-Lite spec of one learning curve plot: the training series as a
 * solid line with dots, the validation series (where recorded) as a dashed
 * line with squares, the best epoch and the early-stopping epoch as labelled
 * vertical lines, and on the accuracy plot the chance level. Epochs without a
 * validation value are skipped, not drawn as zero.
 *
 * @param history Epoch entries of `metrics.jsonl`, any order.
 * @param metric `"loss"` or `"accuracy"`.
 * @param options Marks and size.
 * @returns The spec, with its data inline.
 * @throws {RangeError} An unknown metric.
 *
 * @example
 * ```ts
 * import { learningCurveSpec } from "./learning_curve_plot.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const history = [1, 2].map((epoch) => ({
 *   epoch, trainLoss: 1 / epoch, trainAccuracy: 0.3 * epoch, valLoss: 1.2, learningRate: 1e-3, seconds: 10,
 * }));
 * const spec = learningCurveSpec(history, "loss");
 * assertEquals((spec.data as { values: unknown[] }).values.length, 4); // 2 epochs x (train, validation)
 * ```
 */
export function learningCurveSpec(
  history: readonly LearningCurveEpoch[],
  metric: "loss" | "accuracy",
  options: LearningCurvePlotOptions = {},
): VegaLiteSpec {
  if (metric !== "loss" && metric !== "accuracy") {
    throw new RangeError(`Cannot plot learning curve: metric must be "loss" or "accuracy", got ${metric}`);
  }
  const width = options.width ?? 440;
  const entries = [...history].filter((e) => finite(e.epoch)).sort((a, b) => a.epoch - b.epoch);
  const values = curveRows(entries, metric);
  const series = values.some((v) => v.series === SERIES[1]) ? SERIES : SERIES.slice(0, 1);
  const epochs = entries.map((e) => e.epoch);
  const [low, high] = epochs.length ? [epochs[0], epochs[epochs.length - 1]] : [1, 1];
  const domain: [number, number] = low === high ? [low - 1, high + 1] : [low, high];
  const step = Math.max(1, Math.ceil((high - low + 1) / 10));
  const xTicks = Array.from({ length: Math.floor((high - low) / step) + 1 }, (_, i) => low + i * step);
  const yTicks = metric === "accuracy"
    ? [0, 0.2, 0.4, 0.6, 0.8, 1]
    : niceTicks(0, Math.max(0, ...values.map((v) => v.value as number)) || 1);
  const x = {
    field: "epoch",
    type: "quantitative",
    scale: { domain, nice: false, zero: false },
    axis: { title: "epoch", values: xTicks, tickCount: xTicks.length, format: "d", grid: false },
  };
  const y = {
    field: "value",
    type: "quantitative",
    scale: { domain: [yTicks[0], yTicks[yTicks.length - 1]], nice: false },
    axis: { title: metric, values: yTicks, tickCount: yTicks.length, format: metric === "accuracy" ? ".1f" : "~g" },
  };
  const byColour = {
    field: "series",
    type: "nominal",
    scale: { domain: series, range: [OKABE_ITO.blue, OKABE_ITO.vermillion] },
  };
  const byDash = { field: "series", type: "nominal", scale: { domain: series, range: [[1, 0], [7, 4]] } };
  const byShape = {
    field: "series",
    type: "nominal",
    scale: { domain: series, range: ["circle", "square"] },
  };
  return {
    title: {
      text: metric === "loss" ? "Loss per epoch" : "Accuracy per epoch",
      ...(series.length === 1
        ? { subtitle: "no validation recorded", subtitleFontStyle: "italic", subtitleColor: MUTED }
        : {}),
    },
    width,
    height: options.height ?? 200,
    data: { values },
    view: { stroke: GRID },
    layer: [
      {
        mark: { type: "line", strokeWidth: 2.5, strokeJoin: "round", aria: false },
        encoding: { x, y, color: byColour, strokeDash: byDash },
      },
      ...(entries.length <= 60
        ? [{
          mark: { type: "point", filled: true, size: 49, opacity: 1 },
          encoding: { x, y, color: byColour, shape: byShape, description: { field: "tip" } },
        }]
        : []),
      ...(metric === "accuracy" ? chanceLayer(options.chance) : []),
      ...epochMarkLayers(options, domain, width, x),
      ...emptyNote(entries.length, "no epochs recorded"),
    ],
  };
}

/**
 * Draws one learning curve plot ({@linkcode learningCurveSpec}).
 *
 * @param history Epoch entries of `metrics.jsonl`, any order.
 * @param metric `"loss"` or `"accuracy"`.
 * @param options Marks and size.
 * @returns An `<svg data-plot="learning-loss">` (or `learning-accuracy`) element and its spec.
 * @throws {RangeError} An unknown metric.
 *
 * @example
 * ```ts
 * import { learningCurvePlot } from "./learning_curve_plot.ts";
 * import { assertStringIncludes } from "@std/assert";
 *
 * const history = [1, 2, 3].map((epoch) => ({
 *   epoch, trainLoss: 1.4 / epoch, trainAccuracy: 0.3 * epoch, learningRate: 1e-3, seconds: 10,
 * }));
 * const svg = await learningCurvePlot(history, "accuracy", { chance: 0.25 });
 * assertStringIncludes(svg, 'data-plot="learning-accuracy"');
 * assertStringIncludes(svg, "no validation recorded");
 * ```
 */
export function learningCurvePlot(
  history: readonly LearningCurveEpoch[],
  metric: "loss" | "accuracy",
  options: LearningCurvePlotOptions = {},
): Promise<string> {
  const spec = learningCurveSpec(history, metric, options);
  return renderChart(spec, {
    title: metric === "loss" ? "Loss per epoch" : "Accuracy per epoch",
    data: { plot: `learning-${metric}` },
  });
}
