import { assertAlmostEquals, assertEquals, assertLess } from "@std/assert";
import * as tf from "@tensorflow/tfjs-core";
import { Random } from "../../../core/random.ts";
import { simdErfCount } from "../../../backends/kernels/simd_erf.ts";
import { erfScalar } from "../../../backends/kernels/_erf_wasm.ts";
import { compareBackends, normalInput, setupBackends } from "./_parity.ts";

Deno.test("erf on wasm (SIMD) matches cpu, values and the gradient of a GELU, for sizes with and without a remainder of 4", async () => {
  await setupBackends();
  const random = new Random(151);
  for (const shape of [[3], [4], [5, 7], [2, 33, 16]]) {
    const before = simdErfCount();
    const x = normalInput(random, shape);
    for (let i = 0; i < x.values.length; i += 3) x.values[i] *= 3; // reach the tails
    const error = await compareBackends({ x }, ({ x }) => {
      const gelu = (x: tf.Tensor) => tf.mul(x, tf.mul(0.5, tf.add(1, tf.erf(tf.div(x, Math.SQRT2)))));
      return [tf.erf(x), tf.grad((x: tf.Tensor) => tf.sum(tf.square(gelu(x))))(x)];
    });
    assertLess(error, 1e-6, JSON.stringify(shape));
    assertEquals(simdErfCount() - before, 2, JSON.stringify(shape)); // the erf, and the GELU's forward
  }
});

Deno.test("erf on wasm is within 3e-7 of the true erf, keeps the sign of zero and saturates", async () => {
  await setupBackends();
  await tf.setBackend("wasm");
  // erf to 10 digits (Abramowitz & Stegun table 7.1)
  const known: Array<[number, number]> = [[0.1, 0.1124629160], [0.5, 0.5204998778], [1, 0.8427007929], [
    2,
    0.9953222650,
  ], [3.5, 0.9999992569]];
  const xs = [...known.map(([x]) => x), ...known.map(([x]) => -x), 0, -0, 10, -10, Infinity, -Infinity];
  const values = await tf.erf(tf.tensor1d(xs)).data();
  known.forEach(([, expected], i) => {
    assertAlmostEquals(values[i], expected, 3e-7);
    assertAlmostEquals(values[i + known.length], -expected, 3e-7);
  });
  const rest = Array.from(values.slice(2 * known.length));
  assertEquals(rest.slice(2), [1, -1, 1, -1]);
  assertAlmostEquals(rest[0], 0, 1e-7);
  assertAlmostEquals(erfScalar(0.5), 0.5204998778, 3e-7);
});
