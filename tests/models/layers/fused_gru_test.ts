import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-backend-wasm";
import { assert, assertEquals, assertLess, assertThrows } from "@std/assert";
import { type FusedActivation, FusedGru } from "../../../models/layers/fused_gru.ts";
import { registerWasmTrainingKernels } from "../../../backends/kernels/mod.ts";
import { Random } from "../../../core/random.ts";
import { assertConfigRoundTrip } from "./_config.ts";
import { gruSequence, gruSequenceWithOps } from "../../../models/layers/_gru_sequence.ts";
import { backwardSimd, forwardSimd, simdSupported, splitRecurrences } from "../../../models/layers/_gru_steps.ts";
import { helperThreadReady, kernelThreads, setKernelThreads } from "../../../core/_helper_thread.ts";
import { relativeError } from "../../backends/kernels/_parity.ts";

registerWasmTrainingKernels();

function normals(random: Random, n: number, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, () => scale * random.normal());
}

/** Output, input gradient and weight gradients of `layer` on `x` for the loss sum(y * w). */
function outputsAndGradients(layer: tfl.layers.Layer, x: tf.Tensor, w: tf.Tensor): Float32Array[] {
  const y = layer.apply(x) as tf.Tensor;
  const vars = layer.trainableWeights.map((v) => v.read() as tf.Variable);
  const loss = (input: tf.Tensor) => tf.sum(tf.mul(layer.apply(input) as tf.Tensor, w)) as tf.Scalar;
  const dx = tf.grad(loss)(x);
  const { grads } = tf.variableGrads(() => loss(x), vars);
  const out = [y, dx, ...vars.map((v) => grads[v.name])].map((t) => t.dataSync() as Float32Array);
  tf.dispose([y, dx, ...Object.values(grads)]);
  return out;
}

/** The stock GRU and the fused one with the same weights, on `backend`. */
async function compare(backend: string, activation: FusedActivation, seed: number, dims = [3, 7, 5, 4]) {
  await tf.setBackend(backend);
  const random = new Random(seed);
  const [batch, steps, features, units] = dims;
  const stock = tfl.layers.gru({ units, activation, returnSequences: true, recurrentInitializer: "glorotUniform" });
  const fused = new FusedGru({ units, activation });
  const x = tf.tensor3d(normals(random, batch * steps * features), [batch, steps, features]);
  stock.apply(x);
  fused.apply(x);
  // Biases away from 0 so that some hard-sigmoid gates saturate and the r/z paths all matter.
  const weights = [
    tf.tensor2d(normals(random, features * 3 * units, 0.8), [features, 3 * units]),
    tf.tensor2d(normals(random, units * 3 * units, 0.8), [units, 3 * units]),
    tf.tensor1d(normals(random, 3 * units, 0.5)),
  ];
  stock.setWeights(weights);
  fused.setWeights(weights);
  const w = tf.tensor3d(normals(random, batch * steps * units), [batch, steps, units]);
  const expected = outputsAndGradients(stock, x, w);
  const actual = outputsAndGradients(fused, x, w);
  tf.dispose([x, w, ...weights]);
  return { expected, actual };
}

const NAMES = ["output", "input gradient", "kernel gradient", "recurrent kernel gradient", "bias gradient"];

for (const backend of ["cpu", "wasm"]) {
  Deno.test(`FusedGru matches tfjs's GRU on ${backend}: outputs and every gradient (relative error < 1e-4)`, async () => {
    for (const [i, activation] of ["tanh", "relu", "linear", "sigmoid"].entries()) {
      const { expected, actual } = await compare(backend, activation as "tanh", 17 + i);
      assertEquals(actual.length, expected.length);
      for (let k = 0; k < expected.length; k++) {
        assertLess(relativeError(actual[k], expected[k]), 1e-4, `${activation}: ${NAMES[k]}`);
      }
    }
  });
}

