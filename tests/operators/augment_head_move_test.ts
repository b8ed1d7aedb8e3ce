import { assertAlmostEquals, assertEquals, assertNotEquals, assertThrows } from "@std/assert";
import { augmentWindow } from "../../operators/augment.ts";
import { headMoveLayout, moveHead } from "../../operators/_head_move.ts";
import { magnes3600Layout } from "../../core/layout.ts";
import type { Random } from "../../core/random.ts";
import type { Window } from "../../core/types.ts";
import { makeRecording } from "./_blocks.ts";

const OFF = { timeShiftSeconds: 0, sensorDropProb: 0, gainStd: 0, noiseStd: 0 };
const N_TIMES = 20;

/** A window whose every sample of sensor i is `field(x_i, y_i)`. */
function fieldWindow(field: (x: number, y: number) => number): Window {
  const { x, y } = magnes3600Layout();
  const data = new Float32Array(248 * N_TIMES);
  for (let i = 0; i < 248; i++) data.fill(field(x[i], y[i]), i * N_TIMES, (i + 1) * N_TIMES);
  return { recording: makeRecording("rest", "1", 1), startSample: 0, sfreq: 10, shape: [248, N_TIMES], data, label: 0 };
}

/** A Random whose normal draws are the given values, in turn. */
function fixedNormals(...values: number[]): Random {
  let i = 0;
  return { normal: () => values[i++ % values.length] } as unknown as Random;
}

Deno.test("moveHead() without a movement is the identity", () => {
  const window = fieldWindow((x, y) => x * y);
  const out = moveHead(window.data, N_TIMES, headMoveLayout(magnes3600Layout()), fixedNormals(0), 0.14, 0.07);
  assertEquals(out, window.data);
});

Deno.test("moveHead() shifts a linear field by about the shift", () => {
  const layout = headMoveLayout(magnes3600Layout());
  const window = fieldWindow((x) => x);
  // rotation 0, shift +0.1 half-widths left-right, 0 back-front
  const out = moveHead(window.data, N_TIMES, layout, fixedNormals(0, 1, 0), 0.14, 0.1);
  let change = 0;
  for (let i = 0; i < 248; i++) change += out[i * N_TIMES] - window.data[i * N_TIMES];
  // interpolation cannot reach beyond the outermost sensors, so the edge moves less
  assertAlmostEquals(change / 248, 0.1 * layout.halfWidth, 0.2 * 0.1 * layout.halfWidth);
  // every sensor keeps one value over time (a spatial operation)
  for (let i = 0; i < 248; i++) assertEquals(new Set(out.subarray(i * N_TIMES, (i + 1) * N_TIMES)).size, 1);
});

Deno.test("augmentWindow() head movement is seeded, off by default, and needs the Magnes 3600 sensors", () => {
  const window = fieldWindow((x, y) => Math.sin(x / 7) + Math.cos(y / 5));
  const moved = { ...OFF, headRotationStd: 0.14, headShiftStd: 0.07, seed: 2 };
  assertEquals(augmentWindow(window, moved).data, augmentWindow(window, moved).data);
  assertNotEquals(augmentWindow(window, moved).data, window.data);
  assertEquals(augmentWindow(window, OFF).data, window.data);
  const small: Window = { ...window, shape: [8, 10], data: new Float32Array(80) };
  assertThrows(() => augmentWindow(small, moved), TypeError, "248 sensors");
  assertThrows(() => augmentWindow(window, { headRotationStd: -1 }), RangeError, "headRotationStd");
});
