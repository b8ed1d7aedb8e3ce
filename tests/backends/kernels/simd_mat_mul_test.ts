import { assert, assertEquals, assertLess } from "@std/assert";
import * as tf from "@tensorflow/tfjs-core";
import { Random } from "../../../core/random.ts";
import { LARGE_PRODUCT, simdProductCount } from "../../../backends/kernels/simd_mat_mul.ts";
import { compareBackends, normalInput, setupBackends } from "./_parity.ts";

/** [a shape, b shape] before any transposition: a `[..., m, k]`, b `[..., k, n]`. */
const SHAPES: Array<[number[], number[]]> = [
  [[1, 1], [1, 1]],
  [[5, 7], [7, 3]], // m % 4 = 1, n < 8
  [[8, 16], [16, 8]], // whole blocks: B and C used in place
  [[11, 13], [13, 19]], // both remainders
  [[4, 6, 9], [4, 9, 2]], // a batch
  [[1, 6, 9], [3, 9, 5]], // batch of a broadcast
  [[3, 6, 9], [9, 16]], // b without batch axes
  [[2, 3, 4, 5], [2, 3, 5, 6]], // rank 4
  [[32, 124], [124, 32]], // spectral's hidden layer, smaller
  [[2, 7, 10, 10], [2, 7, 10, 16]], // attention: weights @ values
];

const swap = (shape: number[]) => [...shape.slice(0, -2), shape[shape.length - 1], shape[shape.length - 2]];

Deno.test("matMul on the wasm SIMD product matches cpu for every transpose combination, remainder and batch layout", async () => {
  await setupBackends();
  const random = new Random(131);
  for (const [aShape, bShape] of SHAPES) {
    for (const transposeA of [false, true]) {
      for (const transposeB of [false, true]) {
        const before = simdProductCount();
        const error = await compareBackends(
          {
            a: normalInput(random, transposeA ? swap(aShape) : aShape),
            b: normalInput(random, transposeB ? swap(bShape) : bShape),
          },
          ({ a, b }) => tf.matMul(a, b, transposeA, transposeB),
        );
        const label = `${JSON.stringify([aShape, bShape])} transposeA ${transposeA} transposeB ${transposeB}`;
        assertLess(error, 1e-5, label);
        assertEquals(simdProductCount() - before, 1, `${label}: not computed by the SIMD product`);
      }
    }
  }
});

Deno.test("a fused matMul (dense layer) with bias and relu or no activation on the SIMD product matches cpu, gradients too", async () => {
  await setupBackends();
  const random = new Random(132);
  for (const [m, k, n] of [[5, 7, 3], [12, 20, 16], [32, 30, 10]]) {
    for (const activation of ["linear", "relu"] as const) {
      const before = simdProductCount();
      const error = await compareBackends(
        { x: normalInput(random, [m, k]), w: normalInput(random, [k, n]), bias: normalInput(random, [n]) },
        ({ x, w, bias }) => {
          const f = (x: tf.Tensor, w: tf.Tensor, bias: tf.Tensor) =>
            tf.sum(tf.square(tf.fused.matMul({ a: x as tf.Tensor2D, b: w as tf.Tensor2D, bias, activation })));
          const y = tf.fused.matMul({ a: x as tf.Tensor2D, b: w as tf.Tensor2D, bias, activation });
          return [y, ...tf.grads(f)([x, w, bias])];
        },
      );
      assertLess(error, 1e-5, `[${m}, ${k}] x [${k}, ${n}] ${activation}`);
      // forward, the kernel's gradient and the (read) input gradient
      assert(simdProductCount() - before >= 3, `[${m}, ${k}] x [${k}, ${n}] ${activation}: SIMD product not used`);
    }
  }
});

Deno.test("a large single product goes to the stock kernel unless A is transposed (a weight gradient); in a batch of two it does not", async () => {
  await setupBackends();
  await tf.setBackend("wasm");
  const [m, k, n] = [512, 256, 128];
  assert(m * k * n >= LARGE_PRODUCT);
  const a = tf.ones([m, k]);
  const b = tf.ones([k, n]);
  let before = simdProductCount();
  const single = tf.matMul(a, b);
  assertEquals(simdProductCount() - before, 0);
  const batchA = tf.stack([a, a]);
  before = simdProductCount();
  const batched = tf.matMul(batchA, tf.stack([b, b]));
  assertEquals(simdProductCount() - before, 1);
  const aT = tf.transpose(a);
  before = simdProductCount();
  const gradientLike = tf.matMul(aT, b, true, false);
  assertEquals(simdProductCount() - before, 1);
  assertEquals((await batched.data())[0], k);
  assertEquals((await single.data())[m * n - 1], k);
  assertEquals((await gradientLike.data())[m * n - 1], k);
  tf.dispose([a, b, single, batchA, batched, aT, gradientLike]);
});

Deno.test("a long sum (k over 256, computed in chunks added to C) with bias and relu matches cpu", async () => {
  await setupBackends();
  const random = new Random(133);
  for (const [m, k, n] of [[6, 700, 12], [9, 513, 8]]) {
    for (const transposeA of [false, true]) {
      const before = simdProductCount();
      const error = await compareBackends(
        {
          x: normalInput(random, transposeA ? [k, m] : [m, k]),
          w: normalInput(random, [k, n]),
          bias: normalInput(random, [n]),
        },
        ({ x, w, bias }) =>
          tf.fused.matMul({ a: x as tf.Tensor2D, b: w as tf.Tensor2D, bias, activation: "relu", transposeA }),
      );
      assertLess(error, 1e-5, `[${m}, ${k}] x [${k}, ${n}] transposeA ${transposeA}`);
      assertEquals(simdProductCount() - before, 1);
    }
  }
});
