import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import "@tensorflow/tfjs-backend-cpu";
import { assert, assertAlmostEquals, assertEquals, assertRejects } from "@std/assert";
import { predictRecordings } from "../../evaluation/predict.ts";
import type { PreprocessStep } from "../../pipeline/preprocess.ts";
import type { Recording } from "../../core/types.ts";
import { writeRecording } from "../_recordings.ts";

await tf.setBackend("cpu");

// No resampling or normalisation: windows of 16 raw samples, so 48 samples give 3 windows.
const STEPS: PreprocessStep[] = [{ op: "window", windowSeconds: 16 / 2034, strideSeconds: 16 / 2034 }];

/** A model that ignores its input and puts logit `bias[k]` on class k. */
function constantModel(bias: number[]): tfl.LayersModel {
  const model = tfl.sequential({
    layers: [
      tfl.layers.flatten({ inputShape: [248, 16] }),
      tfl.layers.dense({ units: 4, activation: "softmax", kernelInitializer: "zeros" }),
    ],
  });
  model.layers[1].setWeights([tf.zeros([248 * 16, 4]), tf.tensor1d(bias)]);
  return model;
}

/** A model whose class-1 logit is 100 x the window's mean, so positive windows are "math", others "rest". */
function signModel(): tfl.LayersModel {
  const model = tfl.sequential({
    layers: [
      tfl.layers.flatten({ inputShape: [248, 16] }),
      tfl.layers.dense({ units: 4, activation: "softmax" }),
    ],
  });
  const kernel = tf.tidy(() =>
    tf.concat([tf.zeros([3968, 1]), tf.fill([3968, 1], 100 / 3968), tf.zeros([3968, 2])], 1)
  );
  model.layers[1].setWeights([kernel, tf.tensor1d([0, 0, -1e3, -1e3])]);
  return model;
}

