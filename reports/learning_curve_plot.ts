/**
 * Learning curve: training and validation loss, or accuracy, per epoch.
 *
 * @module
 */
import {
  approximateTextWidth,
  fixed,
  GRID,
  legend,
  type LegendItem,
  line,
  linearScale,
  MUTED,
  niceTicks,
  OKABE_ITO,
  px,
  svgFrame,
  text,
  yAxis,
} from "./_svg.ts";
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
  /** Width in pixels. Default 520. */
  width?: number;
  /** Height in pixels. Default 300. */
  height?: number;
}

const TRAIN = OKABE_ITO.blue;
const VALIDATION = OKABE_ITO.vermillion;

function finite(x: number | undefined | null): x is number {
  return typeof x === "number" && Number.isFinite(x);
}

function polyline(points: [number, number][], colour: string, dashed: boolean): string {
  if (points.length < 2) return "";
  const d = points.map(([x, y]) => `${px(x)},${px(y)}`).join(" ");
  return `<polyline points="${d}" fill="none" stroke="${colour}" stroke-width="2.5" stroke-linejoin="round"${
    dashed ? ' stroke-dasharray="7 4"' : ""
  }/>`;
}

function markers(points: [number, number][], colour: string, square: boolean, tips: string[]): string {
  return points.map(([x, y], i) =>
    square
      ? `<rect x="${px(x - 3.5)}" y="${px(y - 3.5)}" width="7" height="7" fill="${colour}"><title>${
        tips[i]
      }</title></rect>`
      : `<circle cx="${px(x)}" cy="${px(y)}" r="3.5" fill="${colour}"><title>${tips[i]}</title></circle>`
  ).join("");
}

/**
 * Draws one learning curve plot: the training series as a solid line with
 * dots, the validation series (where recorded) as a dashed line with squares,
 * the best epoch and the early-stopping epoch as labelled vertical lines.
 * Epochs without a validation value are skipped, not drawn as zero.
 *
 * @param history Epoch entries of `metrics.jsonl`, any order.
 * @param metric `"loss"` or `"accuracy"`.
 * @param options Marks and size.
 * @returns An `<svg data-plot="learning-loss">` (or `learning-accuracy`) element.
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
 * const svg = learningCurvePlot(history, "accuracy", { chance: 0.25 });
 * assertStringIncludes(svg, 'data-plot="learning-accuracy"');
 * assertStringIncludes(svg, "no validation recorded");
 * ```
 */
