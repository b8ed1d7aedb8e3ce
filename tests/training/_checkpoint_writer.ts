/**
 * A second process for tests/training/checkpoint_kill_test.ts: saves
 * checkpoints of a small model into `Deno.args[0]` without pause, state
 * `{ epoch: n }` for n = 1, 2, ..., printing `saved n` after each, until killed.
 *
 * @module
 */
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { saveCheckpoint } from "../../training/checkpoint.ts";

await tf.setBackend("cpu");
const model = tfl.sequential({ layers: [tfl.layers.dense({ units: 64, inputShape: [512], activation: "softmax" })] });
const optimizer = tf.train.adam(0.01);
const xs = tf.randomNormal([8, 512]);
const ys = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7], "int32"), 64);
const start = Number(Deno.args[1] ?? 1);
for (let epoch = start; epoch < start + 10_000; epoch++) {
  optimizer.minimize(() => tf.losses.softmaxCrossEntropy(ys, model.apply(xs) as tf.Tensor) as tf.Scalar);
  await saveCheckpoint(Deno.args[0], model, optimizer, { epoch });
  console.log(`saved ${epoch}`);
}
