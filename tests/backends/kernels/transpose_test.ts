import { assertEquals } from "@std/assert";
import * as tf from "@tensorflow/tfjs-core";
import { Random } from "../../../core/random.ts";
import { MIN_STREAM_VALUES, transposeBlocked, transposeStreamed } from "../../../backends/kernels/transpose.ts";
import { compareBackends, normalInput, runOn, setupBackends } from "./_parity.ts";

Deno.test("Transpose on wasm matches cpu for batched matrix transposes (tiled) and other permutations (stock)", async () => {
  await setupBackends();
  const random = new Random(77);
  const cases: Array<{ x: number[]; perm: number[] }> = [
    { x: [300, 270], perm: [1, 0] }, // tiles with ragged edges
    { x: [2, 260, 257], perm: [0, 2, 1] }, // a batch of matrices
    { x: [2, 1, 256, 290], perm: [0, 1, 3, 2] },
    { x: [5, 6], perm: [1, 0] }, // small: stock kernel
    { x: [Math.ceil(MIN_STREAM_VALUES / 40) + 3, 40], perm: [1, 0] }, // tall and narrow: streamed rows
    { x: [2, MIN_STREAM_VALUES / 64, 64], perm: [0, 2, 1] },
    { x: [4, 50, 3, 40], perm: [0, 2, 1, 3] }, // not a last-two swap: stock kernel
  ];
  for (const c of cases) {
    const error = await compareBackends({ x: normalInput(random, c.x) }, ({ x }) => tf.transpose(x, c.perm));
    assertEquals(error, 0, `case ${JSON.stringify(c)}`);
  }
  const values = new Int32Array(300 * 290).map((_, i) => i);
  const ints = await runOn("wasm", { x: { shape: [300, 290], values } }, ({ x }) => tf.transpose(x));
  assertEquals(ints.shapes[0], [290, 300]);
  assertEquals(ints.values[0][1], 290);
});

Deno.test("transposeBlocked transposes every matrix of a batch", () => {
  const src = Float32Array.from({ length: 2 * 3 * 4 }, (_, i) => i);
  const dst = new Float32Array(src.length);
  transposeBlocked(src, dst, 2, 3, 4);
  assertEquals(Array.from(dst.subarray(0, 12)), [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
  assertEquals(dst[12], 12);
  assertEquals(dst[13], 16);
});

Deno.test("transposeStreamed transposes every matrix of a batch", () => {
  const src = Float32Array.from({ length: 2 * 5 * 2 }, (_, i) => i);
  const dst = new Float32Array(src.length);
  transposeStreamed(src, dst, 2, 5, 2);
  assertEquals(Array.from(dst.subarray(0, 10)), [0, 2, 4, 6, 8, 1, 3, 5, 7, 9]);
  assertEquals(Array.from(dst.subarray(10, 12)), [10, 12]);
});
