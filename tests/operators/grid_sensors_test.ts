import { concat, from, lastValueFrom, of, Subject, throwError, toArray } from "rxjs";
import { assert, assertAlmostEquals, assertEquals, assertLessOrEqual, assertRejects, assertThrows } from "@std/assert";
import { assignSensorsToGrid, gridSensors, planSensorGrid, sensorsToFrames } from "../../operators/grid_sensors.ts";
import { magnes3600Layout, type SensorLayout } from "../../core/layout.ts";
import type { Window } from "../../core/types.ts";
import { makeRecording } from "./_blocks.ts";

const layout = magnes3600Layout();

function sensorWindow(nTimes: number, f: (sensor: number, t: number) => number): Window {
  const data = new Float32Array(248 * nTimes);
  for (let s = 0; s < 248; s++) for (let t = 0; t < nTimes; t++) data[s * nTimes + t] = f(s, t);
  return { recording: makeRecording("math"), startSample: 125, sfreq: 125, shape: [248, nTimes], data, label: 1 };
}

/** Scaled position of each sensor in grid coordinates, as the documentation defines it. */
function scaled(l: SensorLayout, rows: number, cols: number, s: number): [number, number] {
  const [xMin, xMax, yMin, yMax] = [Math.min(...l.x), Math.max(...l.x), Math.min(...l.y), Math.max(...l.y)];
  return [((yMax - l.y[s]) / (yMax - yMin)) * (rows - 1), ((l.x[s] - xMin) / (xMax - xMin)) * (cols - 1)];
}

Deno.test("assignSensorsToGrid() puts every sensor in exactly one cell and no two in the same", () => {
  for (const [rows, cols] of [[16, 16], [20, 20], [24, 24], [8, 31], [12, 30]]) {
    const cells = assignSensorsToGrid(layout, { rows, cols });
    assertEquals(cells.length, 248);
    assertEquals(new Set(cells).size, 248, `${rows} x ${cols}`);
    assert(cells.every((cell) => cell >= 0 && cell < rows * cols), `${rows} x ${cols}`);
  }
});

Deno.test("assignSensorsToGrid() keeps every Magnes sensor within one cell of its position on 20 x 20", () => {
  const cells = assignSensorsToGrid(layout);
  let total = 0;
  for (let s = 0; s < 248; s++) {
    const [r, c] = scaled(layout, 20, 20, s);
    const d = Math.hypot(r - Math.floor(cells[s] / 20), c - (cells[s] % 20));
    assertLessOrEqual(d, 1, `sensor ${layout.channels[s]}`);
    total += d;
  }
  assertLessOrEqual(total / 248, 0.5);
});

Deno.test("assignSensorsToGrid() puts row 0 at the front and column 0 on the left", () => {
  const cells = assignSensorsToGrid(layout);
  const front = layout.y.indexOf(Math.max(...layout.y));
  const back = layout.y.indexOf(Math.min(...layout.y));
  const left = layout.x.indexOf(Math.min(...layout.x));
  const right = layout.x.indexOf(Math.max(...layout.x));
  assertEquals(Math.floor(cells[front] / 20), 0);
  assertEquals(Math.floor(cells[back] / 20), 19);
  assertEquals(cells[left] % 20, 0);
  assertEquals(cells[right] % 20, 19);
});

Deno.test("assignSensorsToGrid() finds the minimum total squared displacement (brute force on a small layout)", () => {
  const small: SensorLayout = {
    channels: ["a", "b", "c", "d", "e"],
    x: Float64Array.of(0, 0.1, 0.15, 1, 0.5),
    y: Float64Array.of(1, 0.95, 0.9, 0, 0.5),
  };
  const rows = 2, cols = 3;
  const cost = (cells: ArrayLike<number>) => {
    let sum = 0;
    for (let s = 0; s < 5; s++) {
      const [r, c] = scaled(small, rows, cols, s);
      sum += (r - Math.floor(cells[s] / cols)) ** 2 + (c - (cells[s] % cols)) ** 2;
    }
    return sum;
  };
  let best = Infinity;
  const pick = (chosen: number[]): void => {
    if (chosen.length === 5) {
      best = Math.min(best, cost(chosen));
      return;
    }
    for (let cell = 0; cell < rows * cols; cell++) if (!chosen.includes(cell)) pick([...chosen, cell]);
  };
  pick([]);
  const cells = assignSensorsToGrid(small, { rows, cols });
  assertEquals(new Set(cells).size, 5);
  assertAlmostEquals(cost(cells), best, 1e-12);
});

Deno.test("assignSensorsToGrid() is deterministic", () => {
  assertEquals(
    assignSensorsToGrid(layout, { rows: 18, cols: 18 }),
    assignSensorsToGrid(layout, { rows: 18, cols: 18 }),
  );
});

