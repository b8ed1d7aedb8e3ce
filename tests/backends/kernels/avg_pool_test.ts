import { assert, assertEquals } from "@std/assert";
import * as tf from "@tensorflow/tfjs-core";
import { Random } from "../../../core/random.ts";
import { pairPoolCount, pairPoolOfTransposeCount, setPairPool } from "../../../backends/kernels/avg_pool.ts";
import { deferredTransposeCount, setLazyTranspose } from "../../../backends/kernels/transpose.ts";
import { deferredStats } from "../../../core/_deferred.ts";
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

/** `[n, c, h]` transposed to `[n, h, c]`, reshaped to `[n, h, 1, c]`, pooled by pairs of rows; the bits. */
function timePooled(source: tf.Tensor3D): { pooled: number[]; transposed: number[] } {
  const [n, c, h] = source.shape;
  const transposed = tf.transpose(source, [0, 2, 1]);
  const y = tf.avgPool(tf.reshape(transposed, [n, h, 1, c]) as tf.Tensor4D, [2, 1], [2, 1], "valid");
  const bits = (t: tf.Tensor) => Array.from(new Uint32Array((t.dataSync() as Float32Array).slice().buffer));
  const pooled = bits(y); // read first: the pooling must not need the transposed copy
  const result = { pooled, transposed: bits(transposed) };
  tf.dispose([transposed, y]);
  return result;
}

Deno.test("wasm: pooling a deferred transpose reads its input: the stock transpose's and pooling's bits, odd and even lengths, special values; the copy is computed only when read", async () => {
  await setupBackend("wasm");
  const random = new Random(82);
  const previous = [setPairPool(true), setLazyTranspose(true)];
  try {
    for (const shape of [[32, 248, 250], [16, 8, 8193], [4, 4, 65538]] as [number, number, number][]) {
      const size = shape.reduce((a, b) => a * b, 1);
      const values = Float32Array.from({ length: size }, () => random.normal());
      // pairs along time of the first rows: +-0 sums, NaN, +-Infinity, overflow, subnormals
      values.set([-0, -0, 0, -0, NaN, 1, Infinity, -Infinity, Infinity, 1, 3e38, 3e38, -1e-45, -1e-45]);
      values.set([NaN, 2, -0, -0], shape[2] - 4); // the last samples of the first row (the tail for odd pairs)
      const source = tf.tensor3d(values, shape);
      const [deferred, fused] = [deferredTransposeCount(), pairPoolOfTransposeCount()];
      const lazy = timePooled(source);
      assertEquals([deferredTransposeCount() - deferred, pairPoolOfTransposeCount() - fused], [1, 1], `${shape}`);
      setPairPool(false);
      setLazyTranspose(false);
      const stock = timePooled(source);
      setPairPool(true);
      setLazyTranspose(true);
      for (const what of ["pooled", "transposed"] as const) {
        const first = lazy[what].findIndex((bits, i) => bits !== stock[what][i]);
        assertEquals(first, -1, `${shape} ${what}: first difference at ${first}`);
      }
      source.dispose();
    }
    // pooled and then dropped unread: the transposed copy is never computed
    const before = deferredStats();
    const source = tf.randomNormal([16, 8, 8192]) as tf.Tensor3D;
    tf.tidy(() =>
      tf.avgPool(tf.reshape(tf.transpose(source, [0, 2, 1]), [16, 8192, 1, 8]) as tf.Tensor4D, [2, 1], [2, 1], "valid")
    )
      .dispose();
    const after = deferredStats();
    assertEquals([after.dropped - before.dropped, after.computed - before.computed], [1, 0]);
    source.dispose();
  } finally {
    setPairPool(previous[0]);
    setLazyTranspose(previous[1]);
  }
});

Deno.test("wasm: gru's training steps give the same weights with the SIMD pooling (of the deferred transpose) as with the stock kernels, bit for bit", async () => {
  await setupBackend("wasm");
  const previous = [setPairPool(false), setLazyTranspose(false)];
  try {
    const stock = await weightBitsAfterSteps("gru", 2);
    setPairPool(true);
    const before = [pairPoolCount(), pairPoolOfTransposeCount()];
    const simd = await weightBitsAfterSteps("gru", 2);
    assert(pairPoolCount() > before[0], "gru's time_pool ran the SIMD pass");
    setLazyTranspose(true);
    const fused = await weightBitsAfterSteps("gru", 2);
    assert(pairPoolOfTransposeCount() > before[1], "gru's time_pool read the deferred transpose's input");
    for (const [what, result] of [["pair pass", simd], ["of the transpose's input", fused]] as const) {
      assertEquals(result.length, stock.length);
      stock.forEach((bits, i) => assertEquals(result[i], bits, `${what}: weight ${i}`));
    }
  } finally {
    setPairPool(previous[0]);
    setLazyTranspose(previous[1]);
  }
});
