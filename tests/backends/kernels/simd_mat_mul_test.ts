import { assert, assertEquals, assertLess } from "@std/assert";
import * as tf from "@tensorflow/tfjs-core";
import { Random } from "../../../core/random.ts";
import {
  LARGE_PRODUCT,
  simdProductCount as simdOnly,
  simdSplitProductCount,
} from "../../../backends/kernels/simd_mat_mul.ts";
import { helperThreadReady, kernelThreads, setKernelThreads } from "../../../core/_helper_thread.ts";
import { gemmProducts } from "../../../backends/kernels/gemm_mat_mul.ts";

/**
 * Products computed by megflow's WebAssembly kernels: `gemm_mat_mul.ts` takes the single-batch
 * ones first and hands the rest (batches, relu) to `simd_mat_mul.ts`.
 */
const simdProductCount = () => simdOnly() + gemmProducts();
import { compareBackends, normalInput, relativeError, setupBackends } from "./_parity.ts";
import { gemmBytes, type GemmKernels } from "../../../backends/kernels/_gemm_wasm.ts";

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
  [[28, 20], [20, 16]], // rows in blocks of six, four and one
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

Deno.test("a large product, its weight gradient and a batch all run on the SIMD product", async () => {
  await setupBackends();
  await tf.setBackend("wasm");
  const [m, k, n] = [512, 256, 128];
  const a = tf.ones([m, k]);
  const b = tf.ones([k, n]);
  const aT = tf.transpose(a);
  const batchA = tf.stack([a, a]);
  const batchB = tf.stack([b, b]);
  const before = simdProductCount();
  const single = tf.matMul(a, b);
  const gradientLike = tf.matMul(aT, b, true, false);
  const batched = tf.matMul(batchA, batchB);
  assertEquals(simdProductCount() - before, 3);
  assertEquals((await single.data())[m * n - 1], k);
  assertEquals((await gradientLike.data())[m * n - 1], k);
  assertEquals((await batched.data())[2 * m * n - 1], k);
  tf.dispose([a, b, single, batchA, batchB, batched, aT, gradientLike]);
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

Deno.test("both builds of the SIMD kernel (fused multiply-add and multiply then add) compute a product with bias, relu and a chunked sum", () => {
  const [m, k, n] = [6, 9, 16];
  const random = new Random(134);
  const a = normalInput(random, [m, k]).values as Float32Array;
  const b = normalInput(random, [k, n]).values as Float32Array;
  const bias = normalInput(random, [n]).values as Float32Array;
  const expected = new Float32Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = bias[j];
      for (let p = 0; p < k; p++) sum += a[i * k + p] * b[p * n + j];
      expected[i * n + j] = Math.max(0, sum);
    }
  }
  for (const fused of [false, true]) {
    const bytes = gemmBytes(fused);
    if (fused && !WebAssembly.validate(bytes as BufferSource)) continue;
    const memory = new WebAssembly.Memory({ initial: 1 });
    const { gemm4, gemm1 } = new WebAssembly.Instance(new WebAssembly.Module(bytes as BufferSource), {
      env: { memory },
    }).exports as unknown as GemmKernels;
    const heap = new Float32Array(memory.buffer);
    const [pa, pb, pBias, pc] = [64, 64 + 4 * m * k, 64 + 4 * (m * k + k * n), 4096];
    heap.set(a, pa / 4);
    heap.set(b, pb / 4);
    heap.set(bias, pBias / 4);
    // k in two chunks: 5 steps from the bias, 4 more added to C, relu on the last
    for (const [k0, kk, first] of [[0, 5, true], [5, 4, false]] as const) {
      const args = [4 * k, 4, 4 * n, 4 * n, 1, 0, 0, 0, first ? 0 : 1, first ? 0 : 1] as const;
      const [ldA, kStride, ldb, ldc, batch, sa, sb, sc, relu, accumulate] = args;
      const bias0 = first ? pBias : 0;
      gemm4(
        pa + 4 * k0,
        pb + 4 * k0 * n,
        pc,
        bias0,
        1,
        n / 8,
        kk,
        ldA,
        kStride,
        ldb,
        ldc,
        batch,
        sa,
        sb,
        sc,
        relu,
        accumulate,
      );
      const a1 = pa + 4 * k0 + 4 * ldA, c1 = pc + 4 * ldc;
      gemm1(a1, pb + 4 * k0 * n, c1, bias0, 2, n / 8, kk, ldA, kStride, ldb, ldc, batch, sa, sb, sc, relu, accumulate);
    }
    const got = heap.slice(pc / 4, pc / 4 + m * n);
    assertLess(relativeError(got, expected), 1e-6, `fused ${fused}`);
  }
});

