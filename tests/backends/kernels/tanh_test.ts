import { assertEquals, assertLess, assertNotEquals } from "@std/assert";
import * as tf from "@tensorflow/tfjs-core";
import { simdTanhCalls } from "../../../backends/kernels/tanh.ts";
import { setupBackends } from "./_parity.ts";

/** Largest |tanh_wasm(x) - Math.tanh(x)| / |Math.tanh(x)| over `xs` (0 only where tanh is 0). */
function worstRelative(xs: Float32Array): number {
  const ys = tf.tidy(() => tf.tanh(tf.tensor1d(xs)).dataSync() as Float32Array);
  let worst = 0;
  for (let i = 0; i < xs.length; i++) {
    const expected = Math.tanh(xs[i]);
    worst = Math.max(worst, expected === 0 ? Math.abs(ys[i]) : Math.abs(ys[i] - expected) / Math.abs(expected));
  }
  return worst;
}

Deno.test("tanh on wasm is within 1e-6 of Math.tanh relative to the value, tiny and huge inputs included", async () => {
  await setupBackends();
  await tf.setBackend("wasm");
  // a dense sweep of [-12, 12], tiny values (where 2 sigmoid(2x) - 1 loses its digits), huge ones
  const sweep = Float32Array.from({ length: 48_001 }, (_, i) => (i - 24_000) / 2000);
  const tiny = Float32Array.from([1e-30, -1e-20, 1e-10, 3e-7, -1e-5, 1e-4, -1e-3, 0, -0]);
  const huge = Float32Array.from([50, -50, 1e20, -3.4e38, 8, -7.9]);
  const before = simdTanhCalls();
  for (const xs of [sweep, tiny, huge]) assertLess(worstRelative(xs), 1e-6);
  assertEquals(simdTanhCalls() - before, 3, "computed by the SIMD kernel");
  // lengths that are not a multiple of 4 (the tail is computed apart)
  for (const n of [1, 2, 3, 5, 7]) assertLess(worstRelative(sweep.subarray(100, 100 + n)), 1e-6);
});

Deno.test("tanh on wasm keeps NaN, the shape, and the gradient of tfjs's tanh", async () => {
  await setupBackends();
  await tf.setBackend("wasm");
  const y = tf.tanh(tf.tensor2d([NaN, 0.5, -2, 3, 0.1, 1], [2, 3]));
  assertEquals(y.shape, [2, 3]);
  assertEquals(Number.isNaN(y.dataSync()[0]), true);
  const x = tf.tensor1d([-2, -0.3, 0, 0.7, 4]);
  const dx = tf.grad((v: tf.Tensor) => tf.sum(tf.tanh(v)))(x).dataSync();
  const expected = [-2, -0.3, 0, 0.7, 4].map((v) => 1 - Math.tanh(v) ** 2);
  for (let i = 0; i < 5; i++) assertLess(Math.abs(dx[i] - expected[i]), 1e-6);
  assertNotEquals(tf.getKernel("Tanh", "wasm"), undefined);
  tf.dispose([y, x]);
});
