import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { assertEquals } from "@std/assert";
import { fusedSelfAttentionCalls, setFusedSelfAttention } from "../../../models/layers/_fused_self_attention.ts";
import { MultiHeadSelfAttention } from "../../../models/layers/multi_head_self_attention.ts";
import { setupBackend } from "../../../backends/backend.ts";
import { MODEL_RECIPES } from "../../../training/model_recipes.ts";
import { BENCH_VARIANTS } from "../../../bench/train.ts";
import { weightBitsAfterSteps } from "../../training/_weight_bits_after_steps.ts";
import { offAndOn } from "./_off_and_on.ts";

/** Bits of the output and of the gradients of `sum(output * weights)` for the input and the layer's weights. */
function layerBits(shape: number[], numHeads: number, keyDim: number): number[][] {
  return tf.tidy(() => {
    const layer = new MultiHeadSelfAttention({ numHeads, keyDim });
    const x = tf.randomNormal(shape, 0, 1, "float32", 1);
    layer.build(shape);
    // non-zero biases, so that every gradient path carries values
    layer.setWeights(layer.getWeights().map((w, i) => tf.randomNormal(w.shape, 0, 0.5, "float32", 10 + i)));
    const mix = tf.randomNormal(shape, 0, 1, "float32", 2);
    const variables = layer.trainableWeights.map((w) => w.read() as tf.Variable);
    const f = (input: tf.Tensor) => tf.sum(tf.mul(layer.apply(input, { training: true }) as tf.Tensor, mix));
    const { value, grads } = tf.variableGrads(() => f(x) as tf.Scalar, variables);
    const dx = tf.grad(f)(x);
    return [value, dx, ...variables.map((v) => grads[v.name])].map((t) =>
      Array.from(new Uint32Array((t.dataSync() as Float32Array).slice().buffer))
    );
  });
}

for (const backend of ["cpu", "wasm"]) {
  Deno.test(`${backend}: the fused self-attention gives the layer's output and gradients bit for bit`, async () => {
    await setupBackend(backend as "cpu" | "wasm");
    for (const [shape, heads, keyDim] of [[[32, 5, 32], 2, 16], [[3, 2, 7, 12], 4, 3], [[2, 1, 8], 1, 5]] as const) {
      const { off, on, calls } = await offAndOn(
        setFusedSelfAttention,
        fusedSelfAttentionCalls,
        () => layerBits([...shape], heads, keyDim),
      );
      // the value, dx (tf.grad) and the weights' gradients (variableGrads): two passes each way
      assertEquals(calls, [0, 2]);
      on.forEach((bits, i) => assertEquals(bits, off[i], `[${shape}] tensor ${i}`));
    }
  });
}

Deno.test("wasm: training steps of vivit_wide, vivit_cross, tsa and cascade with the fused self-attention give the same weights bit for bit", async () => {
  await setupBackend("wasm");
  const cross = { ...MODEL_RECIPES.vivit.cross?.modelOptions };
  const wide = BENCH_VARIANTS.vivit_wide.options;
  // attention layers per forward pass: vivit_wide 4 blocks, vivit_cross 2, tsa and cascade 1 each at these sizes
  for (
    const [name, options, layers] of [["vivit", wide, 4], ["vivit", cross, 2], ["tsa", {}, 1], [
      "cascade",
      {},
      1,
    ]] as const
  ) {
    const { off, on, calls } = await offAndOn(
      setFusedSelfAttention,
      fusedSelfAttentionCalls,
      () => weightBitsAfterSteps(name, 3, options),
    );
    assertEquals(calls, [0, 3 * layers], name);
    assertEquals(on.length, off.length);
    on.forEach((bits, i) => assertEquals(Array.from(bits), Array.from(off[i]), `${name} weight ${i}`));
  }
});

Deno.test("attention dropout and inference run the layer's own ops", async () => {
  await setupBackend("cpu");
  const before = fusedSelfAttentionCalls();
  const dropping = new MultiHeadSelfAttention({ numHeads: 2, keyDim: 3, dropout: 0.2 });
  tf.tidy(() => dropping.apply(tf.ones([2, 4, 6]), { training: true }) as tf.Tensor);
  const plain = new MultiHeadSelfAttention({ numHeads: 2, keyDim: 3 });
  tf.tidy(() => plain.apply(tf.ones([2, 4, 6]), { training: false }) as tf.Tensor);
  assertEquals(fusedSelfAttentionCalls(), before);
  tf.tidy(() => plain.apply(tf.ones([2, 4, 6]), { training: true }) as tf.Tensor);
  assertEquals(fusedSelfAttentionCalls(), before + 1);
});
