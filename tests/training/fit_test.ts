import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { assertAlmostEquals, assertEquals, assertGreater, assertLess, assertRejects } from "@std/assert";
import { from, Observable } from "rxjs";
import { type EpochMetrics, fit, learningRateAt } from "../../training/fit.ts";
import { loadCheckpoint, saveCheckpoint } from "../../training/checkpoint.ts";
import { Random } from "../../core/random.ts";
import type { Batch, Recording } from "../../core/types.ts";

await tf.setBackend("cpu");

const recording = { path: "rest_1_1.h5", subject: "1" } as Recording;

/** Batches of 8 examples [4, 6]: class 0 has mean +1 on the first feature, class 1 mean -1. */
function batches(seed: number, count = 4): Batch[] {
  const random = new Random(seed);
  return Array.from({ length: count }, () => {
    const xs = new Float32Array(8 * 24);
    const ys = new Int32Array(8);
    for (let i = 0; i < 8; i++) {
      ys[i] = i % 2;
      for (let j = 0; j < 24; j++) xs[i * 24 + j] = random.normal() * 0.5 + (j === 0 ? (ys[i] ? -1 : 1) : 0);
    }
    return { xs, shape: [8, 4, 6], ys, recordings: Array(8).fill(recording), startSamples: Array(8).fill(0) };
  });
}

function tinyModel(): tfl.LayersModel {
  return tfl.sequential({
    layers: [tfl.layers.flatten({ inputShape: [4, 6] }), tfl.layers.dense({ units: 2, activation: "softmax" })],
  });
}

Deno.test("fit() lowers the loss on a separable problem and keeps the tensor count flat", async () => {
  const model = tinyModel();
  const optimizer = tf.train.adam(0.05);
  const counts: number[] = [];
  const result = await fit(model, optimizer, {
    nClasses: 2,
    epochs: 6,
    schedule: "constant",
    learningRate: 0.05,
    batches: (epoch) => from(batches(epoch)),
    onEpoch: () => void counts.push(tf.memory().numTensors),
  });
  assertEquals(result.history.length, 6);
  assertLess(result.history[5].trainLoss, result.history[0].trainLoss);
  assertGreater(result.history[5].trainAccuracy, 0.9);
  assertEquals(new Set(counts.slice(1)).size, 1, `tensor counts per epoch: ${counts}`);
  model.dispose();
  optimizer.dispose();
});

Deno.test("fit() stops early when validation does not improve for `patience` epochs", async () => {
  const model = tinyModel();
  const optimizer = tf.train.adam(0.01);
  const validations = [0.5, 0.6, 0.55, 0.55, 0.55, 0.9];
  const result = await fit(model, optimizer, {
    nClasses: 2,
    epochs: 6,
    patience: 2,
    batches: () => from(batches(1, 1)),
    validate: (epoch) => Promise.resolve({ loss: 1, accuracy: validations[epoch - 1] }),
  });
  assertEquals(result.bestEpoch, 2);
  assertEquals(result.stoppedEarly, true);
  assertEquals(result.history.length, 4); // epochs 3 and 4 did not improve on epoch 2
  model.dispose();
  optimizer.dispose();
});

Deno.test("fit() fails with a clear error when an epoch yields no batch", async () => {
  const model = tinyModel();
  await assertRejects(
    () => fit(model, tf.train.adam(), { nClasses: 2, epochs: 1, batches: () => from([]) }),
    RangeError,
    "epoch 1 produced no windows",
  );
  model.dispose();
});

Deno.test("fit() passes a source error through and leaves the tensor count unchanged", async () => {
  const model = tinyModel();
  const optimizer = tf.train.adam();
  await fit(model, optimizer, { nClasses: 2, epochs: 1, batches: () => from(batches(1, 1)) });
  const before = tf.memory().numTensors;
  await assertRejects(
    () =>
      fit(model, optimizer, {
        nClasses: 2,
        epochs: 2,
        history: [],
        batches: () =>
          new Observable<Batch>((subscriber) => {
            subscriber.next(batches(2, 1)[0]);
            subscriber.error(new TypeError("rest_1_1.h5: expected 248 rows, got 247"));
          }),
      }),
    TypeError,
    "expected 248 rows",
  );
  assertEquals(tf.memory().numTensors, before);
  model.dispose();
  optimizer.dispose();
});

Deno.test("a checkpoint restores weights and optimizer so that resumed training equals uninterrupted", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const run = async (model: tfl.LayersModel, optimizer: tf.Optimizer, epochs: number, history: EpochMetrics[] = []) =>
      await fit(model, optimizer, {
        nClasses: 2,
        epochs,
        schedule: "constant",
        history,
        batches: (epoch) => from(batches(epoch)),
      });
    // Uninterrupted: 3 epochs.
    const full = tinyModel();
    const initial = full.getWeights().map((w) => w.clone());
    const fullOptimizer = tf.train.adam(0.01);
    await run(full, fullOptimizer, 3);
    // Interrupted after 2 epochs, checkpointed, resumed for the third.
    const first = tinyModel();
    first.setWeights(initial);
    const firstOptimizer = tf.train.adam(0.01);
    const partial = await run(first, firstOptimizer, 2);
    const before = tf.memory().numTensors;
    await saveCheckpoint(`${dir}/checkpoint`, first, firstOptimizer, { history: partial.history });
    assertEquals(tf.memory().numTensors, before); // nothing leaked...
    await run(first, firstOptimizer, 3, partial.history); // ...and the optimizer still trains
    const checkpoint = await loadCheckpoint<{ history: EpochMetrics[] }>(`${dir}/checkpoint`);
    const resumedOptimizer = tf.train.adam(0.01);
    await checkpoint.restoreOptimizer(resumedOptimizer);
    const resumed = await run(checkpoint.model, resumedOptimizer, 3, checkpoint.state.history);
    assertEquals(resumed.history.length, 3);
    const a = await full.getWeights()[0].data();
    const b = await checkpoint.model.getWeights()[0].data();
    for (let i = 0; i < a.length; i++) assertAlmostEquals(a[i], b[i], 1e-6);
    tf.dispose(initial);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("learningRateAt() follows warm-up, step and constant schedules", () => {
  assertAlmostEquals(learningRateAt(1, { learningRate: 1, warmupEpochs: 1, schedule: "constant" }), 0.5);
  assertAlmostEquals(learningRateAt(2, { learningRate: 1, warmupEpochs: 1, schedule: "constant" }), 1);
  assertAlmostEquals(learningRateAt(6, { learningRate: 1, schedule: "step", stepEpochs: 5 }), 0.5);
  assertAlmostEquals(learningRateAt(11, { learningRate: 1, schedule: "step", stepEpochs: 5 }), 0.25);
});
