import { assertEquals, assertThrows } from "@std/assert";
import { gridPoints, gridValues } from "../../tune/grid_points.ts";

Deno.test("gridValues() spaces range points evenly, geometrically for log-uniform", () => {
  assertEquals(gridValues({ uniform: [0, 1], steps: 5 }), [0, 0.25, 0.5, 0.75, 1]);
  assertEquals(gridValues({ logUniform: [1e-4, 1], steps: 5 }), [1e-4, 1e-3, 1e-2, 0.1, 1]);
  assertEquals(gridValues({ int: [16, 64], steps: 3 }), [16, 40, 64]);
  assertEquals(gridValues({ int: [1, 3] }), [1, 2, 3]); // default: min(3, count)
  assertEquals(gridValues({ uniform: [0.2, 0.4] }), [0.2, 0.3, 0.4]); // default: 3 points
  assertEquals(gridValues({ uniform: [0, 1], steps: 1 }), [0.5]);
  assertEquals(gridValues({ choice: ["a", 2, true] }), ["a", 2, true]);
});

Deno.test("gridPoints() enumerates every combination, first parameter slowest", () => {
  const points = gridPoints({
    batchSize: { choice: [16, 32] },
    learningRate: { logUniform: [1e-4, 1e-2], steps: 3 },
    units: { int: [8, 9] },
  });
  assertEquals(points.length, 2 * 3 * 2);
  assertEquals(points.slice(0, 3), [
    { batchSize: 16, learningRate: 1e-4, units: 8 },
    { batchSize: 16, learningRate: 1e-4, units: 9 },
    { batchSize: 16, learningRate: 1e-3, units: 8 },
  ]);
  assertEquals(new Set(points.map((p) => JSON.stringify(p))).size, 12);
});

Deno.test("gridPoints() refuses a grid of more than 100000 points", () => {
  const big = Object.fromEntries(
    Array.from({ length: 6 }, (_, i) => [`p${i}`, { int: [1, 10] as [number, number], steps: 10 }]),
  );
  assertThrows(() => gridPoints(big), RangeError, "1000000 points");
});
