import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { assertEquals, assertLess } from "@std/assert";
import { fastGeluCalls, setGeluSlopes } from "../../../models/layers/_fast_gelu.ts";
import { simdGeluCount } from "../../../backends/kernels/simd_gelu.ts";
import { setupBackend } from "../../../backends/backend.ts";
import { weightBitsAfterSteps } from "../../training/_weight_bits_after_steps.ts";
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

Deno.test("wasm: tsa's training steps with GELU's slope kept give the weights of the gradient kernel's steps, bit for bit", async () => {
  await setupBackend("wasm");
  try {
    setGeluSlopes(false);
    const before = simdGeluCount();
    const recomputed = await weightBitsAfterSteps("tsa", 3);
    // without slopes: 3 GELUs forward and 3 gradients per step
    assertEquals(simdGeluCount() - before, 18);
    setGeluSlopes(true);
    const middle = simdGeluCount();
    const kept = await weightBitsAfterSteps("tsa", 3);
    // with slopes: the forward kernels only, the gradient is a multiplication
    assertEquals(simdGeluCount() - middle, 9);
    assertEquals(kept.length, recomputed.length);
    recomputed.forEach((bits, i) => assertEquals(kept[i], bits, `weight ${i}`));
  } finally {
    setGeluSlopes(true);
  }
});
