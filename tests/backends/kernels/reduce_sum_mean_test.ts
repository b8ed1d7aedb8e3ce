import { assertEquals, assertLess } from "@std/assert";
import * as tf from "@tensorflow/tfjs-core";
import { Random } from "../../../core/random.ts";
import { compareBackends, normalInput, runOn, setupBackends } from "./_parity.ts";

const CASES: Array<{ shape: number[]; axis: number[]; keepDims: boolean }> = [
  { shape: [4, 5, 6, 3], axis: [0, 1, 2], keepDims: false }, // BatchNorm statistics
  { shape: [4, 5, 6, 3], axis: [0, 1, 2], keepDims: true },
  { shape: [4, 5, 6, 3], axis: [1, 2], keepDims: false }, // middle block
  { shape: [7, 9], axis: [0], keepDims: false },
  { shape: [3, 1, 8], axis: [1], keepDims: true }, // size-1 block
  { shape: [4, 5, 6], axis: [2], keepDims: false }, // innermost: stock path
  { shape: [4, 5, 6], axis: [0, 2], keepDims: false }, // scattered: stock path
  { shape: [130, 33, 2], axis: [-3, -2], keepDims: false },
];

Deno.test("Sum and Mean on wasm match cpu for leading, middle, innermost and scattered axes", async () => {
  await setupBackends();
  const random = new Random(71);
  for (const c of CASES) {
    const error = await compareBackends(
      { x: normalInput(random, c.shape) },
      ({ x }) => [tf.sum(x, c.axis, c.keepDims), tf.mean(x, c.axis, c.keepDims)],
    );
    assertLess(error, 1e-5, `case ${JSON.stringify(c)}`);
  }
});

Deno.test("Sum and Mean on wasm over the batch of wide rows (a position-embedding gradient) match cpu", async () => {
  await setupBackends();
  const random = new Random(72);
  // 8 rows of 20000: XNNPACK's AvgPool wrote out of bounds for this shape (16340+ channels)
  const error = await compareBackends(
    { x: normalInput(random, [8, 20000]) },
    ({ x }) => [tf.sum(x, 0), tf.mean(x, 0, true)],
  );
  assertLess(error, 1e-5);
});

Deno.test("Sum on wasm keeps int32 sums exact", async () => {
  await setupBackends();
  const values = new Int32Array(24).map((_, i) => i * 1000 + 1);
  const result = await runOn("wasm", { x: { shape: [2, 3, 4], values } }, ({ x }) => {
    const s = tf.sum(x, [0, 1]);
    assertEquals(s.dtype, "int32");
    return s;
  });
  const expected = [0, 1, 2, 3].map((k) => [0, 1, 2, 3, 4, 5].reduce((acc, r) => acc + values[r * 4 + k], 0));
  assertEquals(Array.from(result.values[0]), expected);
});
