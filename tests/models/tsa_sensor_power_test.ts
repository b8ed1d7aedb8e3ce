import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { assert, assertEquals, assertThrows } from "@std/assert";
import { tsa, TSA_DEFAULTS } from "../../models/tsa.ts";
import { buildModel } from "../../models/registry.ts";
import { runConfig } from "../../training/run_config.ts";
import { assertGainIsOffset, assertReloads, probe, SMALL_OPTIONS, SMALL_SIGNAL } from "./_tsa_embedding_checks.ts";

await tf.setBackend("cpu");

const SIGNAL = SMALL_SIGNAL;
const OPTIONS = { ...SMALL_OPTIONS, embedding: "sensorPower" } as const;

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

Deno.test("tsa() embedding sensorPower turns a large gain on the window into an offset of about log g² of every log power", async () => {
  await assertGainIsOffset(OPTIONS, "sensor_log_power");
});

Deno.test("tsa() embedding sensorPower saves and reloads, and needs virtual sensors and no stem", async () => {
  await assertReloads(OPTIONS);
  assertThrows(() => tsa(SIGNAL, 4, { ...OPTIONS, sensorProjection: 0 }), RangeError, "sensorPower");
  assertThrows(() => tsa(SIGNAL, 4, { ...OPTIONS, stem: "temporalSpatial", segLen: 4 }), RangeError, "sensorPower");
  assertThrows(() => tsa(SIGNAL, 4, { ...OPTIONS, bandFilters: 0 }), RangeError, "bandFilters");
});
