import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { assertEquals, assertLess } from "@std/assert";
import { fastGeluCalls } from "../../../models/layers/_fast_gelu.ts";
import { Random } from "../../../core/random.ts";
import { compareBackends, normalInput, setupBackends } from "../../backends/kernels/_parity.ts";

Deno.test("a Dense layer with gelu runs the fused kernel on wasm and matches tfjs-layers' gelu on cpu, values and gradients of input, kernel and bias", async () => {
  await setupBackends();
  const random = new Random(162);
  const inputs = { x: normalInput(random, [6, 5, 9]), w: normalInput(random, [9, 13]), b: normalInput(random, [13]) };
  const gelu = tfl.layers.activation({ activation: "gelu" });
  const before = fastGeluCalls();
  const error = await compareBackends(inputs, ({ x, w, b }) => {
    const f = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.square(gelu.apply(tf.add(tf.matMul(tf.reshape(x, [30, 9]), w), b)) as tf.Tensor));
    return [tf.square(gelu.apply(x) as tf.Tensor), ...tf.grads(f)([x, w, b])];
  });
  assertLess(error, 2e-6);
  assertEquals(fastGeluCalls() - before, 2, "the fused kernel runs on wasm only (forward twice)");
});
