import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-layers"; // registers the gradients of the ops
import { assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { planSensorGrid, sensorsToFrames } from "../../operators/grid_sensors.ts";
import { griddedScore, gridMatrix } from "../../evaluation/gridded_score.ts";
import type { ClassScore } from "../../evaluation/saliency.ts";

await tf.setBackend("cpu");

/** A score of frames [batch, nTimes, 20, 20]: class 0 weighs every cell and sample by a fixed random tensor. */
const WEIGHTS = tf.randomNormal([3, 20, 20], 0, 1, "float32", 7);
const ON_GRID: ClassScore = {
  kind: "logit",
  apply: (x) => tf.reshape(tf.sum(tf.mul(x, WEIGHTS), [1, 2, 3]), [-1, 1]) as tf.Tensor2D,
};

Deno.test("gridMatrix() reproduces sensorsToFrames, with zero and interpolated fill", () => {
  const window = Float32Array.from({ length: 248 * 3 }, (_, i) => Math.cos(i));
  for (const fill of ["zero", "interpolate"] as const) {
    const grid = planSensorGrid({ fill });
    const { values, shape } = gridMatrix(grid);
    const frames = tf.matMul(tf.transpose(tf.tensor2d(window, [248, 3])), tf.tensor2d(values, shape)).dataSync();
    sensorsToFrames(window, grid).forEach((v, i) => assertAlmostEquals(frames[i], v, 1e-5));
  }
});

Deno.test("griddedScore() passes each cell's gradient back to the sensors it came from", () => {
  for (const fill of ["zero", "interpolate"] as const) {
    const grid = planSensorGrid({ fill });
    const x = tf.randomNormal([1, 248, 3], 0, 1, "float32", 3);
    const g = tf.grad((s: tf.Tensor) => tf.sum(griddedScore(ON_GRID, grid).apply(s)))(x).arraySync() as number[][][];
    const w = WEIGHTS.arraySync() as number[][][];
    const { values } = gridMatrix(grid);
    for (const s of [0, 100, 247]) {
      for (let t = 0; t < 3; t++) {
        let expected = 0;
        for (let cell = 0; cell < 400; cell++) {
          expected += values[s * 400 + cell] * w[t][Math.floor(cell / 20)][cell % 20];
        }
        assertAlmostEquals(g[0][s][t], expected, 1e-4);
      }
    }
    if (fill === "zero") { // one cell per sensor: the gradient is the cell's own
      const cell = grid.cellOfSensor[100];
      assertAlmostEquals(g[0][100][1], w[1][Math.floor(cell / 20)][cell % 20], 1e-5);
    }
  }
});

Deno.test("griddedScore() keeps the score's kind and rejects windows that are not [batch, 248, nTimes]", () => {
  const score = griddedScore(ON_GRID, planSensorGrid());
  assertEquals(score.kind, "logit");
  assertThrows(() => score.apply(tf.zeros([1, 200, 3])), RangeError, "expected [batch, 248, nTimes], got [1,200,3]");
});
