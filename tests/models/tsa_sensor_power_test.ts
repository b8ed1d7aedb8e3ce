import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import "@tensorflow/tfjs-backend-cpu";
import { assert, assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { tsa, TSA_DEFAULTS } from "../../models/tsa.ts";
import { buildModel } from "../../models/registry.ts";
import { runConfig } from "../../training/run_config.ts";
import { reloadThroughJson } from "./_reload_through_json.ts";

await tf.setBackend("cpu");

const SIGNAL = { nChans: 12, nTimes: 40 };
const OPTIONS = {
  sensorProjection: 6,
  segLen: 10,
  dModel: 8,
  keyDim: 4,
  routers: 2,
  embeddingNorm: "sensorBatch",
  embedding: "sensorPower",
  bandFilters: 3,
} as const;

/** The output of the layer `name` of `model` for `x`. */
function probe(model: tfl.LayersModel, name: string, x: tf.Tensor): tf.Tensor {
  const sub = tfl.model({ inputs: model.inputs, outputs: model.getLayer(name).output as tfl.SymbolicTensor });
  return sub.predict(x) as tf.Tensor;
}

Deno.test("tsa() embedding sensorPower is off by default, and the cross recipe builds no sensor log powers", () => {
  assertEquals(TSA_DEFAULTS.embedding, "linear");
  const cross = runConfig("cross", "/data", { model: "tsa" });
  const model = buildModel("tsa", { nChans: 248, nTimes: 250 }, 4, cross.modelOptions);
  assertEquals(model.layers.filter((l) => l.name.startsWith("sensor_power")).length, 0);
  model.dispose();
});

Deno.test("tsa() embedding sensorPower: every sensor's quadrature log powers, BatchNorm, then the spatial maps", () => {
  const model = buildModel("tsa", SIGNAL, 4, OPTIONS);
  const shape = (name: string) => model.getLayer(name).outputShape;
  assertEquals(shape("sensor_power_filters"), [null, 12, 4, 6]); // 12 raw sensors, 4 segments, 3 pairs
  assertEquals(shape("sensor_log_power"), [null, 12, 4, 3]);
  assertEquals(shape("sensor_power_maps"), [null, 4, 3, 12]);
  assertEquals(shape("sensor_projection"), [null, 4, 3, 6]);
  assertEquals(shape("sensor_power_tokens"), [null, 6, 4, 3]);
  assertEquals(shape("segment_grid"), [null, 6, 4, 8]);
  assertEquals(model.getLayer("sensor_power_filters").getWeights().map((w) => w.shape), [[10, 6]], "no bias");
  assertEquals(model.getLayer("sensor_projection").getWeights().map((w) => w.shape), [[12, 6]], "no bias");
  assertEquals(model.getLayer("segment_energy").getWeights().map((w) => w.shape), [[3, 8]], "no bias");
  // no projection of the raw sensors before the tokens
  assertEquals(model.layers.filter((l) => l.name === "time_major" || l.name === "sensor_major").length, 0);
  const x = tf.randomNormal([2, 12, 40], 0, 1, "float32", 7);
  // log(1 + a² + b²) of adjacent filter outputs
  const f = tf.reshape(probe(model, "sensor_power_filters", x), [2, 12, 4, 3, 2]);
  const expected = tf.log1p(tf.sum(tf.square(f), -1));
  const diff = tf.max(tf.abs(tf.sub(probe(model, "sensor_log_power", x), expected))).dataSync()[0];
  assert(diff < 1e-5, `sensor log powers differ by ${diff}`);
  // the tokens are the spatial maps of the normalised log powers, the same weights for every band
  const normed = probe(model, "sensor_power_norm", x); // [2, 12, 4, 3]
  const w = model.getLayer("sensor_projection").getWeights()[0]; // [12, 6]
  const mapped = tf.einsum("bcsf,cv->bvsf", normed, w);
  const diff2 = tf.max(tf.abs(tf.sub(probe(model, "sensor_power_tokens", x), mapped))).dataSync()[0];
  assert(diff2 < 1e-5, `tokens differ from the mapped log powers by ${diff2}`);
  model.dispose();
});

Deno.test("tsa() embedding sensorPower turns a large gain on the window into an offset of about log g² of every log power", () => {
  const model = tsa(SIGNAL, 4, OPTIONS);
  const x = tf.mul(tf.randomNormal([2, 12, 40], 0, 1, "float32", 8), 100);
  const powers = (input: tf.Tensor) => probe(model, "sensor_log_power", input);
  const offset = tf.sub(powers(tf.mul(x, 3)), powers(x)).dataSync();
  offset.forEach((value) => assertAlmostEquals(value, Math.log(9), 0.05));
  model.dispose();
});

Deno.test("tsa() embedding sensorPower saves and reloads, and needs virtual sensors and no stem", async () => {
  const model = buildModel("tsa", SIGNAL, 4, OPTIONS);
  const x = tf.randomNormal([2, 12, 40], 0, 1, "float32", 9);
  const loaded = await reloadThroughJson(model);
  const [a, b] = [Array.from((model.predict(x) as tf.Tensor).dataSync()), (loaded.predict(x) as tf.Tensor).dataSync()];
  a.forEach((value, i) => assertAlmostEquals(b[i], value, 1e-6));
  assertThrows(() => tsa(SIGNAL, 4, { ...OPTIONS, sensorProjection: 0 }), RangeError, "sensorPower");
  assertThrows(() => tsa(SIGNAL, 4, { ...OPTIONS, stem: "temporalSpatial", segLen: 4 }), RangeError, "sensorPower");
  assertThrows(() => tsa(SIGNAL, 4, { ...OPTIONS, bandFilters: 0 }), RangeError, "bandFilters");
  [model, loaded].forEach((m) => m.dispose());
});
