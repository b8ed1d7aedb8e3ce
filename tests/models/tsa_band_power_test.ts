import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { assert, assertEquals, assertThrows } from "@std/assert";
import { tsa, TSA_DEFAULTS } from "../../models/tsa.ts";
import { buildModel } from "../../models/registry.ts";
import { runConfig } from "../../training/run_config.ts";
import { assertGainIsOffset, assertReloads, probe, SMALL_OPTIONS, SMALL_SIGNAL } from "./_tsa_embedding_checks.ts";

await tf.setBackend("cpu");

const SIGNAL = SMALL_SIGNAL;
const OPTIONS = { ...SMALL_OPTIONS, embedding: "bandPower", bandTaps: 5 } as const;

Deno.test("tsa() embedding bandPower is off by default, and the cross recipe builds no filter bank", () => {
  assertEquals([TSA_DEFAULTS.embedding, TSA_DEFAULTS.bandFilters, TSA_DEFAULTS.bandTaps], ["linear", 8, 32]);
  const cross = runConfig("cross", "/data", { model: "tsa" });
  assertEquals(cross.modelOptions, { dropProb: 0, embedding: "energy", embeddingNorm: "sensorBatch", segLen: 50 });
  const model = buildModel("tsa", { nChans: 248, nTimes: 250 }, 4, cross.modelOptions);
  assertEquals(model.layers.filter((l) => l.name.startsWith("band_")).length, 0);
  // the band options only act with embedding "bandPower": other values of them build the same model
  const other = buildModel("tsa", { nChans: 248, nTimes: 250 }, 4, { ...cross.modelOptions, bandFilters: 2 });
  assertEquals(other.countParams(), model.countParams());
  [model, other].forEach((m) => m.dispose());
});

Deno.test("tsa() embedding bandPower: every sensor through bandFilters FIR filters, log mean power per segment, mixed without bias", () => {
  const model = buildModel("tsa", SIGNAL, 4, OPTIONS);
  const shape = (name: string) => model.getLayer(name).outputShape;
  assertEquals(shape("band_filters"), [null, 40, 6, 3]); // 6 virtual sensors, 3 filters
  assertEquals(shape("band_log_power"), [null, 4, 18]); // 4 segments of 10 samples
  assertEquals(shape("band_sensor_major"), [null, 6, 4, 3]);
  assertEquals(shape("segment_energy"), [null, 6, 4, 8]);
  assertEquals(shape("segment_grid"), [null, 6, 4, 8]);
  assertEquals(model.getLayer("band_filters").getWeights()[0].shape, [5, 1, 1, 3]);
  assertEquals(model.getLayer("segment_energy").getWeights().map((w) => w.shape), [[3, 8]], "no bias");
  assertEquals(model.layers.filter((l) => l.name === "segments" || l.name === "segment_filters").length, 0);
  const x = tf.randomNormal([2, 12, 40], 0, 1, "float32", 7);
  // [batch, 40, 6, 3] -> per sensor and filter, log(1 + mean of squares) over each 10-sample segment
  const filtered = tf.reshape(probe(model, "band_filters", x), [2, 4, 10, 6, 3]);
  const expected = tf.transpose(tf.log1p(tf.mean(tf.square(filtered), 2)), [0, 2, 1, 3]);
  const diff = tf.max(tf.abs(tf.sub(probe(model, "band_sensor_major", x), expected))).dataSync()[0];
  assert(diff < 1e-5, `band tokens differ from the log mean powers by ${diff}`);
  model.dispose();
});

Deno.test("tsa() embedding bandPower turns a gain on the window into an offset of about log g² of every band power", async () => {
  await assertGainIsOffset(OPTIONS, "band_sensor_major");
});

Deno.test("tsa() embedding bandPower saves and reloads, and rejects a non-positive bandFilters or bandTaps", async () => {
  await assertReloads(OPTIONS);
  assertThrows(() => tsa(SIGNAL, 4, { ...OPTIONS, bandFilters: 0 }), RangeError, "bandFilters");
  assertThrows(() => tsa(SIGNAL, 4, { ...OPTIONS, bandTaps: 1.5 }), RangeError, "bandTaps");
});

Deno.test("tsa() embedding logEnergyBands mixes the log energies and the log band powers of every segment side by side", () => {
  const model = buildModel("tsa", SIGNAL, 4, { ...OPTIONS, embedding: "logEnergyBands" });
  const logEnergy = buildModel("tsa", SIGNAL, 4, { ...OPTIONS, embedding: "logEnergy" });
  assertEquals(model.getLayer("segment_log_energy").outputShape, [null, 6, 4, 16]);
  assertEquals(model.getLayer("band_sensor_major").outputShape, [null, 6, 4, 3]);
  assertEquals(model.getLayer("segment_log_bands").outputShape, [null, 6, 4, 19]);
  assertEquals(model.getLayer("segment_energy").getWeights().map((w) => w.shape), [[19, 8]]);
  // the filter bank's taps and 3 more rows of the mix
  assertEquals(model.countParams() - logEnergy.countParams(), 5 * 3 + 3 * 8);
  const x = tf.randomNormal([2, 12, 40], 0, 1, "float32", 10);
  const expected = tf.concat([probe(model, "segment_log_energy", x), probe(model, "band_sensor_major", x)], -1);
  const diff = tf.max(tf.abs(tf.sub(probe(model, "segment_log_bands", x), expected))).dataSync()[0];
  assert(diff < 1e-6, `the side-by-side features differ by ${diff}`);
  [model, logEnergy].forEach((m) => m.dispose());
});
