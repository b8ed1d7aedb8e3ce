import { assertEquals, assertLess } from "@std/assert";
import * as tf from "@tensorflow/tfjs-core";
import { Random } from "../../../core/random.ts";
import { compareBackends, normalInput, runOn, setupBackends } from "./_parity.ts";

Deno.test("Tile on wasm matches cpu for broadcast, interleaved and short-run patterns", async () => {
  await setupBackends();
  const random = new Random(51);
  const cases: Array<{ x: number[]; reps: number[] }> = [
    { x: [1, 1, 1, 8], reps: [4, 7, 9, 1] }, // the BatchNorm gradient pattern
    { x: [3, 5], reps: [2, 3] },
    { x: [2, 1, 3], reps: [1, 70, 2] },
    { x: [130], reps: [3] },
    { x: [2, 3, 1, 65], reps: [2, 1, 3, 2] },
    { x: [3, 1], reps: [2, 100] }, // innermost level of one element
    { x: [200, 1], reps: [1, 3] }, // short runs: handed to the stock kernel
    { x: [4, 66], reps: [1, 1] },
  ];
  for (const c of cases) {
    const error = await compareBackends({ x: normalInput(random, c.x) }, ({ x }) => tf.tile(x, c.reps));
    assertEquals(error, 0, `case ${JSON.stringify(c)}`);
  }
});

Deno.test("Tile on wasm tiles int32 and bool tensors exactly", async () => {
  await setupBackends();
  const values = new Int32Array(70).map((_, i) => i - 35);
  const ints = await runOn("wasm", { x: { shape: [1, 70], values } }, ({ x }) => tf.tile(x, [3, 2]));
  const bools = await runOn(
    "wasm",
    { x: { shape: [1, 70], values } },
    ({ x }) => tf.cast(tf.tile(tf.greater(x, 0), [3, 2]), "int32"),
  );
  for (let row = 0; row < 3; row++) {
    for (let col = 0; col < 140; col++) {
      assertEquals(ints.values[0][row * 140 + col], values[col % 70]);
      assertEquals(bools.values[0][row * 140 + col], values[col % 70] > 0 ? 1 : 0);
    }
  }
});

Deno.test("batchNorm gradients (which tile 1/sqrt(var)) on wasm match cpu", async () => {
  await setupBackends();
  const random = new Random(52);
  const error = await compareBackends(
    {
      x: normalInput(random, [3, 5, 9, 4]),
      w: normalInput(random, [3, 5, 9, 4]),
      scale: normalInput(random, [4]),
      offset: normalInput(random, [4]),
    },
    ({ x, w, scale, offset }) => {
      const f = (input: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => {
        const { mean, variance } = tf.moments(input, [0, 1, 2]);
        return tf.sum(tf.mul(tf.batchNorm(input, mean, variance, beta, gamma, 1e-3), w));
      };
      return tf.grads(f)([x, scale, offset]);
    },
  );
  assertLess(error, 1e-4);
});
