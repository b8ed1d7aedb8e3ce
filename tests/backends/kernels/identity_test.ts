import { assertEquals } from "@std/assert";
import * as tf from "@tensorflow/tfjs-core";
import { setupBackends } from "./_parity.ts";

Deno.test("Identity on wasm adds no buffer for a clone and keeps the data until the last tensor goes", async () => {
  await setupBackends();
  await tf.setBackend("wasm");
  const x = tf.tensor2d([[1, 2], [3, 4]]);
  const buffers = tf.backend().numDataIds();
  const y = tf.clone(x);
  assertEquals(tf.backend().numDataIds(), buffers);
  x.dispose();
  assertEquals(tf.backend().numDataIds(), buffers);
  assertEquals(Array.from(await y.data()), [1, 2, 3, 4]);
  y.dispose();
  assertEquals(tf.backend().numDataIds(), buffers - 1);
});

Deno.test("Identity on wasm still clones string tensors", async () => {
  await setupBackends();
  await tf.setBackend("wasm");
  const s = tf.tensor1d(["a", "bc"], "string");
  const c = tf.clone(s);
  s.dispose();
  assertEquals(await c.data<"string">(), ["a", "bc"]);
  c.dispose();
});
