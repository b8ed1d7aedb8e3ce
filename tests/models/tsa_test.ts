import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import "@tensorflow/tfjs-backend-cpu";
import { assert, assertEquals, assertThrows } from "@std/assert";
import { tsa, TSA_DEFAULTS } from "../../models/tsa.ts";
import type { RouterAttention } from "../../models/layers/router_attention.ts";

await tf.setBackend("cpu");

Deno.test("tsa() follows the documented layout for 248 sensors, 2 s at 125 Hz", () => {
  const model = tsa({ nChans: 248, nTimes: 250 }, 4, { sensorProjection: 0, depth: 2, headPool: "all" });
  const shape = (name: string) => model.getLayer(name).outputShape;
  const d = TSA_DEFAULTS.dModel;
  assertEquals(model.inputs[0].shape, [null, 248, 250]);
  assertEquals(shape("segment_embedding"), [null, 248, 10, d]); // 25-sample segments
  assertEquals(shape("embedding_mlp_residual"), [null, 248, 10, d]);
  assertEquals(shape("tsa_0_time_attention"), [null, 248, 10, d]);
  assertEquals(shape("tsa_0_sensor_attention"), [null, 248, 10, d]);
  assertEquals(shape("merge_1"), [null, 248, 5, 2 * d]); // adjacent segments concatenated
  assertEquals(shape("merge_1_projection"), [null, 248, 5, d]);
  assertEquals(shape("tsa_1_sensor_mlp_residual"), [null, 248, 5, d]);
  assertEquals(shape("token_mean"), [null, d]);
  assertEquals(shape("classifier"), [null, 4]);
  model.dispose();
});

Deno.test("tsa() with a sensor projection attends across that many virtual sensors, and its head keeps them apart", () => {
  const model = tsa({ nChans: 248, nTimes: 250 }, 4, { sensorProjection: 16 });
  const d = TSA_DEFAULTS.dModel;
  assertEquals(model.getLayer("sensor_projection").outputShape, [null, 250, 16]);
  assertEquals(model.getLayer("segment_embedding").outputShape, [null, 16, 10, d]);
  assertEquals(model.getLayer("segment_mean").outputShape, [null, 16, 1, d]); // [batch, nChans, 1, dModel] // headPool "segments"
  assertEquals(model.getLayer("sensor_features").outputShape, [null, 16 * d]);
  model.dispose();
});

Deno.test("tsa() without embedMlp embeds linearly, as Crossformer", () => {
  const options = { segLen: 5, dModel: 8, keyDim: 4 };
  const [plain, mlp] = [false, true].map((embedMlp) => tsa({ nChans: 6, nTimes: 20 }, 4, { ...options, embedMlp }));
  assertEquals(plain.layers.filter((layer) => layer.name.startsWith("embedding_mlp")).length, 0);
  assertEquals(mlp.countParams() - plain.countParams(), 8 * 16 + 16 + 16 * 8 + 8); // two dense layers
  plain.dispose();
  mlp.dispose();
});

Deno.test("tsa() has one two-stage layer per depth, merging before all but the first", () => {
  const options = { sensorProjection: 0, segLen: 5, dModel: 8, keyDim: 4 };
  const model = tsa({ nChans: 6, nTimes: 40 }, 3, { ...options, depth: 3, mergeWindow: 2 });
  const names = model.layers.map((layer) => layer.name);
  assertEquals(names.filter((n) => n.endsWith("_time_attention")).length, 3);
  assertEquals(names.filter((n) => n.endsWith("_sensor_attention")).length, 3);
  assertEquals(names.filter((n) => /^merge_\d+$/.test(n)), ["merge_1", "merge_2"]);
  assertEquals(model.getLayer("tsa_2_time_attention").outputShape, [null, 6, 2, 8]); // 8 -> 4 -> 2 segments
  const flat = tsa({ nChans: 6, nTimes: 40 }, 3, { ...options, depth: 2, mergeWindow: 1 });
  assertEquals(flat.layers.filter((layer) => layer.name.startsWith("merge_")).length, 0);
  assertEquals(flat.getLayer("tsa_1_time_attention").outputShape, [null, 6, 8, 8]);
  model.dispose();
  flat.dispose();
});

