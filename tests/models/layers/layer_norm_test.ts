import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import "@tensorflow/tfjs-backend-cpu";
import { assert, assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { LayerNorm } from "../../../models/layers/layer_norm.ts";
import { layerNormKernelRuns } from "../../../models/layers/_fused_layer_norm.ts";
import { registerWasmTrainingKernels } from "../../../backends/kernels/mod.ts";
import { assertConfigRoundTrip } from "./_config.ts";
import { reloadThroughJson } from "../_reload_through_json.ts";

await tf.setBackend("cpu");

function assertClose(a: tf.Tensor, b: tf.Tensor, tolerance: number): void {
  assertEquals(a.shape, b.shape);
  const [x, y] = [a.dataSync(), b.dataSync()];
  x.forEach((v, i) => assertAlmostEquals(v, y[i], tolerance));
}

Deno.test("LayerNorm gives every vector zero mean and unit variance over the last axis", () => {
  const x = tf.randomNormal([3, 4, 16], 5, 3, "float32", 1);
  const y = new LayerNorm().apply(x) as tf.Tensor;
  const { mean, variance } = tf.moments(y, -1);
  for (const m of mean.dataSync()) assertAlmostEquals(m, 0, 1e-5);
  for (const v of variance.dataSync()) assertAlmostEquals(v, 1, 1e-3);
});

Deno.test("LayerNorm matches tfjs-layers' LayerNormalization, outputs and gradients", () => {
  const x = tf.randomNormal([2, 3, 5, 8], 0, 2, "float32", 2);
  const ours = new LayerNorm({ epsilon: 1e-3 });
  const theirs = tfl.layers.layerNormalization({ epsilon: 1e-3 });
  ours.apply(x);
  theirs.apply(x);
  const gamma = tf.randomNormal([8], 1, 0.3, "float32", 3);
  const beta = tf.randomNormal([8], 0, 0.3, "float32", 4);
  ours.setWeights([gamma, beta]);
  theirs.setWeights([gamma, beta]);
  assertClose(ours.apply(x) as tf.Tensor, theirs.apply(x) as tf.Tensor, 1e-5);
  const weightsOf = (layer: tfl.layers.Layer) => layer.trainableWeights.map((w) => w.read() as tf.Variable);
  const loss = (layer: tfl.layers.Layer) => () => tf.sum(tf.mul(layer.apply(x) as tf.Tensor, tf.range(0, 8)));
  const a = tf.variableGrads(loss(ours) as () => tf.Scalar, weightsOf(ours));
  const b = tf.variableGrads(loss(theirs) as () => tf.Scalar, weightsOf(theirs));
  assertClose(tf.stack(Object.values(a.grads)), tf.stack(Object.values(b.grads)), 1e-3);
  const dx = tf.grad((input: tf.Tensor) => tf.sum(tf.square(ours.apply(input) as tf.Tensor)))(x);
  const dxRef = tf.grad((input: tf.Tensor) => tf.sum(tf.square(theirs.apply(input) as tf.Tensor)))(x);
  assertClose(dx, dxRef, 1e-3);
});

Deno.test("LayerNorm rejects a non-positive epsilon", () => {
  assertThrows(() => new LayerNorm({ epsilon: 0 }), RangeError, "epsilon");
});

Deno.test("LayerNorm getConfig() round-trips through fromConfig()", () => {
  const layer = new LayerNorm({ epsilon: 1e-4, name: "norm" });
  assertEquals(layer.getConfig().epsilon, 1e-4);
  assertConfigRoundTrip(LayerNorm, layer);
});

Deno.test("LayerNorm apply() leaks no tensors", () => {
  const layer = new LayerNorm();
  const x = tf.randomNormal([2, 3, 4]);
  tf.dispose(layer.apply(x) as tf.Tensor);
  const before = tf.memory().numTensors;
  tf.dispose(layer.apply(x) as tf.Tensor);
  assertEquals(tf.memory().numTensors, before);
  x.dispose();
});

/** The stock formula of LayerNorm with tfjs ops. */
function stockLayerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon: number): tf.Tensor {
  const axis = x.rank - 1;
  const centred = tf.sub(x, tf.mean(x, axis, true));
  const variance = tf.mean(tf.square(centred), axis, true);
  return tf.add(tf.mul(tf.mul(centred, tf.rsqrt(tf.add(variance, epsilon))), gamma), beta);
}

/** Asserts `a` and `b` agree within `relative` of the largest magnitude in `b` (or absolutely, for a zero `b`). */
function assertRelativelyClose(a: tf.Tensor, b: tf.Tensor, relative: number, what: string): void {
  assertEquals(a.shape, b.shape, what);
  const [x, y] = [a.dataSync(), b.dataSync()];
  const scale = Math.max(1, ...Array.from(y, Math.abs));
  x.forEach((v, i) => assertAlmostEquals(v, y[i], relative * scale, `${what} at ${i}`));
}

