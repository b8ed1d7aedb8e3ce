import { assertEquals } from "@std/assert";
import * as tf from "@tensorflow/tfjs-core";
import { Random } from "../../../core/random.ts";
import { compareBackends, normalInput, runOn, setupBackends } from "./_parity.ts";

const CASES: Array<{ shape: number[]; begin: number[]; size: number[] }> = [
  { shape: [10], begin: [3], size: [5] },
  { shape: [6, 7], begin: [0, 2], size: [6, 3] },
  { shape: [6, 7], begin: [2, 0], size: [3, 7] }, // contiguous
  { shape: [4, 5, 6], begin: [1, 1, 1], size: [2, 3, 4] },
  { shape: [3, 1, 25, 4, 2], begin: [0, 0, 0, 0, 1], size: [3, 1, 25, 4, 1] }, // one multiplier
  { shape: [2, 3, 4, 5, 6, 2], begin: [1, 0, 1, 2, 0, 0], size: [1, 3, 2, 3, 6, 2] }, // rank 6
  { shape: [5, 40], begin: [1, 3], size: [-1, 30] }, // long runs, size -1
  { shape: [4, 5], begin: [0, 0], size: [4, 5] }, // everything
];

Deno.test("Slice on wasm matches cpu for contiguous, strided, long-run and rank-6 boxes", async () => {
  await setupBackends();
  const random = new Random(111);
  for (const c of CASES) {
    const error = await compareBackends({ x: normalInput(random, c.shape) }, ({ x }) => tf.slice(x, c.begin, c.size));
    assertEquals(error, 0, `case ${JSON.stringify(c)}`);
  }
});

Deno.test("Slice on wasm copies int32 and empty boxes", async () => {
  await setupBackends();
  const values = new Int32Array(24).map((_, i) => i);
  const result = await runOn("wasm", { x: { shape: [2, 3, 4], values } }, ({ x }) => [
    tf.slice(x, [1, 1, 2], [1, 2, 2]),
    tf.slice(x, [0, 0, 0], [2, 0, 4]),
  ]);
  assertEquals(Array.from(result.values[0]), [18, 19, 22, 23]);
  assertEquals(result.shapes[1], [2, 0, 4]);
  assertEquals(result.values[1].length, 0);
});
