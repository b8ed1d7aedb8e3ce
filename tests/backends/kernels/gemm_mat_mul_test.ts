import { assert, assertEquals, assertLess } from "@std/assert";
import * as tf from "@tensorflow/tfjs-core";
import { Random } from "../../../core/random.ts";
import {
  gemmFoldedTransposes,
  gemmProducts,
  gemmSplitProducts,
  gemmTransposedProducts,
} from "../../../backends/kernels/gemm_mat_mul.ts";
import {
  MAX_LAZY_NARROW_COLS,
  MIN_LAZY_NARROW_VALUES,
  MIN_LAZY_VALUES,
  setLazyTranspose,
} from "../../../backends/kernels/transpose.ts";
import { deferredStats } from "../../../core/_deferred.ts";
import { helperThreadReady, kernelThreads, setKernelThreads } from "../../../core/_helper_thread.ts";
import { compareBackends, normalInput, setupBackends } from "./_parity.ts";

/** [a, b] before any transposition (a `[..., m, k]`, b `[..., k, n]`): single products of every block and tail. */
const SHAPES: Array<[number[], number[]]> = [
  [[5, 7], [7, 3]],
  [[1, 33, 17], [1, 17, 20]],
  [[9, 300], [300, 13]], // a^T b over several depth chunks
  [[1, 1, 6, 40], [1, 1, 40, 24]],
  [[64, 8], [8, 1]],
];

Deno.test("plain, a^T b and a b^T single products on wasm (the WebAssembly product) match cpu", async () => {
  await setupBackends();
  const random = new Random(131);
  const swap = (shape: number[]) => [...shape.slice(0, -2), shape[shape.length - 1], shape[shape.length - 2]];
  for (const [aShape, bShape] of SHAPES) {
    for (const [transposeA, transposeB] of [[false, false], [true, false], [false, true]]) {
      const before = gemmProducts();
      const error = await compareBackends(
        {
          a: normalInput(random, transposeA ? swap(aShape) : aShape),
          b: normalInput(random, transposeB ? swap(bShape) : bShape),
        },
        ({ a, b }) => tf.matMul(a, b, transposeA, transposeB),
      );
      const what = `${JSON.stringify([aShape, bShape])} transposeA ${transposeA} transposeB ${transposeB}`;
      assertLess(error, 1e-5, what);
      assertEquals(gemmProducts() - before, 1, `${what}: computed by the WebAssembly product`);
    }
  }
});

Deno.test("a dense layer's x W + b (fused matMul with a bias) on wasm is the WebAssembly product and matches cpu", async () => {
  await setupBackends();
  const random = new Random(132);
  for (const [m, k, n] of [[40, 12, 5], [7, 3, 9], [1, 4, 16]]) {
    const before = gemmProducts();
    const error = await compareBackends(
      {
        a: normalInput(random, [1, m, k]),
        b: normalInput(random, [1, k, n]),
        bias: normalInput(random, [n]),
      },
      ({ a, b, bias }) => tf.fused.matMul({ a: a as tf.Tensor3D, b: b as tf.Tensor3D, bias }),
    );
    assertLess(error, 1e-5, `[${m}, ${k}, ${n}]`);
    assertEquals(gemmProducts() - before, 1);
  }
});

Deno.test("batched products and fused activations go to the other wasm kernels", async () => {
  await setupBackends();
  const random = new Random(133);
  const before = gemmProducts();
  const batched = await compareBackends(
    { a: normalInput(random, [3, 4, 5]), b: normalInput(random, [3, 5, 2]) },
    ({ a, b }) => tf.matMul(a, b),
  );
  const relu = await compareBackends(
    { a: normalInput(random, [1, 6, 5]), b: normalInput(random, [1, 5, 4]) },
    ({ a, b }) => tf.fused.matMul({ a: a as tf.Tensor3D, b: b as tf.Tensor3D, activation: "relu" }),
  );
  assertLess(Math.max(batched, relu), 1e-5);
  assertEquals(gemmProducts(), before);
});

/** The float32 bits of `x`'s values. */
function bits(x: tf.Tensor): number[] {
  return Array.from(new Uint32Array((x.dataSync() as Float32Array).slice().buffer));
}