Deno.test("LayerNorm's fused computation on cpu matches the stock formula: outputs and the gradients of x, gamma and beta", () => {
  for (const [shape, seed] of [[[5, 7], 1], [[2, 3, 8], 2], [[2, 3, 4, 16], 3], [[4, 1], 4], [[3, 64], 5]] as const) {
    const n = shape[shape.length - 1];
    const x = tf.randomNormal([...shape], 2, 3, "float32", seed);
    const gamma = tf.randomNormal([n], 1, 0.3, "float32", seed + 10);
    const beta = tf.randomNormal([n], 0, 0.3, "float32", seed + 20);
    const layer = new LayerNorm({ epsilon: 1e-3 });
    layer.apply(x);
    layer.setWeights([gamma, beta]);
    const weight = tf.randomNormal([...shape], 0, 1, "float32", seed + 30);
    const fusedLoss = (input: tf.Tensor) => tf.sum(tf.mul(layer.apply(input) as tf.Tensor, weight)) as tf.Scalar;
    const stockLoss = (input: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(stockLayerNorm(input, g, b, 1e-3), weight)) as tf.Scalar;
    assertRelativelyClose(layer.apply(x) as tf.Tensor, stockLayerNorm(x, gamma, beta, 1e-3), 1e-5, `output ${shape}`);
    const [gammaVar, betaVar] = layer.trainableWeights.map((w) => w.read() as tf.Variable);
    const dxFused = tf.grad(fusedLoss)(x);
    const byVariable = tf.variableGrads(() => fusedLoss(x), [gammaVar, betaVar]);
    const [dxStock, dgStock, dbStock] = tf.grads(stockLoss)([x, gamma, beta]);
    assertRelativelyClose(dxFused, dxStock, 1e-5, `dx ${shape}`);
    assertRelativelyClose(byVariable.grads[gammaVar.name], dgStock, 1e-5, `dgamma ${shape}`);
    assertRelativelyClose(byVariable.grads[betaVar.name], dbStock, 1e-5, `dbeta ${shape}`);
  }
});

Deno.test("LayerNorm on wasm runs megflow's SIMD kernels where the feature axis is a multiple of 4 and matches the stock formula: outputs and the gradients of x, gamma and beta", async () => {
  registerWasmTrainingKernels();
  await tf.setBackend("wasm");
  try {
    for (const [shape, seed, kernel] of [[[2, 3, 8], 2, true], [[3, 64], 5, true], [[5, 7], 1, false]] as const) {
      const n = shape[shape.length - 1];
      const x = tf.randomNormal([...shape], 2, 3, "float32", seed);
      const gamma = tf.randomNormal([n], 1, 0.3, "float32", seed + 10);
      const beta = tf.randomNormal([n], 0, 0.3, "float32", seed + 20);
      const layer = new LayerNorm({ epsilon: 1e-3 });
      layer.apply(x);
      layer.setWeights([gamma, beta]);
      const weight = tf.randomNormal([...shape], 0, 1, "float32", seed + 30);
      const before = layerNormKernelRuns();
      const fusedLoss = (input: tf.Tensor) => tf.sum(tf.mul(layer.apply(input) as tf.Tensor, weight)) as tf.Scalar;
      const stockLoss = (input: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.mul(stockLayerNorm(input, g, b, 1e-3), weight)) as tf.Scalar;
      assertRelativelyClose(layer.apply(x) as tf.Tensor, stockLayerNorm(x, gamma, beta, 1e-3), 1e-5, `output ${shape}`);
      const [gammaVar, betaVar] = layer.trainableWeights.map((w) => w.read() as tf.Variable);
      const dxFused = tf.grad(fusedLoss)(x);
      const byVariable = tf.variableGrads(() => fusedLoss(x), [gammaVar, betaVar]);
      const [dxStock, dgStock, dbStock] = tf.grads(stockLoss)([x, gamma, beta]);
      assertRelativelyClose(dxFused, dxStock, 1e-5, `dx ${shape}`);
      assertRelativelyClose(byVariable.grads[gammaVar.name], dgStock, 1e-5, `dgamma ${shape}`);
      assertRelativelyClose(byVariable.grads[betaVar.name], dbStock, 1e-5, `dbeta ${shape}`);
      assertEquals(layerNormKernelRuns() - before, kernel ? 3 : 0, `kernel runs ${shape}`);
    }
  } finally {
    await tf.setBackend("cpu");
  }
});

Deno.test("LayerNorm runs forward and backward as a few kernels on cpu, not ~30", async () => {
  const layer = new LayerNorm();
  const x = tf.randomNormal([2, 3, 8]);
  layer.apply(x);
  const profile = await tf.profile(() => {
    tf.dispose(tf.grad((input: tf.Tensor) => tf.sum(layer.apply(input) as tf.Tensor))(x));
  });
  // sum and its gradient, plus at most a few identities around the custom gradient
  assert(profile.kernelNames.length <= 8, `${profile.kernelNames.length} kernels: ${profile.kernelNames.join(", ")}`);
});

Deno.test("a model with LayerNorm saves and loads back with the same config, weights and outputs", async () => {
  const input = tfl.input({ shape: [3, 6] });
  const output = new LayerNorm({ epsilon: 1e-4, name: "norm" }).apply(input) as tfl.SymbolicTensor;
  const model = tfl.model({ inputs: input, outputs: output });
  const norm = model.getLayer("norm");
  norm.setWeights([tf.randomNormal([6], 1, 0.3, "float32", 7), tf.randomNormal([6], 0, 0.3, "float32", 8)]);
  const loaded = await reloadThroughJson(model);
  assertEquals(loaded.getLayer("norm").getConfig(), norm.getConfig());
  loaded.getWeights().forEach((w, i) => assertClose(w, model.getWeights()[i], 0));
  const x = tf.randomNormal([2, 3, 6], 0, 2, "float32", 9);
  assertClose(loaded.predict(x) as tf.Tensor, model.predict(x) as tf.Tensor, 0);
});