Deno.test("FusedGru's WebAssembly steps (tanh, units a multiple of 4) match tfjs's GRU at odd batches, long sequences and wide states", async () => {
  // [batch, steps, features, units]: 4-row blocks with a tail, 8- and 4-column blocks; units 6: the
  // JavaScript steps (not a multiple of 4); two steps.
  const shapes = [[5, 13, 3, 8], [9, 10, 6, 12], [2, 4, 3, 64], [4, 6, 5, 6], [3, 2, 2, 4]];
  for (const [i, dims] of shapes.entries()) {
    assertEquals(simdSupported("tanh", dims[3]), dims[3] % 4 === 0);
    for (const backend of ["cpu", "wasm"]) {
      const { expected, actual } = await compare(backend, "tanh", 40 + i, dims);
      for (let k = 0; k < expected.length; k++) {
        assertLess(relativeError(actual[k], expected[k]), 1e-4, `[${dims}] on ${backend}: ${NAMES[k]}`);
      }
    }
  }
});

Deno.test("two fused recurrences in one step (the first's saved sequences moved out by the second) give the ops' gradients", async () => {
  await tf.setBackend("cpu");
  const random = new Random(9);
  const values = (n: number) => Float32Array.from({ length: n }, () => random.normal() * 0.5);
  const xw = tf.tensor3d(values(3 * 6 * 24), [3, 6, 24]);
  const [k1, k2] = [tf.tensor2d(values(8 * 24), [8, 24]), tf.tensor2d(values(8 * 24), [8, 24])];
  const mix = tf.tensor2d(values(8 * 24), [8, 24]);
  const w = tf.tensor3d(values(3 * 6 * 8), [3, 6, 8]);
  const fused = gruSequence("tanh");
  const ops = (a: tf.Tensor3D, b: tf.Tensor2D) => gruSequenceWithOps(a, b, "tanh");
  // x -> GRU 1 -> dense -> GRU 2: forward 1, forward 2, backward 2, backward 1
  const loss = (f: typeof fused) => (x: tf.Tensor, a: tf.Tensor, b: tf.Tensor) => {
    const h1 = f(x as tf.Tensor3D, a as tf.Tensor2D);
    const x2 = tf.reshape(tf.matMul(tf.reshape(h1, [18, 8]), mix), [3, 6, 24]) as tf.Tensor3D;
    return tf.sum(tf.mul(f(x2, b as tf.Tensor2D), w));
  };
  const expected = tf.grads(loss(ops))([xw, k1, k2]);
  for (let round = 0; round < 2; round++) {
    const actual = tf.grads(loss(fused))([xw, k1, k2]);
    for (let i = 0; i < 3; i++) {
      assertLess(relativeError(actual[i].dataSync() as Float32Array, expected[i].dataSync() as Float32Array), 1e-4);
    }
    tf.dispose(actual);
  }
  tf.dispose([xw, k1, k2, mix, w, ...expected]);
});

Deno.test("FusedGru names and shapes its weights like tfjs's GRU, and round-trips its config", async () => {
  await tf.setBackend("cpu");
  const stock = tfl.layers.gru({ units: 3, returnSequences: true, recurrentInitializer: "glorotUniform", name: "gru" });
  const fused = new FusedGru({ units: 3, name: "gru" });
  const x = tf.zeros([1, 2, 4]);
  stock.apply(x);
  fused.apply(x);
  // Names are made unique per process (`gru/kernel_1` for the second layer named "gru").
  const named = (layer: tfl.layers.Layer) => layer.weights.map((v) => [v.name.replace(/_\d+$/, ""), v.shape]);
  assertEquals(named(fused), named(stock));
  assertEquals(named(fused).map(([name]) => name), ["gru/kernel", "gru/recurrent_kernel", "gru/bias"]);
  assertConfigRoundTrip(FusedGru, fused);
  x.dispose();
});

