import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import "@tensorflow/tfjs-backend-cpu";
import { assertEquals, assertRejects } from "@std/assert";
import { join } from "node:path";
import { runConfig } from "../../training/run_config.ts";
import { saveModel } from "../../training/checkpoint.ts";
import { validateHoldout } from "../../tune/validate_holdout.ts";
import { holdOut } from "../../orchestration/train_run.ts";
import { catalog, recordingsOf } from "../../sources/catalog.ts";
import { TASK_TYPES } from "../../core/types.ts";
import { writeRecording } from "../_recordings.ts";
import { predictRecordings } from "../../evaluation/predict.ts";
import { evaluatePredictions } from "../../evaluation/metrics.ts";

await tf.setBackend("cpu");

// Windows of 16 raw samples: 48 samples give 3 windows per recording.
const STEPS = [{ op: "window" as const, windowSeconds: 16 / 2034, strideSeconds: 16 / 2034 }];
/** One held-out chunk per class (cnn's intra recipe, the default model's, holds none out). */
const HOLDOUT = { holdoutChunks: 1 };

/** A model that predicts "rest" for every window. */
function restModel(): tfl.LayersModel {
  const model = tfl.sequential({
    layers: [
      tfl.layers.flatten({ inputShape: [248, 16] }),
      tfl.layers.dense({ units: 4, activation: "softmax", kernelInitializer: "zeros" }),
    ],
  });
  model.layers[1].setWeights([tf.zeros([248 * 16, 4]), tf.tensor1d([3, 0, 0, 0])]);
  return model;
}

/** Intra/train with 3 chunks per class of subject 1, and a finished run's model. */
async function withRun(fn: (data: string, runDir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "megflow-holdout-test-" });
  try {
    const data = join(dir, "data");
    for (const taskType of TASK_TYPES) {
      for (const chunk of [1, 2, 3]) await writeRecording(join(data, "Intra", "train"), taskType, "1", chunk, 48);
    }
    const model = restModel();
    await saveModel(join(dir, "run", "model"), model);
    model.dispose();
    await fn(data, join(dir, "run"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("validateHoldout() evaluates the run's model on the chunks trainRun held out", async () => {
  await withRun(async (data, runDir) => {
    const config = runConfig("intra", data, { backend: "cpu", preprocess: STEPS, ...HOLDOUT, seed: 7, batchSize: 5 });
    const metrics = await validateHoldout(config, runDir);
    assertEquals(metrics.split, "validation");
    assertEquals([metrics.recordings, metrics.windows, metrics.subjects], [4, 12, 1]);
    // The model says "rest" everywhere: one class in four is right.
    assertEquals([metrics.windowAccuracy, metrics.recordingAccuracy], [0.25, 0.25]);
    const recordings = recordingsOf(await catalog(data, { splits: config.trainSplits }));
    const { validation } = holdOut(recordings, 1, 7);
    assertEquals(
      metrics.perRecording.map((r) => r.recording).sort(),
      validation.map((r) => r.path.split("/").pop()!).sort(),
    );
  });
});

Deno.test("validateHoldout() holds out as many chunks per class as the config says, chosen by its seed", async () => {
  await withRun(async (data, runDir) => {
    const two = await validateHoldout(
      runConfig("intra", data, { backend: "cpu", preprocess: STEPS, holdoutChunks: 2, seed: 1 }),
      runDir,
    );
    assertEquals(two.recordings, 8);
    const names = async (seed: number) =>
      (await validateHoldout(runConfig("intra", data, { backend: "cpu", preprocess: STEPS, ...HOLDOUT, seed }), runDir))
        .perRecording.map((r) => r.recording).sort();
    const seeds: string[][] = [];
    for (const seed of [1, 2, 3, 4]) seeds.push(await names(seed));
    assertEquals(seeds.every((s) => s.length === 4), true);
    assertEquals(new Set(seeds.map((s) => s.join())).size > 1, true, "every seed held out the same chunks");
  });
});

Deno.test("validateHoldout() rejects a config that holds nothing out", async () => {
  await assertRejects(
    () => validateHoldout(runConfig("intra", "/data", { holdoutChunks: 0 }), "/run"),
    RangeError,
    "holdoutChunks must be positive, got 0",
  );
});

Deno.test("validateHoldout() fails, naming the folder, when the run has no model", async () => {
  await withRun(async (data, runDir) => {
    await Deno.remove(join(runDir, "model"), { recursive: true });
    const config = runConfig("intra", data, { backend: "cpu", preprocess: STEPS, ...HOLDOUT });
    await assertRejects(
      () => validateHoldout(config, runDir),
      Error,
      `${join(runDir, "model")}: cannot read the model`,
    );
  });
});

/** A model whose BatchNorm, with its trained statistics, pushes every window to "rest"; adapted, to "math". */
function batchNormModel(): tfl.LayersModel {
  const model = tfl.sequential({
    layers: [
      tfl.layers.flatten({ inputShape: [248, 16] }),
      tfl.layers.batchNormalization({ movingMeanInitializer: "ones" }),
      tfl.layers.dense({ units: 4, activation: "softmax" }),
    ],
  });
  const n = 248 * 16;
  const kernel = tf.concat([tf.fill([n, 1], -1e-3), tf.zeros([n, 3])], 1);
  model.layers[2].setWeights([kernel, tf.tensor1d([0, 0.5, 0, 0])]);
  return model;
}

Deno.test("validateHoldout() adapts BatchNorm as the run's early stopping did (AdaBN)", async () => {
  await withRun(async (data, runDir) => {
    const model = batchNormModel();
    await saveModel(join(runDir, "model"), model);
    const config = runConfig("intra", data, {
      backend: "cpu",
      preprocess: STEPS,
      ...HOLDOUT,
      seed: 7,
      adaptBatchNorm: true,
    });
    const recordings = recordingsOf(await catalog(data, { splits: config.trainSplits }));
    const { validation } = holdOut(recordings, 1, 7);
    const options = { steps: STEPS, batchSize: 32, nClasses: 4, split: "validation" };
    const adapted = await predictRecordings(model, validation, { ...options, adaptBatchNorm: true });
    const plain = await predictRecordings(model, validation, options);
    model.dispose();
    const meanProbs = (rows: { probs: number[] }[]) => rows.map((r) => r.probs[0].toFixed(4)).join();
    // The two differ: with the trained statistics every window is "rest", adapted it is not.
    assertEquals(meanProbs(adapted.rows) === meanProbs(plain.rows), false);
    const metrics = await validateHoldout(config, runDir);
    assertEquals(
      metrics.perRecording.map((r) => r.meanProb[0].toFixed(4)).sort(),
      evaluatePredictions(adapted.rows).validation.perRecording.map((r) => r.meanProb[0].toFixed(4)).sort(),
    );
    // Without AdaBN in the config, the trained statistics are used.
    const unadapted = await validateHoldout({ ...config, adaptBatchNorm: false }, runDir);
    assertEquals(unadapted.windowAccuracy, evaluatePredictions(plain.rows).validation.windowAccuracy);
  });
});
