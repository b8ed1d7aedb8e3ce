import { assertEquals } from "@std/assert";
import * as tf from "@tensorflow/tfjs-core";
import { Random } from "../../../core/random.ts";
import { compareBackends, normalInput, runOn, setupBackends } from "./_parity.ts";

Deno.test("unstack on wasm matches cpu along every axis", async () => {
  await setupBackends();
  const random = new Random(131);
  for (const shape of [[5], [4, 3], [3, 7, 2], [2, 3, 4, 5]]) {
    for (let axis = -shape.length; axis < shape.length; axis++) {
      const error = await compareBackends({ x: normalInput(random, shape) }, ({ x }) => tf.unstack(x, axis));
      assertEquals(error, 0, `shape ${JSON.stringify(shape)} axis ${axis}`);
    }
  }
});

Deno.test("unstack on wasm keeps int32 values and drops the unstacked axis", async () => {
  await setupBackends();
  const values = new Int32Array(12).map((_, i) => i);
  const result = await runOn("wasm", { x: { shape: [2, 3, 2], values } }, ({ x }) => tf.unstack(x, 1));
  assertEquals(result.shapes, [[2, 2], [2, 2], [2, 2]]);
  assertEquals(Array.from(result.values[1]), [2, 3, 8, 9]);
});