Deno.test("products split with the helper thread are the one-thread products bit for bit: a b, a b + bias, a^T b, a b^T", async () => {
  await setupBackends();
  await tf.setBackend("wasm");
  const before = kernelThreads();
  setKernelThreads(2);
  assert(await helperThreadReady(), "a machine with two cores runs the helper");
  const random = new Random(134);
  const made: tf.Tensor[] = [];
  const tensor = (shape: number[]) => {
    made.push(tf.tensor(normalInput(random, shape).values, shape));
    return made[made.length - 1];
  };
  const cases: Array<[string, () => tf.Tensor]> = [];
  for (const [m, k, n] of [[301, 200, 70], [4000, 64, 48], [60, 1000, 200]]) {
    const [a, b, aT, bT, bias] = [tensor([m, k]), tensor([k, n]), tensor([k, m]), tensor([n, k]), tensor([n])];
    cases.push(
      [`a b [${m}, ${k}, ${n}]`, () => tf.matMul(a, b)],
      [`a b + bias [${m}, ${k}, ${n}]`, () => tf.fused.matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D, bias })],
      [`a^T b [${m}, ${k}, ${n}]`, () => tf.matMul(aT, b, true, false)],
      [`a b^T [${m}, ${k}, ${n}]`, () => tf.matMul(a, bT, false, true)],
    );
  }
  try {
    for (const [what, product] of cases) {
      setKernelThreads(1);
      const splitBefore = gemmSplitProducts();
      const one = tf.tidy(() => bits(product()));
      assertEquals(gemmSplitProducts(), splitBefore, `${what}: one thread`);
      setKernelThreads(2);
      const two = tf.tidy(() => bits(product()));
      assertEquals(gemmSplitProducts(), splitBefore + 1, `${what}: split`);
      assertEquals(two, one, what);
    }
  } finally {
    setKernelThreads(before);
    tf.dispose(made);
  }
});

/** `x^T W (+ bias)` per matrix of `x` (`[batch, rows, cols]` flat, W `[rows, n]`), and `sum_i x_i dy_i`, in float64. */
function foldedReference(x: Float32Array, w: Float32Array, dy: Float32Array, bias: Float32Array, dims: number[]) {
  const [batch, rows, cols, n] = dims;
  const y = new Float64Array(batch * cols * n), g = new Float64Array(rows * n);
  for (let i = 0; i < batch; i++) {
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const v = x[(i * rows + r) * cols + c], row = i * cols + c;
        for (let j = 0; j < n; j++) {
          y[row * n + j] += v * w[r * n + j] + (r === 0 ? bias[j] : 0);
          g[r * n + j] += v * dy[row * n + j];
        }
      }
    }
  }
  return { y, g };
}

/** The largest error of `actual` against `expected`, relative to `expected`'s largest magnitude. */
function scaledError(actual: number[], expected: Float64Array): number {
  const scale = expected.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const values = new Float32Array(new Uint32Array(actual).buffer);
  return values.reduce((m, v, i) => Math.max(m, Math.abs(v - expected[i])), 0) / scale;
}