async function withRecordings(fn: (recordings: Recording[]) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "megflow-predict-test-" });
  try {
    const recordings = [
      await writeRecording(dir, "rest", "1", 1, 48, () => -1),
      await writeRecording(dir, "task_story_math", "1", 2, 48, () => 1),
      await writeRecording(dir, "task_working_memory", "2", 1, 48, (_, t) => (t < 16 ? 1 : -1)),
      await writeRecording(dir, "task_motor", "2", 3, 40, () => 1), // 40 samples: 2 windows
    ];
    await fn(recordings);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("predictRecordings() gives one row per window, in catalogue order, read one recording at a time", async () => {
  await withRecordings(async (recordings) => {
    const model = signModel();
    // Several blocks per recording; with concurrency 1 their windows cannot interleave.
    const options = { steps: STEPS, nClasses: 4, batchSize: 4, blockSamples: 16, concurrency: 1 };
    const { rows } = await predictRecordings(model, recordings, options);
    assertEquals(
      rows.map((r) => `${r.recording}@${r.startSample}`),
      [
        "rest_1_1.h5@0",
        "rest_1_1.h5@16",
        "rest_1_1.h5@32",
        "task_story_math_1_2.h5@0",
        "task_story_math_1_2.h5@16",
        "task_story_math_1_2.h5@32",
        "task_working_memory_2_1.h5@0",
        "task_working_memory_2_1.h5@16",
        "task_working_memory_2_1.h5@32",
        "task_motor_2_3.h5@0",
        "task_motor_2_3.h5@16",
      ],
    );
    assertEquals(rows.map((r) => r.label), [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3]);
    assertEquals(rows.map((r) => r.subject), ["1", "1", "1", "1", "1", "1", "2", "2", "2", "2", "2"]);
    assertEquals(rows.map((r) => r.predicted), [0, 0, 0, 1, 1, 1, 1, 0, 0, 1, 1]);
    model.dispose();
  });
});

Deno.test("predictRecordings() returns the exact loss and accuracy of its rows", async () => {
  await withRecordings(async (recordings) => {
    const model = constantModel([0, 0, 2, 0]); // always "memory"
    const result = await predictRecordings(model, recordings, { steps: STEPS, nClasses: 4 });
    assertEquals(result.rows.length, 11);
    const p2 = Math.exp(2) / (Math.exp(2) + 3);
    const pOther = 1 / (Math.exp(2) + 3);
    for (const row of result.rows) {
      assertEquals(row.predicted, 2);
      assertEquals(row.probs.length, 4);
      row.probs.forEach((p, k) => assertAlmostEquals(p, k === 2 ? p2 : pOther, 1e-6));
    }
    // 3 of 11 windows are "memory".
    assertAlmostEquals(result.accuracy, 3 / 11, 1e-12);
    assertAlmostEquals(result.loss, (3 * -Math.log(p2) + 8 * -Math.log(pOther)) / 11, 1e-4);
    assert(result.seconds >= 0 && result.seconds < 60);
    model.dispose();
  });
});

Deno.test("predictRecordings() gives the same rows whatever the batch size", async () => {
  await withRecordings(async (recordings) => {
    const model = signModel();
    const one = await predictRecordings(model, recordings, { steps: STEPS, nClasses: 4, batchSize: 1 });
    const all = await predictRecordings(model, recordings, { steps: STEPS, nClasses: 4, batchSize: 64 });
    assertEquals(
      all.rows.map((r) => [r.recording, r.startSample, r.predicted]),
      one.rows.map((r) => [r.recording, r.startSample, r.predicted]),
    );
    all.rows.forEach((row, i) => row.probs.forEach((p, k) => assertAlmostEquals(p, one.rows[i].probs[k], 1e-6)));
    assertAlmostEquals(all.loss, one.loss, 1e-5);
    assertEquals(all.accuracy, one.accuracy);
    model.dispose();
  });
});

Deno.test("predictRecordings() names rows by each recording's split, or by the split it is given", async () => {
  await withRecordings(async (recordings) => {
    const model = constantModel([1, 0, 0, 0]);
    const own = await predictRecordings(model, recordings.slice(0, 1), { steps: STEPS, nClasses: 4 });
    assertEquals(new Set(own.rows.map((r) => r.split)), new Set([recordings[0].split]));
    const named = await predictRecordings(model, recordings, { steps: STEPS, nClasses: 4, split: "validation" });
    assertEquals(new Set(named.rows.map((r) => r.split)), new Set(["validation"]));
    model.dispose();
  });
});

Deno.test("predictRecordings() with adaptBatchNorm on a model without BatchNorm predicts as without", async () => {
  await withRecordings(async (recordings) => {
    const model = signModel();
    const plain = await predictRecordings(model, recordings, { steps: STEPS, nClasses: 4 });
    const adapted = await predictRecordings(model, recordings, { steps: STEPS, nClasses: 4, adaptBatchNorm: true });
    assertEquals(adapted.rows, plain.rows);
    model.dispose();
  });
});

Deno.test("predictRecordings() leaves no tensor behind", async () => {
  await withRecordings(async (recordings) => {
    const model = signModel();
    await predictRecordings(model, recordings, { steps: STEPS, nClasses: 4, batchSize: 3 }); // warm-up
    const before = tf.memory().numTensors;
    await predictRecordings(model, recordings, { steps: STEPS, nClasses: 4, batchSize: 3 });
    assertEquals(tf.memory().numTensors, before);
    model.dispose();
  });
});

Deno.test("predictRecordings() rejects recordings that give no window", async () => {
  const model = constantModel([0, 0, 0, 0]);
  await assertRejects(
    () => predictRecordings(model, [], { steps: STEPS, nClasses: 4 }),
    RangeError,
    "Cannot evaluate: 0 recordings gave no window",
  );
  const dir = await Deno.makeTempDir({ prefix: "megflow-predict-test-" });
  try {
    const short = await writeRecording(dir, "rest", "1", 1, 10); // shorter than one 16-sample window
    await assertRejects(
      () => predictRecordings(model, [short], { steps: STEPS, nClasses: 4 }),
      RangeError,
      "1 recordings gave no window",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
    model.dispose();
  }
});
