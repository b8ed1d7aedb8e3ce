import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import "@tensorflow/tfjs-backend-cpu";
import { assert, assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { tsa, TSA_DEFAULTS } from "../../models/tsa.ts";
import { buildModel } from "../../models/registry.ts";
import { adaptBatchNorm, hasBatchNorm } from "../../training/adapt_batch_norm.ts";
import type { PreprocessStep } from "../../pipeline/preprocess.ts";
import { writeRecording } from "../_recordings.ts";
import { reloadThroughJson } from "./_reload_through_json.ts";

await tf.setBackend("cpu");

const SMALL = { sensorProjection: 0, segLen: 5, dModel: 8, keyDim: 4 } as const;
const ENERGY = { embedding: "energy", embeddingNorm: "batch" } as const;

/** The output of the layer `name` of `model` for `x`. */
function probe(model: tfl.LayersModel, name: string, x: tf.Tensor): tf.Tensor {
  const sub = tfl.model({ inputs: model.inputs, outputs: model.getLayer(name).output as tfl.SymbolicTensor });
  return sub.predict(x) as tf.Tensor;
}

Deno.test("tsa() embedding energy filters each segment to 2 x dModel, squares and mixes without bias, then BatchNorm and a position per (sensor, segment)", () => {
  const model = tsa({ nChans: 248, nTimes: 250 }, 4, { ...ENERGY });
  const shape = (name: string) => model.getLayer(name).outputShape;
  const d = TSA_DEFAULTS.dModel;
  assertEquals(shape("segments"), [null, 32, 10, 25]); // 32 virtual sensors, 25-sample segments
  assertEquals(shape("segment_filters"), [null, 32, 10, 2 * d]);
  assertEquals(shape("segment_square"), [null, 32, 10, 2 * d]);
  assertEquals(shape("segment_energy"), [null, 32, 10, d]);
  assertEquals(shape("segment_norm"), [null, 32, 10, d]);
  assertEquals(shape("segment_grid"), [null, 32, 10, d]);
  assertEquals(model.getLayer("segment_energy").getWeights().length, 1, "no bias");
  assertEquals(model.getLayer("segment_position").getWeights()[0].shape, [32 * 10, d]);
  assertEquals(model.layers.filter((l) => l.name === "segment_embedding").length, 0);
  const linear = tsa({ nChans: 248, nTimes: 250 }, 4, {});
  // the linear embedding: [25, d] + [d] + positions; the energy one: [25, 2d] + [2d] + [2d, d] + BatchNorm 4 x [d]
  const embeddingParams = 25 * 2 * d + 2 * d + 2 * d * d + 4 * d - (25 * d + d);
  assertEquals(model.countParams() - linear.countParams(), embeddingParams);
  assertEquals(shape("classifier"), [null, 4]);
  model.dispose();
  linear.dispose();
});

Deno.test("tsa() energy tokens carry power, not sign: flipping a window leaves them unchanged, linear tokens change", () => {
  const x = tf.randomNormal([2, 6, 20], 0, 1, "float32", 3);
  const flipped = tf.neg(x);
  const energy = tsa({ nChans: 6, nTimes: 20 }, 4, { ...SMALL, embedding: "energy" });
  const linear = tsa({ nChans: 6, nTimes: 20 }, 4, { ...SMALL, embeddingNorm: "batch" });
  const change = (model: tfl.LayersModel, name: string) =>
    tf.max(tf.abs(tf.sub(probe(model, name, x), probe(model, name, flipped)))).dataSync()[0];
  assert(change(energy, "segment_grid") < 1e-5, "energy tokens moved with the sign of the window");
  assert(change(linear, "segment_grid") > 1e-3, "linear tokens did not move with the sign of the window");
  energy.dispose();
  linear.dispose();
});

Deno.test("tsa() embedding logEnergy puts log(1 + x²) of the segment filters in place of their square, and saves and reloads", async () => {
  const signal = { nChans: 12, nTimes: 40 };
  const options = { sensorProjection: 6, segLen: 10, dModel: 8, keyDim: 4, routers: 2, embeddingNorm: "sensorBatch" };
  const model = buildModel("tsa", signal, 4, { ...options, embedding: "logEnergy" });
  const energy = buildModel("tsa", signal, 4, { ...options, embedding: "energy" });
  assertEquals(model.getLayer("segment_log_energy").outputShape, [null, 6, 4, 16]);
  assertEquals(model.layers.filter((l) => l.name === "segment_square").length, 0);
  assertEquals(model.countParams(), energy.countParams(), "the same weights, only the nonlinearity differs");
  const x = tf.randomNormal([2, 12, 40], 0, 1, "float32", 5);
  const filters = probe(model, "segment_filters", x);
  const expected = tf.log1p(tf.square(filters));
  const diff = tf.max(tf.abs(tf.sub(probe(model, "segment_log_energy", x), expected))).dataSync()[0];
  assert(diff < 1e-5, `log energy differs from log1p(x²) by ${diff}`);
  const loaded = await reloadThroughJson(model);
  const [a, b] = [Array.from((model.predict(x) as tf.Tensor).dataSync()), (loaded.predict(x) as tf.Tensor).dataSync()];
  a.forEach((value, i) => assertAlmostEquals(b[i], value, 1e-6));
  [model, energy, loaded].forEach((m) => m.dispose());
});

Deno.test("tsa() embedding logPower takes log(1 + a² + b²) of adjacent segment filters (dModel log powers), then mixes", () => {
  const signal = { nChans: 12, nTimes: 40 };
  const options = { sensorProjection: 6, segLen: 10, dModel: 8, keyDim: 4, routers: 2, embeddingNorm: "sensorBatch" };
  const model = buildModel("tsa", signal, 4, { ...options, embedding: "logPower" });
  const energy = buildModel("tsa", signal, 4, { ...options, embedding: "energy" });
  assertEquals(model.getLayer("segment_log_power").outputShape, [null, 6, 4, 8]);
  assertEquals(model.getLayer("segment_energy").getWeights()[0].shape, [8, 8]);
  assertEquals(energy.countParams() - model.countParams(), 8 * 8, "the mix takes dModel log powers, not 2 x dModel");
  const x = tf.randomNormal([2, 12, 40], 0, 1, "float32", 6);
  const f = tf.reshape(probe(model, "segment_filters", x), [2, 6, 4, 8, 2]);
  const expected = tf.log1p(tf.sum(tf.square(f), -1));
  const diff = tf.max(tf.abs(tf.sub(probe(model, "segment_log_power", x), expected))).dataSync()[0];
  assert(diff < 1e-5, `log power differs from log1p(a² + b²) by ${diff}`);
  [model, energy].forEach((m) => m.dispose());
});

Deno.test("tsa() embeddingNorm batch, linear or energy, with or without the EEGNet stem: the tokens get a BatchNorm", () => {
  const signal = { nChans: 6, nTimes: 20 };
  const linear = tsa(signal, 4, { ...SMALL, embeddingNorm: "batch" });
  assertEquals(linear.getLayer("segment_projection").outputShape, [null, 6, 4, 8]);
  assertEquals(linear.getLayer("segment_norm").getClassName(), "BatchNormalization");
  assert(hasBatchNorm(linear));
  const plain = tsa(signal, 4, { ...SMALL, embedding: "energy" });
  assertEquals(plain.layers.filter((l) => l.name === "segment_norm").length, 0);
  assertEquals(hasBatchNorm(plain), false);
  const stemmed = tsa({ nChans: 6, nTimes: 40 }, 4, {
    ...SMALL,
    ...ENERGY,
    stem: "temporalSpatial",
    stemKernLength: 4,
    stemPool: 2,
  });
  assertEquals(stemmed.getLayer("segment_energy").outputShape, [null, 16, 4, 8]); // 16 stem series, 20 / 5 segments
  [linear, plain, stemmed].forEach((m) => m.dispose());
});

Deno.test("tsa() rejects an unknown embedding or embeddingNorm, naming it", () => {
  const signal = { nChans: 6, nTimes: 20 };
  assertThrows(
    () => tsa(signal, 4, { ...SMALL, embedding: "conv" as never }),
    RangeError,
    'embedding must be "linear"',
  );
  assertThrows(() => tsa(signal, 4, { ...SMALL, embeddingNorm: "layer" as never }), RangeError, "embeddingNorm");
  assertThrows(() => tsa(signal, 4, { ...SMALL, embedding: 1 as never }), TypeError, '"embedding"');
});

Deno.test("tsa() with an energy embedding and token BatchNorm: a saved and reloaded model (registry) predicts the same", async () => {
  const model = buildModel("tsa", { nChans: 12, nTimes: 40 }, 4, {
    sensorProjection: 6,
    segLen: 10,
    dModel: 8,
    keyDim: 4,
    routers: 2,
    depth: 2,
    ...ENERGY,
  });
  const loaded = await reloadThroughJson(model);
  assertEquals(loaded.getLayer("segment_energy").outputShape, [null, 6, 4, 8]);
  const x = tf.randomNormal([2, 12, 40], 0, 1, "float32", 11);
  const [a, b] = [Array.from((model.predict(x) as tf.Tensor).dataSync()), (loaded.predict(x) as tf.Tensor).dataSync()];
  a.forEach((value, i) => assertAlmostEquals(b[i], value, 1e-6));
  assertEquals(loaded.countParams(), model.countParams());
  model.dispose();
  loaded.dispose();
});

Deno.test("adaptBatchNorm re-estimates tsa's token BatchNorm (embeddingNorm batch) for an unseen subject and restores it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const recs = [
      await writeRecording(dir, "rest", "100", 1, 48, (c, t) => c * 1e-3 + Math.sin(t + c)),
      await writeRecording(dir, "task_motor", "100", 1, 48, (c, t) => 2 + Math.cos(0.3 * t * c)),
    ];
    const steps: PreprocessStep[] = [{ op: "window", windowSeconds: 16 / 2034, strideSeconds: 16 / 2034 }];
    const model = tsa({ nChans: 248, nTimes: 16 }, 4, { segLen: 4, dModel: 8, keyDim: 4, ...ENERGY });
    const norm = model.getLayer("segment_norm");
    const moving = () => norm.nonTrainableWeights.map((w) => w.read().arraySync());
    const before = moving();
    const restore = await adaptBatchNorm(model, recs, { steps, batchSize: 4 });
    const adapted = moving();
    before.forEach((w, i) => assert(JSON.stringify(adapted[i]) !== JSON.stringify(w), `moving statistic ${i}`));
    restore();
    assertEquals(moving(), before);
    model.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
