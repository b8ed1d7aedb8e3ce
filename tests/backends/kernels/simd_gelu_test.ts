import { assertEquals, assertLess, assertThrows } from "@std/assert";
import * as tf from "@tensorflow/tfjs-core";
import { Random } from "../../../core/random.ts";
import {
  GELU_GRAD_KERNEL,
  GELU_KERNEL,
  GELU_WITH_SLOPE_KERNEL,
  simdGeluCount,
} from "../../../backends/kernels/simd_gelu.ts";
import { compareBackends, normalInput, setupBackends } from "./_parity.ts";

/** tfjs-layers' `gelu`, the reference on cpu. */
const stockGelu = (x: tf.Tensor) => tf.mul(x, tf.mul(0.5, tf.add(1, tf.erf(tf.div(x, Math.SQRT2)))));
const fusedGelu = (x: tf.Tensor) => tf.engine().runKernel(GELU_KERNEL, { x }) as tf.Tensor;

Deno.test("the GELU kernel on wasm (SIMD) matches tfjs's gelu on cpu, values and gradient, with and without a remainder of 4", async () => {
  await setupBackends();
  const random = new Random(161);
  for (const shape of [[3], [4], [5, 7], [2, 33, 16]]) {
    const x = normalInput(random, shape);
    for (let i = 0; i < x.values.length; i += 3) x.values[i] *= 4; // reach the tails
    const dy = normalInput(random, shape);
    const before = simdGeluCount();
    const run = (gelu: (x: tf.Tensor) => tf.Tensor) => ({ x, dy }: Record<string, tf.Tensor>) => {
      const [y, dx] = [gelu(x), tf.grad((x: tf.Tensor) => tf.sum(tf.mul(gelu(x), dy)))(x)];
      return [y, dx];
    };
    const error = await compareBackends({ x, dy }, run(fusedGelu), run(stockGelu));
    assertLess(error, 2e-6, JSON.stringify(shape));
    assertEquals(simdGeluCount() - before, 3, JSON.stringify(shape)); // forward twice, gradient once
  }
});

Deno.test("the GELU kernel saturates: 0 far below zero, x far above, gradient (almost) 0 and 1", async () => {
  await setupBackends();
  await tf.setBackend("wasm");
  const x = tf.tensor1d([-30, -10, 0, 10, 30, Infinity, -Infinity, 1]);
  const [y, dx] = tf.tidy(() => [fusedGelu(x), tf.grad((x: tf.Tensor) => tf.sum(fusedGelu(x)))(x)]);
  const values = Array.from(await y.data());
  const grads = Array.from(await dx.data());
  assertEquals(values.slice(0, 6).map((v) => Math.abs(v)), [0, 0, 0, 10, 30, Infinity]);
  assertEquals(grads.slice(0, 5).map((g) => Math.abs(g) < 1e-20 ? 0 : g), [0, 0, 0.5, 1, 1]);
  assertLess(Math.abs(values[7] - 0.8413447), 1e-6);
  tf.dispose([x, y, dx]);
});

Deno.test("wasm: MegflowGeluWithSlope's output is MegflowGelu's and dy * slope is MegflowGeluGrad's, bit for bit", async () => {
  await setupBackends();
  await tf.setBackend("wasm");
  const random = new Random(163);
  for (const shape of [[4], [8, 12], [2, 33, 16], [32, 32, 10, 64]]) {
    const size = shape.reduce((a, b) => a * b, 1);
    // normal values, some scaled into erf's tails, and the special values
    const values = Float32Array.from({ length: size }, (_, i) => random.normal() * (i % 3 === 0 ? 6 : 1));
    values.set([0, -0, Infinity, -Infinity].slice(0, size));
    const [x, dy] = [
      tf.tensor(values, shape),
      tf.tensor(Float32Array.from({ length: size }, () => random.normal()), shape),
    ];
    const [y, slope] = tf.engine().runKernel(GELU_WITH_SLOPE_KERNEL, { x }) as tf.Tensor[];
    const plain = tf.engine().runKernel(GELU_KERNEL, { x }) as tf.Tensor;
    const grad = tf.engine().runKernel(GELU_GRAD_KERNEL, { x, dy }) as tf.Tensor;
    const product = tf.mul(dy, slope);
    const bits = (t: tf.Tensor) => Array.from(new Uint32Array((t.dataSync() as Float32Array).slice().buffer));
    assertEquals(bits(y), bits(plain), `value ${shape}`);
    assertEquals(bits(product), bits(grad), `gradient ${shape}`);
    tf.dispose([x, dy, y, slope, plain, grad, product]);
  }
  const odd = tf.zeros([3, 5]);
  assertThrows(() => tf.engine().runKernel(GELU_WITH_SLOPE_KERNEL, { x: odd }), RangeError, "multiple of 4");
  odd.dispose();
});
