import { assertEquals } from "@std/assert";
import * as tf from "@tensorflow/tfjs-core";
import { setupBackends } from "./_parity.ts";

Deno.test("Cast on wasm shares the data when the dtype does not change", async () => {
  await setupBackends();
  await tf.setBackend("wasm");
  const x = tf.tensor1d([1.5, -2.5]);
  const buffers = tf.backend().numDataIds();
  const y = tf.cast(x, "float32");
  assertEquals(tf.backend().numDataIds(), buffers);
  x.dispose();
  assertEquals(Array.from(await y.data()), [1.5, -2.5]);
  y.dispose();
});

Deno.test("Cast on wasm still converts between dtypes", async () => {
  await setupBackends();
  await tf.setBackend("wasm");
  const x = tf.tensor1d([1.7, -2.7, 0]);
  const ints = tf.cast(x, "int32");
  const bools = tf.cast(x, "bool");
  assertEquals(ints.dtype, "int32");
  assertEquals(Array.from(await ints.data()), [1, -2, 0]);
  assertEquals(Array.from(await bools.data()), [1, 1, 0]);
  tf.dispose([x, ints, bools]);
});
