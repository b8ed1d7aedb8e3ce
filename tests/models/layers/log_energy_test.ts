import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { LogEnergy } from "../../../models/layers/log_energy.ts";
import { assertConfigRoundTrip } from "./_config.ts";

await tf.setBackend("cpu");

Deno.test("LogEnergy is log(1 + x²) of every value and keeps the shape", () => {
  const x = tf.tensor3d([0, 1, -1, 2, -3, 0.5], [1, 2, 3]);
  const y = new LogEnergy().apply(x) as tf.Tensor;
  assertEquals(y.shape, [1, 2, 3]);
  const expected = [0, 1, -1, 2, -3, 0.5].map((v) => Math.log(1 + v * v));
  Array.from(y.dataSync()).forEach((v, i) => assertAlmostEquals(v, expected[i], 1e-6));
  assertEquals(new LogEnergy().computeOutputShape([null, 4, 7]), [null, 4, 7]);
  tf.dispose([x, y]);
});

Deno.test("LogEnergy turns a gain on its input into an offset for large values", () => {
  const x = tf.tensor1d([100, 300, -1000]);
  const [a, b] = [new LogEnergy().apply(x) as tf.Tensor, new LogEnergy().apply(tf.mul(x, 4)) as tf.Tensor];
  const diff = Array.from(tf.sub(b, a).dataSync());
  for (const d of diff) assertAlmostEquals(d, Math.log(16), 1e-3);
  tf.dispose([x, a, b]);
});

Deno.test("LogEnergy's gradient is 2x / (1 + x²)", () => {
  const x = tf.tensor1d([0, 1, -2]);
  const grad = tf.grad((t: tf.Tensor) => tf.sum(new LogEnergy().apply(t) as tf.Tensor))(x);
  Array.from(grad.dataSync()).forEach((g, i) => {
    const v = [0, 1, -2][i];
    assertAlmostEquals(g, (2 * v) / (1 + v * v), 1e-6);
  });
  tf.dispose([x, grad]);
});

Deno.test("LogEnergy is registered for serialisation", () => {
  assertConfigRoundTrip(LogEnergy, new LogEnergy({ name: "log_energy" }));
});

Deno.test("LogEnergy with pairs sums the squares of adjacent pairs on the last axis: a quadrature pair's power whatever the phase", () => {
  const layer = new LogEnergy({ pairs: true });
  assertEquals(layer.computeOutputShape([null, 3, 6]), [null, 3, 3]);
  // (cos φ, sin φ) for any φ: the same power 1
  const x = tf.tensor3d([1, 0, 0.6, 0.8, -0.8, 0.6, 3, 4], [1, 2, 4]);
  const y = layer.apply(x) as tf.Tensor;
  assertEquals(y.shape, [1, 2, 2]);
  const expected = [Math.log(2), Math.log(2), Math.log(2), Math.log(26)];
  Array.from(y.dataSync()).forEach((v, i) => assertAlmostEquals(v, expected[i], 1e-6));
  assertThrows(() => layer.computeOutputShape([null, 5]), RangeError, "even");
  assertThrows(() => new LogEnergy({ pairs: 1 as never }), TypeError, "pairs");
  assertConfigRoundTrip(LogEnergy, new LogEnergy({ pairs: true, name: "pairs" }));
  tf.dispose([x, y]);
});