Deno.test("tsa()'s router stage holds routers per segment and mixes the sensors of the model", () => {
  const model = tsa({ nChans: 7, nTimes: 30 }, 4, {
    sensorProjection: 0,
    segLen: 10,
    dModel: 8,
    keyDim: 4,
    routers: 3,
    depth: 1,
  });
  const router = model.getLayer("tsa_0_sensor_attention") as RouterAttention;
  assertEquals(router.getWeights()[0].shape, [3, 3, 8]); // [nSegs, routers, dModel]
  // before the router stage each sensor's tokens depend on that sensor alone (embedding, cross-time
  // attention and MLP work per sensor), so sensors 1-6 can only move through the routers
  const x = tf.randomNormal([1, 7, 30], 0, 1, "float32", 4);
  const bump = tf.buffer([1, 7, 30]);
  for (let t = 0; t < 30; t++) bump.set(2, 0, 0, t);
  const probe = tfl.model({ inputs: model.inputs, outputs: router.output as tfl.SymbolicTensor });
  const [a, b] = [probe.predict(x) as tf.Tensor, probe.predict(tf.add(x, bump.toTensor())) as tf.Tensor];
  const moved = tf.max(tf.abs(tf.sub(tf.slice(a, [0, 1], [1, 6]), tf.slice(b, [0, 1], [1, 6])))).dataSync()[0];
  assert(moved > 1e-4, "sensors 1-6 after the router stage did not change with sensor 0");
  model.dispose();
});

Deno.test("tsa() rejects unknown options, a segLen that does not divide nTimes and out-of-range sizes", () => {
  const signal = { nChans: 248, nTimes: 250 };
  assertThrows(() => tsa(signal, 4, { patchLen: 25 } as never), TypeError, 'unknown option "patchLen"');
  assertThrows(() => tsa(signal, 4, { segLen: 30 }), RangeError, "nTimes 250 is not a multiple of segLen 30");
  assertThrows(() => tsa(signal, 4, { routers: 0 }), RangeError, "routers");
  assertThrows(() => tsa(signal, 4, { depth: 0 }), RangeError, "depth");
  assertThrows(() => tsa(signal, 4, { mergeWindow: 0 }), RangeError, "mergeWindow");
  assertThrows(() => tsa(signal, 4, { sensorProjection: -1 }), RangeError, "sensorProjection");
  assertThrows(() => tsa(signal, 4, { dModel: "64" } as never), TypeError, '"dModel" must be a number');
  assertThrows(() => tsa(signal, 4, { dropProb: 1 }), RangeError, "dropProb");
  assertThrows(() => tsa(signal, 4, { activation: "gelu2" as never }), RangeError, "activation");
  assertThrows(() => tsa(signal, 4, { headPool: "max" as never }), RangeError, "headPool");
  assertThrows(() => tsa(signal, 4, { embedMlp: 1 } as never), TypeError, '"embedMlp" must be a boolean');
  assertThrows(() => tsa(signal, 1), RangeError, "nOutputs");
  assertThrows(() => tsa({ nTimes: 250 } as never, 4), TypeError, "nChans");
});

Deno.test("tsa() leaves TSA_DEFAULTS untouched and TSA_DEFAULTS is frozen", () => {
  const before = JSON.stringify(TSA_DEFAULTS);
  tsa({ nChans: 4, nTimes: 20 }, 2, { segLen: 10, dModel: 4, keyDim: 2 }).dispose();
  assertEquals(JSON.stringify(TSA_DEFAULTS), before);
  assert(Object.isFrozen(TSA_DEFAULTS));
});

Deno.test("tsa() with stem temporalSpatial attends across EEGNet's band-spatial series, segLen counting pooled steps", () => {
  const options = { stem: "temporalSpatial", sensorProjection: 0, segLen: 5 } as const;
  const model = tsa({ nChans: 248, nTimes: 250 }, 4, options);
  const shape = (name: string) => model.getLayer(name).outputShape;
  const d = TSA_DEFAULTS.dModel;
  assertEquals(model.getLayer("stem_temporal_spatial").getClassName(), "TemporalSpatialBlock");
  assertEquals(shape("stem_steps"), [null, 50, 16]); // stemPool 5, 8 x 2 filters
  assertEquals(shape("sensor_major"), [null, 16, 50]);
  assertEquals(shape("segment_embedding"), [null, 16, 10, d]);
  assertEquals(shape("classifier"), [null, 4]);
  const projected = tsa({ nChans: 248, nTimes: 250 }, 4, { ...options, sensorProjection: 6 });
  assertEquals(projected.getLayer("sensor_projection").outputShape, [null, 50, 6]);
  assertEquals(projected.getLayer("segment_embedding").outputShape, [null, 6, 10, d]);
  model.dispose();
  projected.dispose();
});

Deno.test("tsa() rejects a stem whose pooled steps segLen does not divide, naming both", () => {
  assertThrows(
    () => tsa({ nChans: 8, nTimes: 250 }, 4, { stem: "temporalSpatial", stemPool: 4 }),
    RangeError,
    "nTimes / stemPool (250 / 4 = 62) is not a multiple of segLen 25",
  );
  assertThrows(() => tsa({ nChans: 8, nTimes: 250 }, 4, { stem: "none", stemFilters: 0 }), RangeError, "stemFilters");
});