Deno.test("FusedGru leaves no tensor behind in a training step", async () => {
  await tf.setBackend("cpu");
  const layer = new FusedGru({ units: 3 });
  const x = tf.randomNormal([2, 4, 5]);
  layer.apply(x);
  const before = tf.memory().numTensors;
  const vars = layer.trainableWeights.map((v) => v.read() as tf.Variable);
  const { value, grads } = tf.variableGrads(() => tf.sum(layer.apply(x) as tf.Tensor) as tf.Scalar, vars);
  tf.dispose([value, ...Object.values(grads)]);
  assertEquals(tf.memory().numTensors, before);
  x.dispose();
});

Deno.test("FusedGru rejects bad units, an activation it does not fuse and a non-sequence input", () => {
  assertThrows(() => new FusedGru({ units: 0 }), RangeError, "units");
  assertThrows(() => new FusedGru({ units: 2, activation: "gelu" as never }), RangeError, "tanh");
  assertThrows(() => new FusedGru({ units: 2 }).apply(tf.zeros([2, 3])), TypeError, "[batch, nSteps, features]");
});

Deno.test("gruSequenceWithOps (webgpu's path) gives the fused op's states and gradients", async () => {
  await tf.setBackend("cpu");
  const random = new Random(7);
  const values = (n: number) => Float32Array.from({ length: n }, () => random.normal() * 0.5);
  const xw = tf.tensor3d(values(2 * 5 * 12), [2, 5, 12]);
  const kernel = tf.tensor2d(values(4 * 12), [4, 12]);
  for (const activation of ["tanh", "relu", "hardSigmoid"] as const) {
    const loss = (f: (a: tf.Tensor3D, b: tf.Tensor2D) => tf.Tensor3D) => (a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(f(a as tf.Tensor3D, b as tf.Tensor2D), tf.reshape(tf.linspace(-1, 1, 40), [2, 5, 4])));
    const fused = gruSequence(activation);
    const ops = (a: tf.Tensor3D, b: tf.Tensor2D) => gruSequenceWithOps(a, b, activation);
    const [gf, go] = [tf.grads(loss(fused))([xw, kernel]), tf.grads(loss(ops))([xw, kernel])];
    assertLess(
      relativeError(ops(xw, kernel).dataSync() as Float32Array, fused(xw, kernel).dataSync() as Float32Array),
      1e-5,
    );
    for (let i = 0; i < 2; i++) {
      assertLess(relativeError(go[i].dataSync() as Float32Array, gf[i].dataSync() as Float32Array), 1e-4, activation);
    }
    tf.dispose([...gf, ...go]);
  }
  tf.dispose([xw, kernel]);
});

Deno.test("the WebAssembly recurrence split over two threads (batch rows halved) gives the one-thread outputs and gradients bit for bit", async () => {
  const before = kernelThreads();
  setKernelThreads(2);
  assert(await helperThreadReady(), "a machine with two cores runs the helper");
  const random = new Random(91);
  const bitsOf = (x: Float32Array) => Array.from(new Uint32Array(x.slice().buffer));
  try {
    for (const d of [{ batch: 32, steps: 125, units: 64 }, { batch: 9, steps: 70, units: 100 }]) {
      const { batch, steps, units } = d;
      const xw = normals(random, batch * steps * 3 * units);
      const rk = normals(random, 3 * units * units, 0.2);
      const dy = normals(random, batch * steps * units);
      const run = (threads: 1 | 2) => {
        setKernelThreads(threads);
        const saved = forwardSimd(xw, rk, d);
        const out = saved.out.slice();
        const { dxw, dR } = backwardSimd(dy, saved, rk, d);
        return [out, dxw, dR].map(bitsOf);
      };
      const splitBefore = splitRecurrences();
      const one = run(1);
      assertEquals(splitRecurrences(), splitBefore);
      const two = run(2);
      assertEquals(splitRecurrences(), splitBefore + 3, "forward, backward and dR split");
      ["outputs", "dxw", "dR"].forEach((what, i) => assertEquals(two[i], one[i], `${what} ${JSON.stringify(d)}`));
    }
  } finally {
    setKernelThreads(before);
  }
});
