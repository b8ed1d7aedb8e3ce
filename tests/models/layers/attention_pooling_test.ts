import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import "@tensorflow/tfjs-backend-cpu";
import { assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { AttentionPooling } from "../../../models/layers/attention_pooling.ts";
import { assertConfigRoundTrip } from "./_config.ts";

await tf.setBackend("cpu");

Deno.test("AttentionPooling weights are positive and sum to 1 over time for every example", () => {
  const layer = new AttentionPooling({ units: 5 });
  const h = tf.randomNormal([4, 7, 3], 0, 2, "float32", 1);
  const weights = layer.attentionWeights(h);
  assertEquals(weights.shape, [4, 7]);
  for (const row of weights.arraySync()) {
    assertAlmostEquals(row.reduce((a, b) => a + b), 1, 1e-6);
    for (const w of row) assertEquals(w > 0, true);
  }
  tf.dispose([h, weights]);
});

Deno.test("AttentionPooling outputs the attention-weighted sum of the time steps", () => {
  const layer = new AttentionPooling({ units: 4 });
  const h = tf.randomNormal([2, 6, 3], 0, 1, "float32", 2);
  const pooled = (layer.apply(h) as tf.Tensor).arraySync() as number[][];
  const weights = layer.attentionWeights(h).arraySync();
  const steps = h.arraySync() as number[][][];
  for (let b = 0; b < 2; b++) {
    for (let f = 0; f < 3; f++) {
      const expected = steps[b].reduce((sum, step, t) => sum + weights[b][t] * step[f], 0);
      assertAlmostEquals(pooled[b][f], expected, 1e-5);
    }
  }
  h.dispose();
});

Deno.test("AttentionPooling follows its score formula v^T tanh(W h_t + b)", () => {
  const layer = new AttentionPooling({ units: 2 });
  const h = tf.tensor3d([[[1, 0], [0, 1], [1, 1]]]);
  layer.apply(h);
  // W = I, b = [0, 0.5], v = [1, -1]
  layer.setWeights([tf.tensor2d([[1, 0], [0, 1]]), tf.tensor1d([0, 0.5]), tf.tensor2d([[1], [-1]])]);
  const scores = [[1, 0], [0, 1], [1, 1]].map(([a, b]) => Math.tanh(a) - Math.tanh(b + 0.5));
  const z = scores.map(Math.exp).reduce((a, b) => a + b);
  const expected = scores.map((s) => Math.exp(s) / z);
  const got = layer.attentionWeights(h).arraySync()[0];
  expected.forEach((w, t) => assertAlmostEquals(got[t], w, 1e-6));
  h.dispose();
});

Deno.test("AttentionPooling maps [batch, nTimes, features] to [batch, features] symbolically", () => {
  const input = tfl.input({ shape: [9, 5] });
  const output = new AttentionPooling().apply(input) as tfl.SymbolicTensor;
  assertEquals(output.shape, [null, 5]);
});

Deno.test("AttentionPooling rejects inputs that are not [batch, nTimes, features]", () => {
  assertThrows(() => new AttentionPooling().apply(tfl.input({ shape: [5] })), TypeError, "[batch, nTimes, features]");
  assertThrows(() => new AttentionPooling({ units: 0 }), RangeError, "units");
});

Deno.test("AttentionPooling getConfig() round-trips through fromConfig()", () => {
  const layer = new AttentionPooling({ units: 12, name: "pool" });
  const config = layer.getConfig();
  assertEquals(config.units, 12);
  assertEquals(config.name, "pool");
  assertConfigRoundTrip(AttentionPooling, layer);
});

Deno.test("AttentionPooling apply() leaks no tensors", () => {
  const layer = new AttentionPooling({ units: 3 });
  const h = tf.randomNormal([2, 4, 3]);
  tf.dispose(layer.apply(h) as tf.Tensor); // builds the weights
  const before = tf.memory().numTensors;
  tf.dispose(layer.apply(h) as tf.Tensor);
  tf.dispose(layer.attentionWeights(h));
  assertEquals(tf.memory().numTensors, before);
  h.dispose();
});
