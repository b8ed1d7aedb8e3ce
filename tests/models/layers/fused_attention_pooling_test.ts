import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { assertEquals } from "@std/assert";
import {
  fusedAttentionPoolingCalls,
  setFusedAttentionPooling,
} from "../../../models/layers/_fused_attention_pooling.ts";
import { AttentionPooling } from "../../../models/layers/attention_pooling.ts";
import { setupBackend } from "../../../backends/backend.ts";
import { MODEL_RECIPES } from "../../../training/model_recipes.ts";
import { weightBitsAfterSteps } from "../../training/_weight_bits_after_steps.ts";
import { offAndOn } from "./_off_and_on.ts";

/** Bits of the output and of the gradients of `sum(output * mix)` for the input and the layer's weights. */
function layerBits(shape: number[], units: number): number[][] {
  return tf.tidy(() => {
    const layer = new AttentionPooling({ units });
    const x = tf.randomNormal(shape, 0, 1, "float32", 1);
    layer.build(shape);
    // a non-zero bias, so that every gradient path carries values
    layer.setWeights(layer.getWeights().map((w, i) => tf.randomNormal(w.shape, 0, 0.5, "float32", 10 + i)));
    const mix = tf.randomNormal([shape[0], shape[2]], 0, 1, "float32", 2);
    const variables = layer.trainableWeights.map((w) => w.read() as tf.Variable);
    const f = (input: tf.Tensor) => tf.sum(tf.mul(layer.apply(input) as tf.Tensor, mix));
    const { value, grads } = tf.variableGrads(() => f(x) as tf.Scalar, variables);
    const dx = tf.grad(f)(x);
    return [value, dx, ...variables.map((v) => grads[v.name])].map((t) =>
      Array.from(new Uint32Array((t.dataSync() as Float32Array).slice().buffer))
    );
  });
}

for (const backend of ["cpu", "wasm"]) {
  Deno.test(`${backend}: the fused attention pooling gives the layer's output and gradients bit for bit`, async () => {
    await setupBackend(backend as "cpu" | "wasm");
    for (const [shape, units] of [[[32, 12, 64], 64], [[3, 7, 5], 4], [[2, 1, 8], 3]] as const) {
      const { off, on, calls } = await offAndOn(
        setFusedAttentionPooling,
        fusedAttentionPoolingCalls,
        () => layerBits([...shape], units),
      );
      // the value, dx (tf.grad) and the weights' gradients (variableGrads): two passes each way
      assertEquals(calls, [0, 2]);
      on.forEach((bits, i) => assertEquals(bits, off[i], `[${shape}] tensor ${i}`));
    }
  });
}

Deno.test("wasm: training steps of cascade and gru with the fused attention pooling give the same weights bit for bit", async () => {
  await setupBackend("wasm");
  const gruRecipe = { ...MODEL_RECIPES.gru?.settings.modelOptions, ...MODEL_RECIPES.gru?.cross?.modelOptions };
  for (const [name, options] of [["cascade", {}], ["gru", {}], ["gru", gruRecipe]] as const) {
    const { off, on, calls } = await offAndOn(
      setFusedAttentionPooling,
      fusedAttentionPoolingCalls,
      () => weightBitsAfterSteps(name, 3, options),
    );
    assertEquals(calls, [0, 3], name);
    assertEquals(on.length, off.length);
    on.forEach((bits, i) => assertEquals(Array.from(bits), Array.from(off[i]), `${name} weight ${i}`));
  }
});

Deno.test("without a gradient tape the layer runs its own ops", async () => {
  await setupBackend("cpu");
  const before = fusedAttentionPoolingCalls();
  const layer = new AttentionPooling({ units: 3 });
  tf.tidy(() => layer.apply(tf.ones([2, 4, 6]), { training: true }) as tf.Tensor);
  assertEquals(fusedAttentionPoolingCalls(), before);
  tf.tidy(() => tf.grad((x: tf.Tensor) => tf.sum(layer.apply(x) as tf.Tensor))(tf.ones([2, 4, 6])));
  assertEquals(fusedAttentionPoolingCalls(), before + 1);
});
