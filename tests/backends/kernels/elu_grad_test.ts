import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-wasm";
// tfjs-layers registers the gradient functions of all tfjs-core ops when imported.
import "@tensorflow/tfjs-layers";
import { assert, assertEquals } from "@std/assert";
import { eluGradScalar, simdEluGradConfig, simdEluGradCount } from "../../../backends/kernels/elu_grad.ts";
import { Random } from "../../../core/random.ts";

/** Float32 values of every kind: random bit patterns (all exponents, subnormals, NaN, +-Inf), +-0, +-1, near -1. */
function values(n: number, seed: number): Float32Array {
  const random = new Random(seed);
  const bits = new Uint32Array(n);
  for (let i = 0; i < n; i++) bits[i] = Math.floor(random.next() * 2 ** 32) >>> 0;
  const out = new Float32Array(bits.buffer);
  const special = [0, -0, 1, -1, -0.5, -1e-30, 1e-30, -1.0000001, -0.99999994, Infinity, -Infinity, NaN, 1e-45, -1e-45];
  special.forEach((v, i) => out[i] = v);
  // ELU outputs in (-1, 0) with gradients of ordinary size, where the product's rounding matters
  for (let i = special.length; i < n / 2; i++) out[i] = -random.next();
  return out;
}

Deno.test("wasm EluGrad: the SIMD kernel gives the stock kernel's bits (random bit patterns, +-0, NaN, Inf, tails)", async () => {
  await tf.setBackend("wasm");
  const stock = tf.getKernel(tf.EluGrad, "wasm")!; // this file registers megflow's kernels after this test
  const simd = simdEluGradConfig(stock);
  for (const n of [1 << 18, 4099, 3, 1]) {
    const y = tf.tensor1d(values(n, 7 + n));
    const dy = tf.tensor1d(values(n, 11 + n).reverse());
    const run = (config: tf.KernelConfig) => {
      const info = config.kernelFunc({ inputs: { y, dy }, backend: tf.backend(), attrs: {} }) as tf.TensorInfo;
      return tf.engine().makeTensorFromTensorInfo(info);
    };
    const before = simdEluGradCount();
    const a = run(stock);
    assertEquals(simdEluGradCount(), before, "the stock kernel");
    const b = run(simd);
    assertEquals(simdEluGradCount(), before + 1);
    const [av, bv] = [a.dataSync() as Float32Array, b.dataSync() as Float32Array];
    const [ab, bb] = [new Uint32Array(av.buffer, av.byteOffset, n), new Uint32Array(bv.buffer, bv.byteOffset, n)];
    const [ys, dys] = [y.dataSync(), dy.dataSync()];
    for (let i = 0; i < n; i++) {
      if (Number.isNaN(av[i])) assert(Number.isNaN(bv[i]), `${i}: NaN against ${bv[i]}`);
      else assertEquals(bb[i], ab[i], `${i}: y ${ys[i]} dy ${dys[i]}: ${bv[i]} against ${av[i]}`);
      const scalar = eluGradScalar(ys[i], dys[i]);
      if (!Number.isNaN(av[i])) assertEquals(Object.is(scalar, av[i]) || scalar === av[i], true, `scalar ${i}`);
    }
    tf.dispose([y, dy, a, b]);
  }
});

Deno.test("wasm EluGrad: registered with the training kernels, elu's gradient runs it", async () => {
  const { registerWasmTrainingKernels } = await import("../../../backends/kernels/mod.ts");
  registerWasmTrainingKernels();
  await tf.setBackend("wasm");
  const before = simdEluGradCount();
  const g = tf.grad((x: tf.Tensor) => tf.sum(tf.elu(x)))(tf.tensor1d([-2, -1, 0, 1, 2]));
  assertEquals(simdEluGradCount(), before + 1);
  const e = Math.fround(Math.exp(-2));
  assert(Math.abs(g.dataSync()[0] - e) < 1e-6);
  assertEquals(Array.from(g.dataSync()).slice(2), [1, 1, 1]);
  g.dispose();
});
