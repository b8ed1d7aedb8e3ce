import { assertEquals } from "@std/assert";
import * as tf from "@tensorflow/tfjs-core";
import { Random } from "../../../core/random.ts";
import { compareBackends, normalInput, runOn, setupBackends } from "./_parity.ts";

Deno.test("split on wasm matches cpu for equal parts, given sizes and an inferred size", async () => {
  await setupBackends();
  const random = new Random(141);
  const cases: Array<{ shape: number[]; splits: number | number[]; axis: number }> = [
    { shape: [6, 4], splits: 3, axis: 0 },
    { shape: [4, 9], splits: [2, 3, 4], axis: 1 },
    { shape: [3, 10, 2], splits: [4, -1], axis: 1 },
    { shape: [2, 3, 12], splits: 4, axis: -1 },
  ];
  for (const c of cases) {
    const error = await compareBackends({ x: normalInput(random, c.shape) }, ({ x }) => tf.split(x, c.splits, c.axis));
    assertEquals(error, 0, `case ${JSON.stringify(c)}`);
  }
});

Deno.test("split on wasm keeps int32 values", async () => {
  await setupBackends();
  const values = new Int32Array(8).map((_, i) => i * 3);
  const result = await runOn("wasm", { x: { shape: [2, 4], values } }, ({ x }) => tf.split(x, [1, 3], 1));
  assertEquals(result.shapes, [[2, 1], [2, 3]]);
  assertEquals(Array.from(result.values[0]), [0, 12]);
  assertEquals(Array.from(result.values[1]), [3, 6, 9, 15, 18, 21]);
});
