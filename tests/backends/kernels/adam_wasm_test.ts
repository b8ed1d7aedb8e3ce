import { assertEquals } from "@std/assert";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { setupBackend } from "../../../backends/backend.ts";
import { adamStepInHeap } from "../../../backends/kernels/_adam_wasm.ts";
import { Random } from "../../../core/random.ts";

const f = Math.fround;
const CONSTANTS = {
  beta1: f(0.9),
  beta2: f(0.999),
  oneMinusBeta1: f(1 - 0.9),
  oneMinusBeta2: f(1 - 0.999),
  oneMinusAccBeta1: f(1 - 0.9 ** 3),
  oneMinusAccBeta2: f(1 - 0.999 ** 3),
  epsilon: f(1e-7),
  negativeRate: f(-0.003),
};

Deno.test("adamStepInHeap gives the float32 Adam step bit for bit in the wasm heap, and declines other backends", async () => {
  await setupBackend("wasm");
  const random = new Random(9);
  // Four values at a time, then the last n % 4 one by one: sizes with every tail, and values
  // with zeros, subnormal and huge gradients.
  for (const n of [1, 2, 3, 4, 5, 8, 1003]) {
    const values = (scale: number) => Float32Array.from({ length: n }, () => random.normal() * scale);
    const [g, w, m] = [values(1e3), values(1), values(10)];
    const v = Float32Array.from(values(100), Math.abs);
    const special = [0, 1e-42, -3e-39, 1e30, -0];
    for (let i = 0; i < Math.min(n, special.length); i++) g[(i * 7) % n] = special[i];
    const [weight, mv, vv] = [w, m, v].map((a) => tf.variable(tf.tensor1d(a)));
    const gradient = tf.tensor1d(g);
    assertEquals(adamStepInHeap(gradient, weight, mv, vv, CONSTANTS), true);
    const c = CONSTANTS;
    const bits = (x: number) => new Uint32Array(new Float32Array([x]).buffer)[0];
    const [mOut, vOut, wOut] = [mv.dataSync(), vv.dataSync(), weight.dataSync()];
    for (let i = 0; i < n; i++) {
      const mi = f(f(m[i] * c.beta1) + f(g[i] * c.oneMinusBeta1));
      const vi = f(f(v[i] * c.beta2) + f(f(g[i] * g[i]) * c.oneMinusBeta2));
      const step = f(f(mi / c.oneMinusAccBeta1) / f(f(Math.sqrt(f(vi / c.oneMinusAccBeta2))) + c.epsilon));
      assertEquals(bits(mOut[i]), bits(mi), `n ${n}: m[${i}]`);
      assertEquals(bits(vOut[i]), bits(vi), `n ${n}: v[${i}]`);
      assertEquals(bits(wOut[i]), bits(f(f(step * c.negativeRate) + w[i])), `n ${n}: w[${i}]`);
    }
    tf.dispose([weight, mv, vv, gradient]);
  }
  await tf.setBackend("cpu");
  const onCpu = tf.variable(tf.tensor1d([1]));
  assertEquals(adamStepInHeap(tf.tensor1d([1]), onCpu, onCpu, onCpu, CONSTANTS), false);
  tf.dispose([onCpu]);
});
