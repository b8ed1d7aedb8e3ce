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

/** Softmax probabilities of `batch` under `m`, one row per window. */
function probsOf(m: tfl.LayersModel): number[][] {
  return tf.tidy(() => (m.predict(tf.tensor(batch.xs, batch.shape)) as tf.Tensor).arraySync() as number[][]);
}

/** The model of `model(undefined)` with unequal kernel weights (so the probabilities are not uniform). */
function unevenModel(): tfl.LayersModel {
  const m = model(undefined);
  const [kernel, bias] = m.getWeights();
  m.setWeights([tf.tensor(Array.from({ length: 18 }, (_, i) => Math.cos(i) * 0.1), kernel.shape), bias]);
  return m;
}

Deno.test("trainStep with label smoothing returns the loss of the smoothed targets, by hand", async () => {
  const m = unevenModel();
  const probs = probsOf(m);
  const eps = 0.2, k = 3;
  const expected = probs.reduce(
    (sum, row, i) => sum - row.reduce((s, p, c) => s + ((c === batch.ys[i] ? 1 - eps : 0) + eps / k) * Math.log(p), 0),
    0,
  ) / probs.length;
  const result = await trainStep(m, tf.train.sgd(0), batch, 3, { labelSmoothing: eps });
  assertAlmostEquals(result.loss, expected, 1e-5);
  // Off by default and at 0: the plain cross-entropy (which differs from the smoothed one here).
  const plain = (await predictBatch(m, batch, 3)).loss;
  assert(Math.abs(plain - expected) > 1e-3);
  assertAlmostEquals((await trainStep(m, tf.train.sgd(0), batch, 3, { labelSmoothing: 0 })).loss, plain, 1e-6);
  m.dispose();
});

Deno.test("trainStep with label smoothing and mixup weighs the two smoothed losses by lambda", async () => {
  const m = unevenModel();
  const partnerLabels = Int32Array.from([2, 0, 1, 1]);
  const opts = { labelSmoothing: 0.1 };
  const own = await trainStep(m, tf.train.sgd(0), batch, 3, opts);
  const other = await trainStep(m, tf.train.sgd(0), { ...batch, ys: partnerLabels }, 3, opts);
  const mixed = await trainStep(m, tf.train.sgd(0), { ...batch, mix: { ys: partnerLabels, lambda: 0.7 } }, 3, opts);
  assertAlmostEquals(mixed.loss, 0.7 * own.loss + 0.3 * other.loss, 1e-5);
  m.dispose();
});

Deno.test("trainStep with weight decay shrinks a kernel by lr * decay before the update and leaves the bias alone", async () => {
  const withBias = () =>
    tfl.sequential({
      layers: [
        tfl.layers.flatten({ inputShape: [2, 3] }),
        tfl.layers.dense({ units: 3, activation: "softmax", kernelInitializer: "ones", biasInitializer: "ones" }),
      ],
    });
  // With a zero learning rate nothing moves; with SGD the update is lr * gradient, so a run with
  // decay and one without differ in the kernel by exactly lr * decay * (kernel before).
  const lr = 0.1, decay = 0.5;
  const plain = withBias(), decayed = withBias();
  await trainStep(plain, tf.train.sgd(lr), batch, 3);
  await trainStep(decayed, tf.train.sgd(lr), batch, 3, { weightDecay: decay });
  const [plainKernel, plainBias] = plain.getWeights().map((w) => Array.from(w.dataSync()));
  const [decayedKernel, decayedBias] = decayed.getWeights().map((w) => Array.from(w.dataSync()));
  for (let i = 0; i < plainKernel.length; i++) {
    assertAlmostEquals(decayedKernel[i], plainKernel[i] - lr * decay * 1, 1e-6); // kernel was all ones
  }
  assertEquals(decayedBias, plainBias); // the bias does not decay
  plain.dispose();
  decayed.dispose();
});

Deno.test("trainStep with Adam and weight decay leaves no tensor behind", async () => {
  const m = model(undefined);
  const optimizer = tf.train.adam(1e-2);
  await trainStep(m, optimizer, batch, 3, { labelSmoothing: 0.1, weightDecay: 0.1 });
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) await trainStep(m, optimizer, batch, 3, { labelSmoothing: 0.1, weightDecay: 0.1 });
  assertEquals(tf.memory().numTensors, before);
  m.dispose();
});
