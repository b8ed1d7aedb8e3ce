/**
 * Saliency per sensor for models that take sensor grids (`vivit`, `cascade`):
 * the gridding of `operators/grid_sensors.ts` is linear (each cell is one
 * sensor, a weighted mean of its nearest sensors, or zero), so it is composed
 * into the score as a matrix product, and the gradient is taken with respect to
 * the sensor window itself. Every model then gets one attribution per sensor,
 * in the same format.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { SensorGrid } from "../operators/grid_sensors.ts";
import type { ClassScore } from "./saliency.ts";

/**
 * The gridding as a matrix `[nSensors, rows * cols]` row-major: entry `(s, cell)`
 * is the weight of sensor `s` in `cell` (1 for the sensor's own cell, the fill
 * weights for interpolated cells, 0 elsewhere), so that
 * `frames[t, cell] = sum_s window[s, t] * M[s, cell]`, as `sensorsToFrames` computes.
 *
 * @param grid A plan from `planSensorGrid`.
 * @returns The matrix and its shape.
 *
 * @example
 * ```ts
 * import { planSensorGrid } from "../operators/grid_sensors.ts";
 * import { gridMatrix } from "./gridded_score.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const { values, shape } = gridMatrix(planSensorGrid());
 * assertEquals(shape, [248, 400]);
 * assertEquals(values.reduce((a, b) => a + b, 0), 248); // one cell per sensor, weight 1
 * ```
 */
export function gridMatrix(grid: SensorGrid): { values: Float32Array; shape: [number, number] } {
  const { rows, cols, cellOfSensor, fillCells, fillSensors, fillWeights } = grid;
  const nSensors = cellOfSensor.length, nCells = rows * cols;
  const values = new Float32Array(nSensors * nCells);
  for (let s = 0; s < nSensors; s++) values[s * nCells + cellOfSensor[s]] = 1;
  const k = fillCells.length === 0 ? 0 : fillSensors.length / fillCells.length;
  for (let f = 0; f < fillCells.length; f++) {
    for (let j = f * k; j < (f + 1) * k; j++) values[fillSensors[j] * nCells + fillCells[f]] += fillWeights[j];
  }
  return { values, shape: [nSensors, nCells] };
}

/**
 * A grid model's score as a score of sensor windows: `[batch, nSensors, nTimes]`
 * is gridded to `[batch, nTimes, rows, cols]` inside the differentiated function,
 * then scored. Its gradients are the grid model's gradients mapped back to the
 * sensors (a cell filled from several sensors passes its gradient to each, by weight).
 *
 * @param score The grid model's score (e.g. `classScore(model)`), taking `[batch, nTimes, rows, cols]`.
 * @param grid The run's grid plan (`planSensorGrid` with the run's `gridSensors` options).
 * @returns A score of sensor windows, of the same kind.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { planSensorGrid, sensorsToFrames } from "../operators/grid_sensors.ts";
 * import { griddedScore } from "./gridded_score.ts";
 * import { assertAlmostEquals } from "@std/assert";
 *
 * await tf.setBackend("cpu");
 * const grid = planSensorGrid({ fill: "interpolate" });
 * const onGrid = { kind: "logit" as const, apply: (x: tf.Tensor) => tf.reshape(tf.sum(tf.square(x), [1, 2, 3]), [-1, 1]) as tf.Tensor2D };
 * const window = Float32Array.from({ length: 248 * 3 }, (_, i) => Math.sin(i));
 * const viaGrid = onGrid.apply(tf.tensor4d(sensorsToFrames(window, grid), [1, 3, 20, 20])).dataSync()[0];
 * const viaSensors = griddedScore(onGrid, grid).apply(tf.tensor3d(window, [1, 248, 3])).dataSync()[0];
 * assertAlmostEquals(viaSensors, viaGrid, 1e-3);
 * ```
 */
export function griddedScore(score: ClassScore, grid: SensorGrid): ClassScore {
  const { values, shape } = gridMatrix(grid);
  const matrix = tf.keep(tf.tensor2d(values, shape));
  return {
    kind: score.kind,
    apply: (x) => {
      if (x.rank !== 3 || x.shape[1] !== shape[0]) {
        throw new RangeError(
          `Cannot grid sensor windows for saliency: expected [batch, ${shape[0]}, nTimes], got [${x.shape}]`,
        );
      }
      const [batch, , nTimes] = x.shape;
      const frames = tf.matMul(tf.reshape(tf.transpose(x, [0, 2, 1]), [batch * nTimes, shape[0]]), matrix);
      return score.apply(tf.reshape(frames, [batch, nTimes, grid.rows, grid.cols]));
    },
  };
}
