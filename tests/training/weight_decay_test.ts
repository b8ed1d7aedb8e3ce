import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { assertEquals, assertThrows } from "@std/assert";
import { decayedVariables, decayVariables, isDecayedWeight } from "../../training/weight_decay.ts";
import { MODELS } from "../../models/registry.ts";

await tf.setBackend("cpu");

Deno.test("isDecayedWeight: kernels decay; biases, norm gains and offsets, embeddings and the pooling context do not", () => {
  const decayed = [
    "classifier/kernel",
    "gru/recurrent_kernel",
    "separable_conv/depthwise_kernel",
    "separable_conv/pointwise_kernel",
    "temporal_spatial/temporal_kernel",
    "spatial_0_attention/qkv_kernel",
  ];
  const kept = [
    "classifier/bias",
    "spatial_0_attention/qkv_bias",
    "head_norm/gamma",
    "spatial_bn/beta",
    "spatial_position/embeddings",
    "attention_pooling/context",
  ];
  assertEquals(decayed.map(isDecayedWeight), decayed.map(() => true));
  assertEquals(kept.map(isDecayedWeight), kept.map(() => false));
});

Deno.test("decayedVariables of vivit are its kernels only (no LayerNorm, bias or embedding)", () => {
  const model = MODELS.vivit.build({ nChans: 248, nTimes: 50, gridRows: 20, gridCols: 20 }, 4, {});
  const names = decayedVariables(model).map((v) => v.name);
  const all = model.trainableWeights.map((w) => w.originalName);
  assertEquals(names.length, all.filter((n) => /kernel$/.test(n)).length);
  assertEquals(all.filter((n) => /gamma|beta|bias|embeddings/.test(n)).some((n) => isDecayedWeight(n)), false);
  model.dispose();
});

Deno.test("decayVariables refuses a rate outside [0, 1) and leaves the variables at rate 0", () => {
  const v = tf.variable(tf.tensor1d([1, 2]));
  decayVariables([v], 0);
  assertEquals(Array.from(v.dataSync()), [1, 2]);
  assertThrows(() => decayVariables([v], 1), RangeError, "must be in [0, 1)");
  assertThrows(() => decayVariables([v], -0.1), RangeError, "must be in [0, 1)");
  v.dispose();
});