Deno.test("assignSensorsToGrid() rejects grids with fewer cells than sensors", () => {
  assertThrows(
    () => assignSensorsToGrid(layout, { rows: 15, cols: 16 }),
    RangeError,
    "a 15 x 16 grid has 240 cells, fewer than the 248 sensors",
  );
  assertThrows(() => assignSensorsToGrid(layout, { rows: 0 }), RangeError, "rows must be a positive integer, got 0");
  assertThrows(() => gridSensors({ rows: 10, cols: 10 }), RangeError, "fewer than the 248 sensors");
});

Deno.test("sensorsToFrames() puts each sensor's samples in its cell and zeros elsewhere", () => {
  const grid = planSensorGrid();
  const w = sensorWindow(3, (s, t) => 1 + s + 1000 * t);
  const frames = sensorsToFrames(w.data, grid);
  assertEquals(frames.length, 3 * 400);
  for (let s = 0; s < 248; s++) {
    for (let t = 0; t < 3; t++) assertEquals(frames[t * 400 + grid.cellOfSensor[s]], 1 + s + 1000 * t);
  }
  assertEquals(frames.filter((v) => v === 0).length, 3 * (400 - 248));
  assertThrows(() => sensorsToFrames(new Float32Array(247), grid), TypeError, "expected a multiple of 248 samples");
});

Deno.test("sensorsToFrames() interpolates empty cells inside the sensor hull only", () => {
  const grid = planSensorGrid({ fill: "interpolate", neighbours: 3 });
  assert(grid.fillCells.length > 0);
  assertEquals(grid.fillSensors.length, 3 * grid.fillCells.length);
  const frames = sensorsToFrames(sensorWindow(2, () => 2.5).data, grid);
  for (const cell of grid.fillCells) assertAlmostEquals(frames[400 + cell], 2.5, 1e-6); // weights sum to 1
  assertEquals(frames[0], 0); // the corner lies outside the hull
  const filled = new Set([...grid.cellOfSensor, ...grid.fillCells]);
  assertEquals(filled.size, 248 + grid.fillCells.length);
  // a cell's value is a convex combination of its neighbours' values
  const ramp = sensorsToFrames(sensorWindow(1, (s) => s).data, grid);
  for (const [f, cell] of grid.fillCells.entries()) {
    const sources = Array.from(grid.fillSensors.subarray(3 * f, 3 * f + 3));
    assert(ramp[cell] >= Math.min(...sources) - 1e-4 && ramp[cell] <= Math.max(...sources) + 1e-4);
  }
});

Deno.test("planSensorGrid() caches plans and rejects bad fill options", () => {
  assert(planSensorGrid({ rows: 20, cols: 20 }) === planSensorGrid());
  assertThrows(() => planSensorGrid({ fill: "nearest" as "zero" }), RangeError, 'got "nearest"');
  assertThrows(
    () => planSensorGrid({ fill: "interpolate", neighbours: 0 }),
    RangeError,
    "neighbours must be an integer in [1, 248], got 0",
  );
});

Deno.test("gridSensors() emits time-major frames and keeps the window's other fields", async () => {
  const w = sensorWindow(5, (s, t) => s * 10 + t);
  const [out] = await lastValueFrom(of(w).pipe(gridSensors({ rows: 16, cols: 16 }), toArray()));
  assertEquals(out.shape, [5, 16, 16]);
  assertEquals([out.recording, out.startSample, out.sfreq, out.label], [w.recording, 125, 125, 1]);
  const cells = assignSensorsToGrid(layout, { rows: 16, cols: 16 });
  assertEquals(out.data[4 * 256 + cells[17]], 174);
  assertEquals(w.shape, [248, 5]); // input untouched
});

Deno.test("gridSensors() completes without output for an empty source", async () => {
  assertEquals(await lastValueFrom(from<Window[]>([]).pipe(gridSensors(), toArray())), []);
});

Deno.test("gridSensors() converts many windows", async () => {
  const windows = Array.from({ length: 6 }, (_, i) => sensorWindow(2, (s) => s + i));
  const out = await lastValueFrom(from(windows).pipe(gridSensors(), toArray()));
  assertEquals(out.length, 6);
  assert(out.every((w, i) => w.data[planSensorGrid().cellOfSensor[0]] === i));
});

Deno.test("gridSensors() fails on windows that are not [248, nTimes]", async () => {
  const bad = { ...sensorWindow(2, () => 0), shape: [2, 248] };
  await assertRejects(
    () => lastValueFrom(of(bad).pipe(gridSensors())),
    TypeError,
    "expected a window of shape [248, nTimes] holding its data, got shape [2,248]",
  );
});

Deno.test("gridSensors() forwards a source error", async () => {
  const source = concat(of(sensorWindow(2, () => 1)), throwError(() => new Error("upstream")));
  await assertRejects(() => lastValueFrom(source.pipe(gridSensors())), Error, "upstream");
});

Deno.test("gridSensors() releases the source subscription on early unsubscribe", () => {
  const source = new Subject<Window>();
  const seen: Window[] = [];
  const subscription = source.pipe(gridSensors()).subscribe((w) => seen.push(w));
  source.next(sensorWindow(1, () => 1));
  subscription.unsubscribe();
  assertEquals(source.observed, false);
  assertEquals(seen.length, 1);
});
