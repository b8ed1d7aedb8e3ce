import { assertEquals } from "@std/assert";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { setupBackend } from "../../../backends/backend.ts";
import { adamStepInHeap, inPlaceAdamSteps, setInPlaceAdam } from "../../../backends/kernels/_adam_wasm.ts";
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

/** A variable whose heap memory only it holds (the tensor it was made from disposed). */
function ownVariable(values: Float32Array): tf.Variable {
  const initial = tf.tensor1d(values);
  const variable = tf.variable(initial);
  initial.dispose();
  return variable;
}

Deno.test("adamStepInHeap writes in place where only the variables hold their memory, and copies where a clone shares it", async () => {
  await setupBackend("wasm");
  const random = new Random(12);
  const n = 1003;
  const values = (scale: number) => Float32Array.from({ length: n }, () => random.normal() * scale);
  const [g, w, m] = [values(1e3), values(1), values(10)];
  const v = Float32Array.from(values(100), Math.abs);
  const gradient = tf.tensor1d(g);
  /** One step on fresh variables, `share` keeping a clone of the weight; the results, the clone and the ids. */
  const step = (share: boolean, inPlace: boolean) => {
    const previous = setInPlaceAdam(inPlace);
    try {
      const [weight, mv, vv] = [w, m, v].map(ownVariable);
      const clone = share ? tf.clone(weight) : null;
      const ids = [weight, mv, vv].map((t) => t.dataId);
      const before = inPlaceAdamSteps();
      assertEquals(adamStepInHeap(gradient, weight, mv, vv, CONSTANTS), true);
      const wrote = inPlaceAdamSteps() - before;
      const sameIds = [weight, mv, vv].every((t, i) => t.dataId === ids[i]);
      const out = [weight, mv, vv].map((t) =>
        Array.from(new Uint32Array((t.dataSync() as Float32Array).slice().buffer))
      );
      const cloneValues = clone ? Array.from(clone.dataSync()) : null;
      tf.dispose([weight, mv, vv, ...(clone ? [clone] : [])]);
      return { out, wrote, sameIds, cloneValues };
    } finally {
      setInPlaceAdam(previous);
    }
  };
  const copied = step(false, false);
  assertEquals([copied.wrote, copied.sameIds], [0, false]);
  const inPlace = step(false, true);
  assertEquals([inPlace.wrote, inPlace.sameIds], [1, true]);
  assertEquals(inPlace.out, copied.out);
  const shared = step(true, true);
  assertEquals([shared.wrote, shared.sameIds], [0, false]);
  assertEquals(shared.out, copied.out);
  assertEquals(shared.cloneValues, Array.from(w)); // the clone still holds the old weight
  gradient.dispose();
});