Deno.test("a product of at least LARGE_PRODUCT multiply-adds runs on simd_mat_mul's kernel, a smaller single one on gemm_mat_mul's", async () => {
  await setupBackends();
  await tf.setBackend("wasm");
  const [m, k, n] = [1024, 512, 128];
  assertEquals(m * k * n, LARGE_PRODUCT);
  const a = tf.ones([m, k]);
  const b = tf.ones([k, n]);
  const small = tf.ones([k, 8]);
  let [simd, gemm] = [simdOnly(), gemmProducts()];
  const large = tf.matMul(a, b);
  assertEquals([simdOnly() - simd, gemmProducts() - gemm], [1, 0]);
  [simd, gemm] = [simdOnly(), gemmProducts()];
  const single = tf.matMul(a, small);
  assertEquals([simdOnly() - simd, gemmProducts() - gemm], [0, 1]);
  assertEquals((await large.data())[m * n - 1], k);
  assertEquals((await single.data())[m * 8 - 1], k);
  tf.dispose([a, b, small, large, single]);
});

/** The float32 bits of `x`'s values. */
function bits(x: tf.Tensor): number[] {
  return Array.from(new Uint32Array((x.dataSync() as Float32Array).slice().buffer));
}

Deno.test("SIMD products split with the helper thread are the one-thread products bit for bit: large a b and a^T b, bias and relu, odd widths", async () => {
  await setupBackends();
  await tf.setBackend("wasm");
  const before = kernelThreads();
  setKernelThreads(2);
  assert(await helperThreadReady(), "a machine with two cores runs the helper");
  const random = new Random(135);
  const made: tf.Tensor[] = [];
  const tensor = (shape: number[]) => {
    made.push(tf.tensor(normalInput(random, shape).values, shape));
    return made[made.length - 1];
  };
  const [a, b, aT, bT] = [tensor([301, 900]), tensor([900, 256]), tensor([900, 301]), tensor([256, 900])];
  const [x, w, w101, bias, bias101] = [
    tensor([200, 300]),
    tensor([300, 96]),
    tensor([300, 101]),
    tensor([96]),
    tensor([101]),
  ];
  const cases: Array<[string, () => tf.Tensor]> = [
    ["large a b", () => tf.matMul(a, b)],
    ["large a^T b", () => tf.matMul(aT, b, true, false)],
    ["large a b^T", () => tf.matMul(a, bT, false, true)],
    ["x w + bias, relu", () => tf.fused.matMul({ a: x as tf.Tensor2D, b: w as tf.Tensor2D, bias, activation: "relu" })],
    [
      "x w101 + bias, relu",
      () => tf.fused.matMul({ a: x as tf.Tensor2D, b: w101 as tf.Tensor2D, bias: bias101, activation: "relu" }),
    ],
    ["x w, relu", () => tf.fused.matMul({ a: x as tf.Tensor2D, b: w as tf.Tensor2D, activation: "relu" })],
  ];
  try {
    for (const [what, product] of cases) {
      setKernelThreads(1);
      const splitBefore = simdSplitProductCount();
      const one = tf.tidy(() => bits(product()));
      assertEquals(simdSplitProductCount(), splitBefore, `${what}: one thread`);
      setKernelThreads(2);
      const two = tf.tidy(() => bits(product()));
      assertEquals(simdSplitProductCount(), splitBefore + 1, `${what}: split`);
      assertEquals(two, one, what);
    }
  } finally {
    setKernelThreads(before);
    tf.dispose(made);
  }
});
