import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import "@tensorflow/tfjs-backend-cpu";
import { assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { PositionalEmbedding } from "../../../models/layers/positional_embedding.ts";
import { assertConfigRoundTrip } from "./_config.ts";

await tf.setBackend("cpu");

Deno.test("PositionalEmbedding adds one [seqLen, embedDim] table to every sequence", () => {
  const layer = new PositionalEmbedding();
  const x = tf.randomNormal([2, 3, 4, 5], 0, 1, "float32", 1); // [batch, groups, seqLen, embedDim]
  const y = layer.apply(x) as tf.Tensor;
  const [table] = layer.getWeights();
  assertEquals(table.shape, [4, 5]);
  const diff = tf.sub(y, x).arraySync() as number[][][][];
  const expected = table.arraySync() as number[][];
  for (const example of diff) {
    for (const group of example) {
      group.forEach((row, p) => row.forEach((v, e) => assertAlmostEquals(v, expected[p][e], 1e-6)));
    }
  }
});

Deno.test("PositionalEmbedding starts from small values with the requested spread", () => {
  const layer = new PositionalEmbedding({ stddev: 0.02 });
  layer.apply(tfl.input({ shape: [50, 40] }));
  const values = Array.from(layer.getWeights()[0].dataSync());
  const mean = values.reduce((a, b) => a + b) / values.length;
  const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
  assertAlmostEquals(mean, 0, 0.003);
  assertAlmostEquals(sd, 0.02 * 0.88, 0.003); // truncated at two standard deviations
  assertEquals(values.every((v) => Math.abs(v) <= 0.04 + 1e-7), true);
});

Deno.test("PositionalEmbedding rejects inputs without a sequence axis and negative stddev", () => {
  assertThrows(() => new PositionalEmbedding().apply(tfl.input({ shape: [5] })), TypeError, "seqLen");
  assertThrows(() => new PositionalEmbedding({ stddev: -1 }), RangeError, "stddev");
});

Deno.test("PositionalEmbedding getConfig() round-trips through fromConfig()", () => {
  const layer = new PositionalEmbedding({ stddev: 0.1, name: "position" });
  assertEquals(layer.getConfig().stddev, 0.1);
  assertConfigRoundTrip(PositionalEmbedding, layer);
});

Deno.test("PositionalEmbedding apply() leaks no tensors", () => {
  const layer = new PositionalEmbedding();
  const x = tf.randomNormal([2, 3, 4]);
  tf.dispose(layer.apply(x) as tf.Tensor);
  const before = tf.memory().numTensors;
  tf.dispose(layer.apply(x) as tf.Tensor);
  assertEquals(tf.memory().numTensors, before);
  x.dispose();
});