export function learningCurvePlot(
  history: readonly LearningCurveEpoch[],
  metric: "loss" | "accuracy",
  options: LearningCurvePlotOptions = {},
): string {
  if (metric !== "loss" && metric !== "accuracy") {
    throw new RangeError(`Cannot plot learning curve: metric must be "loss" or "accuracy", got ${metric}`);
  }
  const width = options.width ?? 520;
  const height = options.height ?? 300;
  const left = 58, right = width - 18, top = 54, bottom = height - 42;
  const entries = [...history].filter((e) => finite(e.epoch)).sort((a, b) => a.epoch - b.epoch);
  const trainKey = metric === "loss" ? "trainLoss" : "trainAccuracy";
  const valKey = metric === "loss" ? "valLoss" : "valAccuracy";
  const trainSeries = entries.filter((e) => finite(e[trainKey])).map((e) => [e.epoch, e[trainKey]] as [number, number]);
  const valSeries = entries.filter((e) => finite(e[valKey])).map((e) =>
    [e.epoch, e[valKey] as number] as [
      number,
      number,
    ]
  );
  const title = metric === "loss" ? "Loss per epoch" : "Accuracy per epoch";
  const frame = { plot: `learning-${metric}`, width, height, title };

  const epochs = entries.map((e) => e.epoch);
  const minEpoch = epochs.length ? Math.min(...epochs) : 1;
  const maxEpoch = epochs.length ? Math.max(...epochs) : 1;
  const x = linearScale(minEpoch === maxEpoch ? [minEpoch - 1, maxEpoch + 1] : [minEpoch, maxEpoch], [left, right]);
  const values = [...trainSeries, ...valSeries].map(([, v]) => v);
  const yTicks = metric === "accuracy"
    ? [0, 0.2, 0.4, 0.6, 0.8, 1]
    : niceTicks(0, values.length ? Math.max(...values) : 1);
  const y = linearScale([yTicks[0], yTicks[yTicks.length - 1]], [bottom, top]);

  const parts: string[] = [text(left, 18, title, { size: 14, weight: "bold" })];
  parts.push(yAxis({
    ticks: yTicks,
    scale: y,
    left,
    right,
    title: metric,
    format: metric === "accuracy" ? (v) => v.toFixed(1) : String,
  }));
  const step = Math.max(1, Math.ceil((maxEpoch - minEpoch + 1) / 10));
  for (let e = minEpoch; e <= maxEpoch; e += step) {
    parts.push(line(x(e), bottom, x(e), bottom + 4, MUTED));
    parts.push(text(x(e), bottom + 17, String(e), { anchor: "middle", size: 11, fill: MUTED }));
  }
  parts.push(line(left, bottom, right, bottom, MUTED));
  parts.push(text((left + right) / 2, height - 6, "epoch", { anchor: "middle", fill: MUTED }));

  if (metric === "accuracy" && finite(options.chance)) {
    const yc = y(options.chance);
    parts.push(line(left, yc, right, yc, MUTED, 'stroke-dasharray="2 4" stroke-width="1.5"'));
    parts.push(text(right - 4, yc - 5, `chance ${fixed(options.chance)}`, { anchor: "end", size: 11, fill: MUTED }));
  }
  const marks: [number | undefined, string][] = [
    [options.bestEpoch, `best: epoch ${options.bestEpoch}`],
    [options.stoppedEpoch, `early stop: epoch ${options.stoppedEpoch}`],
  ];
  const labelSpans: [number, number][] = [];
  marks.forEach(([epoch, label], i) => {
    if (!finite(epoch) || epoch < minEpoch || epoch > maxEpoch) return;
    if (i === 1 && epoch === options.bestEpoch) return;
    const xe = x(epoch);
    parts.push(line(xe, top, xe, bottom, i === 0 ? "#444" : MUTED, `stroke-dasharray="${i === 0 ? "5 3" : "1 3"}"`));
    // Labels sit above the plot area: best to the right of its line, early stop to the left of its line.
    const extent = approximateTextWidth(label, 11);
    const anchorEnd = i === 1 ? xe - extent - 4 >= left : xe + extent + 4 > right;
    const start = anchorEnd ? xe - 4 - extent : xe + 4;
    const overlaps = labelSpans.some(([a, b]) => start < b + 6 && start + extent > a - 6);
    labelSpans.push([start, start + extent]);
    parts.push(
      text(anchorEnd ? xe - 4 : xe + 4, overlaps ? top - 19 : top - 6, label, {
        anchor: anchorEnd ? "end" : "start",
        size: 11,
        fill: i === 0 ? "#444" : MUTED,
      }),
    );
  });

  const tip = (series: string) => ([epoch, v]: [number, number]) => `${series}, epoch ${epoch}: ${fixed(v, 3)}`;
  const trainPoints = trainSeries.map(([e, v]) => [x(e), y(v)] as [number, number]);
  const valPoints = valSeries.map(([e, v]) => [x(e), y(v)] as [number, number]);
  parts.push(polyline(trainPoints, TRAIN, false));
  parts.push(polyline(valPoints, VALIDATION, true));
  if (entries.length <= 60) {
    parts.push(markers(trainPoints, TRAIN, false, trainSeries.map(tip("train"))));
    parts.push(markers(valPoints, VALIDATION, true, valSeries.map(tip("validation"))));
  }
  if (entries.length === 0) {
    parts.push(text((left + right) / 2, (top + bottom) / 2, "no epochs recorded", {
      anchor: "middle",
      fill: MUTED,
      italic: true,
    }));
  }

  const items: LegendItem[] = [{ label: "train", colour: TRAIN, shape: "line" }];
  if (valSeries.length > 0) items.push({ label: "validation", colour: VALIDATION, shape: "dashed" });
  parts.push(legend(items, left + 170, 16));
  if (valSeries.length === 0) {
    parts.push(text(right, 16, "no validation recorded", { anchor: "end", size: 11, fill: MUTED, italic: true }));
  }
  parts.push(
    `<rect x="${left}" y="${top}" width="${px(right - left)}" height="${
      px(bottom - top)
    }" fill="none" stroke="${GRID}"/>`,
  );
  return svgFrame(frame, parts.join(""));
}
