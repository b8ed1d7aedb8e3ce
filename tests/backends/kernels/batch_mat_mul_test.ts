import { assertEquals, assertLess } from "@std/assert";
import * as tf from "@tensorflow/tfjs-core";
import { Random } from "../../../core/random.ts";
import { deferredStats } from "../../../backends/kernels/_deferred.ts";
import { compareBackends, normalInput, relativeError, setupBackends } from "./_parity.ts";

/** [a shape, b shape] before any transposition: a `[..., m, k]`, b `[..., k, n]`. */
const SHAPES: Array<[number[], number[]]> = [
  [[5, 7], [7, 3]],
  [[4, 6, 9], [4, 9, 2]],
  [[1, 6, 9], [3, 9, 5]], // broadcast batch
  [[2, 3, 4, 5], [2, 3, 5, 6]], // rank 4
  [[33, 17], [17, 20]],
  [[6, 40], [40, 24]], // a^T b with m < n: computed as (b^T a)^T
  [[2, 5, 30], [2, 30, 11]],
];

Deno.test("matMul on wasm matches cpu for every transpose combination and batch layout", async () => {
  await setupBackends();
  const random = new Random(121);
  for (const [aShape, bShape] of SHAPES) {
    for (const transposeA of [false, true]) {
      for (const transposeB of [false, true]) {
        const swap = (shape: number[]) => [...shape.slice(0, -2), shape[shape.length - 1], shape[shape.length - 2]];
        const error = await compareBackends(
          {
            a: normalInput(random, transposeA ? swap(aShape) : aShape),
            b: normalInput(random, transposeB ? swap(bShape) : bShape),
          },
          ({ a, b }) => tf.matMul(a, b, transposeA, transposeB),
        );
        assertLess(
          error,
          1e-5,
          `${JSON.stringify([aShape, bShape])} transposeA ${transposeA} transposeB ${transposeB}`,
        );
      }
    }
  }
});

Deno.test("the input gradient of a fused matMul (a dense layer) is never computed on wasm when only the kernel's is used", async () => {
  await setupBackends();
  await tf.setBackend("wasm");
  const random = new Random(122);
  const x = tf.tensor(normalInput(random, [1, 40, 12]).values, [1, 40, 12]) as tf.Tensor3D;
  const kernel = tf.tensor(normalInput(random, [1, 12, 5]).values, [1, 12, 5]) as tf.Tensor3D;
  const bias = tf.tensor1d(normalInput(random, [5]).values as Float32Array);
  const dense = (a: tf.Tensor3D, b: tf.Tensor3D) => tf.sum(tf.square(tf.fused.matMul({ a, b, bias })));
  const before = deferredStats();
  const kernelGrad = tf.grad((w: tf.Tensor) => dense(x, w as tf.Tensor3D))(kernel);
  const after = deferredStats();
  assertEquals(after.deferred - before.deferred, 1);
  assertEquals(after.dropped - before.dropped, 1);
  assertEquals(after.computed, before.computed);
  // Asking for the input's gradient computes it, and it matches cpu.
  const inputGrad = tf.grad((a: tf.Tensor) => dense(a as tf.Tensor3D, kernel))(x);
  const wasm = Float32Array.from(await inputGrad.data() as Float32Array);
  assertEquals(deferredStats().computed - after.computed, 1);
  await tf.setBackend("cpu");
  const cpu = await tf.grad((a: tf.Tensor) =>
    tf.sum(tf.square(tf.fused.matMul({ a: a as tf.Tensor3D, b: tf.clone(kernel), bias: tf.clone(bias) })))
  )(tf.clone(x)).data() as Float32Array;
  assertLess(relativeError(wasm, cpu), 1e-5);
  tf.dispose([x, kernel, bias, kernelGrad, inputGrad]);
});

Deno.test("a deferred a @ b^T on wasm is right even after its inputs were disposed", async () => {
  await setupBackends();
  const random = new Random(123);
  const aSpec = normalInput(random, [2, 9, 7]);
  const bSpec = normalInput(random, [2, 4, 7]);
  const run = async (backend: string) => {
    await tf.setBackend(backend);
    const a = tf.tensor(aSpec.values, aSpec.shape);
    const b = tf.tensor(bSpec.values, bSpec.shape);
    const product = tf.matMul(a, b, false, true);
    tf.dispose([a, b]);
    const values = Float32Array.from(await product.data() as Float32Array);
    product.dispose();
    return values;
  };
  const cpu = await run("cpu");
  const wasm = await run("wasm");
  assertLess(relativeError(wasm, cpu), 1e-5);
});
