import { assert, assertEquals } from "@std/assert";
import * as tf from "@tensorflow/tfjs-core";
import { Random } from "../../../core/random.ts";
import {
  MIN_STREAM_VALUES,
  setSimdTranspose,
  simdTransposeCount,
  transposeBlocked,
  transposeStreamed,
} from "../../../backends/kernels/transpose.ts";
import { setupBackend } from "../../../backends/backend.ts";
import { weightBitsAfterSteps } from "../../training/_weight_bits_after_steps.ts";
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

/** `x` (row-major `shape`) permuted by `perm`, computed index by index. */
function permuted(bits: Uint32Array, shape: number[], perm: number[]): Uint32Array {
  const outShape = perm.map((axis) => shape[axis]);
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const out = new Uint32Array(bits.length);
  const index = new Array(shape.length).fill(0);
  for (let o = 0; o < out.length; o++) {
    out[o] = bits[perm.reduce((sum, axis, i) => sum + index[i] * strides[axis], 0)];
    for (let i = shape.length - 1; i >= 0 && ++index[i] === outShape[i]; i--) index[i] = 0;
  }
  return out;
}

/** Shapes, permutations and whether the SIMD copy takes them (else the tiles, rows or stock kernel). */
const SIMD_CASES: Array<[number[], number[], boolean]> = [
  [[32, 248, 250], [0, 2, 1], false], // a batch of mid-size matrices: stock (faster there)
  [[3, 7, 9], [0, 2, 1], false], // small with ragged sides: stock
  [[5, 4, 4], [0, 2, 1], true],
  [[2, 13, 6], [0, 2, 1], false],
  [[2, 4, 8], [0, 2, 1], true],
  [[2, 70, 61], [0, 2, 1], true], // ragged, but 4096 values or more: SIMD blocks and JavaScript edges
  [[32, 250, 32], [0, 2, 1], true],
  [[300, 270], [1, 0], true], // would be JavaScript tiles
  [[6, 4, 3], [0, 2, 1], false], // a side under 4
  [[64, 2, 10, 16], [0, 2, 1, 3], true], // attention heads: blocks of 16 values
  [[8, 6, 5, 16], [2, 0, 1, 3], true], // tsa's router transposes
  [[5, 8, 6, 4], [1, 2, 0, 3], true],
  [[4, 3, 5, 3], [0, 2, 1, 3], false], // blocks of 3 values: stock
  [[4, 3, 5], [2, 1, 0], false], // not a swap of two groups: stock
];

Deno.test("wasm: the SIMD transposes copy every value's bits (float32 with NaN payloads, signalling too, and -0; int32), ragged sides and blocks too", async () => {
  await setupBackend("wasm");
  const random = new Random(78);
  const previous = setSimdTranspose(true);
  try {
    for (const [shape, perm, simd] of SIMD_CASES) {
      const size = shape.reduce((a, b) => a * b, 1);
      const bits = Uint32Array.from({ length: size }, () => Math.floor(random.next() * 2 ** 32));
      // NaN payloads (quiet and signalling) and -0, also in the last columns (copied by JavaScript)
      for (const at of [0, 1, 2, size - 1, size - 2]) bits[at] = [0x7fc00001, 0xffa00000, 0x80000000][at % 3];
      const expected = permuted(bits, shape, perm);
      for (const dtype of ["float32", "int32"] as const) {
        const x = dtype === "float32"
          ? tf.tensor(new Float32Array(bits.buffer), shape)
          : tf.tensor(new Int32Array(bits.buffer), shape, "int32");
        const before = simdTransposeCount();
        const y = tf.transpose(x, perm);
        assertEquals(simdTransposeCount() - before, simd ? 1 : 0, `${shape} ${perm} ${dtype}`);
        const out = new Uint32Array(y.dataSync().slice().buffer);
        // the stock and JavaScript paths may quiet signalling NaNs: only the SIMD copy is held to every bit
        const differs = (value: number, i: number) =>
          simd ? value !== expected[i] : value !== expected[i] && (expected[i] & 0x7f800000) !== 0x7f800000;
        const first = out.findIndex(differs);
        assertEquals(first, -1, `${shape} ${perm} ${dtype}: first difference at ${first}`);
        tf.dispose([x, y]);
      }
    }
    setSimdTranspose(false);
    const before = simdTransposeCount();
    tf.dispose(tf.transpose(tf.zeros([8, 8])));
    assertEquals(simdTransposeCount(), before, "switched off");
  } finally {
    setSimdTranspose(previous);
  }
});

Deno.test("wasm: tsa's and gru's training steps give the same weights, bit for bit, with the SIMD transposes and without", async () => {
  await setupBackend("wasm");
  const previous = setSimdTranspose(true);
  try {
    for (const name of ["tsa", "gru"]) {
      setSimdTranspose(false);
      const before = simdTransposeCount();
      const stock = await weightBitsAfterSteps(name, 2);
      assertEquals(simdTransposeCount(), before);
      setSimdTranspose(true);
      const simd = await weightBitsAfterSteps(name, 2);
      if (name === "tsa") assert(simdTransposeCount() > before, "tsa's attention transposes run the SIMD copy");
      assertEquals(simd.length, stock.length);
      stock.forEach((bits, i) => assertEquals(simd[i], bits, `${name}: weight ${i}`));
    }
  } finally {
    setSimdTranspose(previous);
  }
});
