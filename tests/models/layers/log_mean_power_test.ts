import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { LogMeanPower } from "../../../models/layers/log_mean_power.ts";
import { assertConfigRoundTrip } from "./_config.ts";

await tf.setBackend("cpu");

Deno.test("LogMeanPower is log(1 + mean(x²)) over every pool of frames, feature by feature", () => {
  const layer = new LogMeanPower({ pool: 3 });
  assertEquals(layer.computeOutputShape([null, 6, 2]), [null, 2, 2]);
  // frames 0-2 and 3-5 of features 0 and 1
  const x = tf.tensor3d([1, 0, 2, 1, -2, 0, 0, 3, 0, 3, 0, 3], [1, 6, 2]);
  const y = layer.apply(x) as tf.Tensor;
  assertEquals(y.shape, [1, 2, 2]);
  const expected = [(1 + 4 + 4) / 3, (0 + 1 + 0) / 3, (0 + 0 + 0) / 3, (9 + 9 + 9) / 3].map(Math.log1p);
  Array.from(y.dataSync()).forEach((v, i) => assertAlmostEquals(v, expected[i], 1e-6));
  tf.dispose([x, y]);
});

Deno.test("LogMeanPower does not depend on the phase of an oscillation, and a gain is an offset of about log g²", () => {
  const sine = (phase: number, gain: number) =>
    tf.tensor3d(Array.from({ length: 20 }, (_, t) => gain * Math.sin((2 * Math.PI * t) / 10 + phase)), [1, 20, 1]);
  const layer = new LogMeanPower({ pool: 20 });
  const [a, b, c] = [sine(0, 100), sine(1.1, 100), sine(0, 400)].map((x) => layer.apply(x) as tf.Tensor);
  assertAlmostEquals(a.dataSync()[0], Math.log1p(5000), 1e-4); // mean of sin² over whole cycles: 1/2
  assertAlmostEquals(b.dataSync()[0], a.dataSync()[0], 1e-4);
  assertAlmostEquals(c.dataSync()[0] - a.dataSync()[0], Math.log(16), 1e-3);
  tf.dispose([a, b, c]);
});

Deno.test("LogMeanPower's gradient is 2x / (pool (1 + mean(x²)))", () => {
  const x = tf.tensor3d([1, -2], [1, 2, 1]);
  const grad = tf.grad((t: tf.Tensor) => tf.sum(new LogMeanPower({ pool: 2 }).apply(t) as tf.Tensor))(x);
  Array.from(grad.dataSync()).forEach((g, i) => assertAlmostEquals(g, (2 * [1, -2][i]) / (2 * 3.5), 1e-6));
  tf.dispose([x, grad]);
});

Deno.test("LogMeanPower refuses a pool that does not divide nTimes, other ranks and bad pools; it is registered", () => {
  assertThrows(() => new LogMeanPower({ pool: 4 }).computeOutputShape([null, 6, 2]), RangeError, "divide");
  assertThrows(() => new LogMeanPower().computeOutputShape([null, 25]), TypeError, "nTimes");
  assertThrows(() => new LogMeanPower({ pool: 0 }), RangeError, "pool");
  assertEquals(new LogMeanPower().pool, 25);
  assertConfigRoundTrip(LogMeanPower, new LogMeanPower({ pool: 5, name: "log_mean_power" }));
});
