import { assert, assertEquals } from "@std/assert";
import * as tf from "@tensorflow/tfjs-core";
import { Random } from "../../../core/random.ts";
import { pairPoolCount, setPairPool } from "../../../backends/kernels/avg_pool.ts";
import { setupBackend } from "../../../backends/backend.ts";
import { weightBitsAfterSteps } from "../../training/_weight_bits_after_steps.ts";

/** The pooling's output bits with the SIMD pass (`on`) or the stock kernel, and whether the pass ran. */
function pooled(x: tf.Tensor4D, filter: [number, number], strides: [number, number], on: boolean) {
  setPairPool(on);
  const before = pairPoolCount();
  const y = tf.avgPool(x, filter, strides, "valid");
  const bits = Array.from(new Uint32Array((y.dataSync() as Float32Array).slice().buffer));
  y.dispose();
  return { bits, ran: pairPoolCount() - before };
}

Deno.test("wasm: pooling pairs of rows gives the stock AvgPool's bits: random values, +-0 sums, NaN, +-Infinity, overflow, subnormals", async () => {
  await setupBackend("wasm");
  const random = new Random(81);
  const previous = setPairPool(true);
  try {
    for (
      const shape of [[32, 250, 1, 248], [2, 7, 1, 4], [3, 6, 2, 6], [1, 2, 1, 8]] as [number, number, number, number][]
    ) {
      const size = shape.reduce((a, b) => a * b, 1);
      const values = Float32Array.from({ length: size }, () => random.normal());
      const special = [-0, -0, 0, -0, NaN, 1, Infinity, -Infinity, Infinity, 1, 3e38, 3e38, -1e-45, -1e-45, 1e-45, 0];
      // the pairs (rows 0 and 1) of the first image hold the special values, channel by channel
      const row = shape[2] * shape[3];
      for (let i = 0; i < Math.min(row, special.length / 2); i++) [values[i], values[row + i]] = special.slice(2 * i);
      const x = tf.tensor4d(values, shape);
      const simd = pooled(x, [2, 1], [2, 1], true);
      const stock = pooled(x, [2, 1], [2, 1], false);
      assertEquals([simd.ran, stock.ran], [1, 0], `${shape}`);
      const first = simd.bits.findIndex((bits, i) => bits !== stock.bits[i]);
      assertEquals(first, -1, `${shape}: first difference at ${first}`);
      x.dispose();
    }
    // other poolings: the stock kernel
    const x = tf.tensor4d(Float32Array.from({ length: 2 * 6 * 4 * 4 }, () => random.normal()), [2, 6, 4, 4]);
    for (const [filter, strides] of [[[2, 2], [2, 2]], [[3, 1], [3, 1]], [[2, 1], [1, 1]]] as [number, number][][]) {
      assertEquals(pooled(x, filter as [number, number], strides as [number, number], true).ran, 0, `${filter}`);
    }
    const odd = tf.zeros([1, 4, 1, 3]) as tf.Tensor4D; // 3 values a row: not a multiple of 4
    assertEquals(pooled(odd, [2, 1], [2, 1], true).ran, 0);
    tf.dispose([x, odd]);
  } finally {
    setPairPool(previous);
  }
});

Deno.test("wasm: gru's training steps give the same weights with the SIMD pooling as with the stock AvgPool, bit for bit", async () => {
  await setupBackend("wasm");
  const previous = setPairPool(false);
  try {
    const stock = await weightBitsAfterSteps("gru", 2);
    setPairPool(true);
    const before = pairPoolCount();
    const simd = await weightBitsAfterSteps("gru", 2);
    assert(pairPoolCount() > before, "gru's time_pool ran the SIMD pass");
    assertEquals(simd.length, stock.length);
    stock.forEach((bits, i) => assertEquals(simd[i], bits, `weight ${i}`));
  } finally {
    setPairPool(previous);
  }
});
