import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import "@tensorflow/tfjs-backend-cpu";
import { assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { LayerNorm } from "../../../models/layers/layer_norm.ts";
import { assertConfigRoundTrip } from "./_config.ts";

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
