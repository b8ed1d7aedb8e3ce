import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import "@tensorflow/tfjs-backend-cpu";
import { assert, assertAlmostEquals, assertEquals } from "@std/assert";
import { predictBatch, trainStep } from "../../training/train_step.ts";
import type { Batch } from "../../core/types.ts";

await tf.setBackend("cpu");

function model(maxNorm: number | undefined): tfl.LayersModel {
  return tfl.sequential({
    layers: [
      tfl.layers.flatten({ inputShape: [2, 3] }),
      tfl.layers.dense({
        units: 3,
        activation: "softmax",
        kernelInitializer: "ones",
        kernelConstraint: maxNorm === undefined ? undefined : tfl.constraints.maxNorm({ maxValue: maxNorm, axis: 0 }),
      }),
    ],
  });
}

const batch: Batch = {
  recordings: [],
  startSamples: [],
  xs: Float32Array.from({ length: 4 * 6 }, (_, i) => Math.sin(i) * 10),
  ys: Int32Array.from([0, 1, 2, 1]),
  shape: [4, 2, 3],
};

Deno.test("trainStep returns the loss and correct count and updates the weights", async () => {
  const m = model(undefined);
  const before = m.getWeights()[0].arraySync();
  const predicted = await predictBatch(m, batch, 3);
  const result = await trainStep(m, tf.train.sgd(0.1), batch, 3);
  assertEquals(result.count, 4);
  // The loss is the forward pass before the update.
  assertAlmostEquals(result.loss, predicted.loss, 1e-5);
  assertEquals(result.correct, predicted.correct);
  assert(JSON.stringify(m.getWeights()[0].arraySync()) !== JSON.stringify(before));
  m.dispose();
});

Deno.test("trainStep keeps a max-norm constrained weight within its norm after the update", async () => {
  const norms = (m: tfl.LayersModel) => Array.from(tf.tidy(() => tf.norm(m.getWeights()[0], 2, 0).dataSync()));
  const free = model(undefined);
  await trainStep(free, tf.train.sgd(10), batch, 3);
  // Without the constraint a large step leaves some column far outside 0.5 (the check can fail).
  assert(norms(free).some((n) => n > 0.6), `unconstrained norms ${norms(free)}`);
  const constrained = model(0.5);
  for (let i = 0; i < 3; i++) await trainStep(constrained, tf.train.sgd(10), batch, 3);
  for (const n of norms(constrained)) assert(n <= 0.5 + 1e-5, `column norm ${n}`);
  free.dispose();
  constrained.dispose();
});

Deno.test("trainStep and predictBatch leave no tensor behind", async () => {
  const m = model(0.5);
  const optimizer = tf.train.adam(1e-2);
  await trainStep(m, optimizer, batch, 3);
  await predictBatch(m, batch, 3);
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) {
    await trainStep(m, optimizer, batch, 3);
    await predictBatch(m, batch, 3);
  }
  assertEquals(tf.memory().numTensors, before);
  m.dispose();
});

Deno.test("trainStep of a mixed batch weighs the two labels' losses by lambda and counts against the own label", async () => {
  const m = model(undefined);
  const partnerLabels = Int32Array.from([2, 0, 1, 1]);
  const own = await predictBatch(m, batch, 3);
  const other = await predictBatch(m, { ...batch, ys: partnerLabels }, 3);
  const result = await trainStep(m, tf.train.sgd(0), { ...batch, mix: { ys: partnerLabels, lambda: 0.7 } }, 3);
  assertAlmostEquals(result.loss, 0.7 * own.loss + 0.3 * other.loss, 1e-5);
  assertEquals(result.correct, own.correct);
  const unmixed = await trainStep(m, tf.train.sgd(0), { ...batch, mix: { ys: partnerLabels, lambda: 1 } }, 3);
  assertAlmostEquals(unmixed.loss, own.loss, 1e-6);
});
