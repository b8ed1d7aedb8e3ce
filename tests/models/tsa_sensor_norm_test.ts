import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import "@tensorflow/tfjs-backend-cpu";
import { assert, assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { tsa } from "../../models/tsa.ts";
import { adaptBatchNorm, hasBatchNorm } from "../../training/adapt_batch_norm.ts";
import type { PreprocessStep } from "../../pipeline/preprocess.ts";
import { writeRecording } from "../_recordings.ts";
import { reloadThroughJson } from "./_reload_through_json.ts";

await tf.setBackend("cpu");

const SMALL = { sensorProjection: 0, segLen: 5, dModel: 8, keyDim: 4, embedding: "energy" } as const;

/** Tokens after the embedding's norm, in training mode (batch statistics), `[batch, nChans, nSegs, dModel]`. */
function normalisedTokens(model: tfl.LayersModel, name: string, x: tf.Tensor): tf.Tensor {
  const sub = tfl.model({ inputs: model.inputs, outputs: model.getLayer(name).output as tfl.SymbolicTensor });
  return sub.apply(x, { training: true }) as tf.Tensor;
}

/** Windows whose sensors differ in scale (sensor c scaled by 1 + 3c). */
function unevenWindows(): tf.Tensor {
  const x = tf.randomNormal([16, 6, 20], 0, 1, "float32", 5);
  return tf.mul(x, tf.reshape(tf.tensor1d([1, 4, 7, 10, 13, 16]), [1, 6, 1]));
}

Deno.test("tsa() embeddingNorm sensorBatch holds statistics per (sensor, token feature) and keeps the token grid", () => {
  const model = tsa({ nChans: 6, nTimes: 20 }, 4, { ...SMALL, embeddingNorm: "sensorBatch" });
  const norm = model.getLayer("segment_norm");
  assertEquals(norm.getClassName(), "BatchNormalization");
  assertEquals(norm.getWeights().map((w) => w.shape), [[6 * 8], [6 * 8], [6 * 8], [6 * 8]]);
  assertEquals(model.getLayer("sensor_major_tokens").outputShape, [null, 6, 4, 8]);
  assertEquals(model.getLayer("segment_grid").outputShape, [null, 6, 4, 8]);
  assert(hasBatchNorm(model));
  const batch = tsa({ nChans: 6, nTimes: 20 }, 4, { ...SMALL, embeddingNorm: "batch" });
  assertEquals(model.countParams() - batch.countParams(), 4 * (6 * 8 - 8)); // gamma, beta and moving statistics per sensor
  model.dispose();
  batch.dispose();
});

Deno.test("tsa() embeddingNorm sensorBatch centres every sensor's token features on its own; batch centres them only over all sensors", () => {
  const x = unevenWindows();
  const perSensorMeans = (model: tfl.LayersModel, name: string) =>
    Array.from(tf.mean(normalisedTokens(model, name, x), [0, 2]).dataSync()); // [nChans * dModel]
  const sensor = tsa({ nChans: 6, nTimes: 20 }, 4, { ...SMALL, embeddingNorm: "sensorBatch" });
  perSensorMeans(sensor, "sensor_major_tokens").forEach((m) => assertAlmostEquals(m, 0, 1e-3));
  const batch = tsa({ nChans: 6, nTimes: 20 }, 4, { ...SMALL, embeddingNorm: "batch" });
  const spread = Math.max(...perSensorMeans(batch, "segment_norm").map(Math.abs));
  assert(spread > 0.1, `a shared BatchNorm left the sensors' means at most ${spread} from 0`);
  sensor.dispose();
  batch.dispose();
});

Deno.test("tsa() with embeddingNorm sensorBatch: a saved and reloaded model predicts the same", async () => {
  const model = tsa({ nChans: 6, nTimes: 20 }, 4, { ...SMALL, embeddingNorm: "sensorBatch", depth: 2, routers: 2 });
  const loaded = await reloadThroughJson(model);
  const x = unevenWindows();
  const [a, b] = [(model.predict(x) as tf.Tensor).dataSync(), (loaded.predict(x) as tf.Tensor).dataSync()];
  a.forEach((value, i) => assertAlmostEquals(b[i], value, 1e-6));
  model.dispose();
  loaded.dispose();
});

Deno.test("tsa() rejects an unknown embeddingNorm, listing sensorBatch", () => {
  assertThrows(
    () => tsa({ nChans: 6, nTimes: 20 }, 4, { ...SMALL, embeddingNorm: "sensor" as never }),
    RangeError,
    '"batch", "sensorBatch" or "none"',
  );
});

Deno.test("adaptBatchNorm re-estimates tsa's per-sensor token BatchNorm (embeddingNorm sensorBatch) for an unseen subject and restores it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const recs = [
      await writeRecording(dir, "rest", "100", 1, 48, (c, t) => c * 1e-3 + Math.sin(t + c)),
      await writeRecording(dir, "task_motor", "100", 1, 48, (c, t) => 2 + Math.cos(0.3 * t * c)),
    ];
    const steps: PreprocessStep[] = [{ op: "window", windowSeconds: 16 / 2034, strideSeconds: 16 / 2034 }];
    const model = tsa({ nChans: 248, nTimes: 16 }, 4, {
      ...SMALL,
      sensorProjection: 4,
      segLen: 4,
      embeddingNorm: "sensorBatch",
    });
    const moving = () => model.getLayer("segment_norm").nonTrainableWeights.map((w) => Array.from(w.read().dataSync()));
    const before = moving();
    const restore = await adaptBatchNorm(model, recs, { steps, batchSize: 4 });
    const adapted = moving();
    assertEquals(adapted.map((w) => w.length), [4 * 8, 4 * 8]);
    before.forEach((w, i) => assert(JSON.stringify(adapted[i]) !== JSON.stringify(w), `moving statistic ${i}`));
    restore();
    assertEquals(moving(), before);
    model.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