Deno.test("a b + bias and a^T b of a pending transpose read its input in place: the copy's bits, never computed", async () => {
  await setupBackends();
  await tf.setBackend("wasm");
  const random = new Random(135);
  // [batch..., rows, cols] swapped to [batch..., cols, rows] and flattened to a [batch * cols, rows] operand; a
  // narrow one (vivit's filter_maps, [32, 5, 400, 8]) is deferred from fewer values, a small one not at all
  const cases = [[[2, 3, 50, 3500], 8], [[5, 40, 5300], 16], [[2, 3, 50, 3500], 12], [[32, 5, 400, 8], 8], [[
    2,
    400,
    8,
  ], 8]] as const;
  for (const [shape, n] of cases) {
    const [rows, cols] = shape.slice(-2), batch = shape.slice(0, -2).reduce((a, b) => a * b, 1);
    const size = batch * rows * cols;
    const deferred = size >= MIN_LAZY_VALUES || (cols <= MAX_LAZY_NARROW_COLS && size >= MIN_LAZY_NARROW_VALUES);
    assertEquals(deferred, size > 6400);
    const [xs, ws, dys, biases] = [[...shape], [rows, n], [batch * cols, n], [n]].map((s) => normalInput(random, s));
    const [x, w, dy, bias] = [xs, ws, dys, biases].map(({ values, shape }) => tf.tensor(values, shape));
    const perm = [...shape.map((_, i) => i).slice(0, -2), shape.length - 1, shape.length - 2];
    const run = (lazy: boolean) => {
      const previous = setLazyTranspose(lazy);
      const [folded, dropped] = [gemmFoldedTransposes(), deferredStats().dropped];
      try {
        const out = tf.tidy(() => {
          const a = tf.reshape(tf.transpose(x, perm), [batch * cols, rows]) as tf.Tensor2D;
          const y = tf.fused.matMul({ a, b: w as tf.Tensor2D, bias });
          return [bits(y), bits(tf.matMul(a, dy, true, false))];
        });
        return { out, folded: gemmFoldedTransposes() - folded, dropped: deferredStats().dropped - dropped };
      } finally {
        setLazyTranspose(previous);
      }
    };
    const [copied, folded] = [run(false), run(true)];
    const what = `${JSON.stringify(shape)} n ${n}`;
    assertEquals(copied.folded, 0, what);
    assertEquals(folded.folded, deferred && n % 8 === 0 ? 2 : 0, `${what}: both products read the input`);
    assertEquals(folded.dropped, deferred && n % 8 === 0 ? 1 : 0, `${what}: the transpose is dropped unread`);
    assertEquals(folded.out, copied.out, `${what}: the bits of the products of the copy`);
    const f32 = (spec: { values: Float32Array | Int32Array }) => spec.values as Float32Array;
    const { y, g } = foldedReference(f32(xs), f32(ws), f32(dys), f32(biases), [batch, rows, cols, n]);
    assertLess(scaledError(folded.out[0], y), 1e-5, `${what}: a b + bias`);
    assertLess(scaledError(folded.out[1], g), 1e-5, `${what}: a^T b`);
    tf.dispose([x, w, dy, bias]);
  }
});

Deno.test("a product of a pending transpose that the helper thread shares is computed on the copy, as before", async () => {
  await setupBackends();
  await tf.setBackend("wasm");
  const before = kernelThreads();
  setKernelThreads(2);
  assert(await helperThreadReady(), "a machine with two cores runs the helper");
  const random = new Random(136);
  const [x, w] = [[8, 256, 512], [256, 32]].map((shape) => tf.tensor(normalInput(random, shape).values, shape));
  try {
    const [folded, split] = [gemmFoldedTransposes(), gemmSplitProducts()];
    const y = tf.tidy(() => bits(tf.matMul(tf.reshape(tf.transpose(x, [0, 2, 1]), [8 * 512, 256]), w)));
    assertEquals(gemmFoldedTransposes() - folded, 0);
    assertEquals(gemmSplitProducts() - split, 1);
    setKernelThreads(1);
    const one = tf.tidy(() => bits(tf.matMul(tf.reshape(tf.transpose(x, [0, 2, 1]), [8 * 512, 256]), w)));
    assertEquals(gemmFoldedTransposes() - folded, 1, "one thread: read in place");
    assertEquals(one, y);
  } finally {
    setKernelThreads(before);
    tf.dispose([x, w]);
  }
});

Deno.test("the transpose of a reshaped pending a b^T is computed as b a_i^T block by block: the bits of the product's transpose", async () => {
  await setupBackends();
  await tf.setBackend("wasm");
  const random = new Random(136);
  // [m, k] x [n, k]^T reshaped to [..., rows, n]: vivit's spatial filters' input gradient, and rows not a multiple of 8
  for (
    const [m, k, n, shape, folds] of [[1280, 8, 400, [32, 5, 8, 400], true], [60, 5, 24, [5, 12, 24], false]] as const
  ) {
    const [a, b] = [normalInput(random, [1, m, k]), normalInput(random, [1, n, k])].map(({ values, shape }) =>
      tf.tensor(values, shape)
    );
    const perm = [...shape.map((_, i) => i).slice(0, -2), shape.length - 1, shape.length - 2];
    const before = gemmTransposedProducts();
    const [folded, copied] = tf.tidy(() => {
      const lazy = tf.transpose(tf.reshape(tf.matMul(a, b, false, true), [...shape]), perm);
      const product = tf.matMul(a, b, false, true);
      product.dataSync(); // computed first: its transpose is a copy
      return [bits(lazy), bits(tf.transpose(tf.reshape(product, [...shape]), perm))];
    });
    assertEquals(gemmTransposedProducts() - before, folds ? 1 : 0, JSON.stringify(shape));
    assertEquals(folded, copied, `${JSON.stringify(shape)}: the bits of the copy`);
    tf.dispose([a, b]);
  }
});
