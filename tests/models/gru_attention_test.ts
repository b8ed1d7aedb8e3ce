import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { gruAttention } from "../../models/gru_attention.ts";

await tf.setBackend("cpu");

Deno.test("gruAttention() has the expected parameter count at 248 sensors x 250 samples", () => {
  const model = gruAttention({ nChans: 248, nTimes: 250 }, 4);
  const [p, u, a] = [64, 64, 64];
  const expected = (248 * p + p) + // sensor projection
    3 * (p * u + u * u + u) + // GRU: kernel, recurrent kernel, bias
    (u * a + a + a) + // attention pooling: W, b, v
    (u * 4 + 4); // classifier
  assertEquals(model.countParams(), expected);
  model.dispose();
});

Deno.test("gruAttention() follows the documented layout", () => {
  const model = gruAttention({ nChans: 248, nTimes: 250 }, 4);
  const shape = (name: string) => model.getLayer(name).outputShape;
  assertEquals(shape("time_major"), [null, 250, 248]);
  assertEquals(shape("time_pool"), [null, 125, 248]);
  assertEquals(shape("sensor_projection"), [null, 125, 64]);
  assertEquals(shape("gru"), [null, 125, 64]);
  assertEquals(shape("attention_pooling"), [null, 64]);
  assertEquals(shape("classifier"), [null, 4]);
  model.dispose();
});

Deno.test("gruAttention() feeds the sensors to the GRU directly when projection and pooling are off", () => {
  const model = gruAttention({ nChans: 12, nTimes: 30 }, 4, { projectionUnits: 0, poolSize: 1, units: 5 });
  const names = model.layers.map((layer) => layer.name);
  assertEquals(names.includes("sensor_projection"), false);
  assertEquals(names.includes("time_pool"), false);
  assertEquals(model.getLayer("gru").getWeights()[0].shape, [12, 15]);
  assertEquals(model.getLayer("gru").outputShape, [null, 30, 5]);
  model.dispose();
});

Deno.test("gruAttention() starts from an orthogonal recurrent kernel", () => {
  const model = gruAttention({ nChans: 6, nTimes: 8 }, 4, { units: 10 });
  const recurrent = model.getLayer("gru").getWeights()[1]; // [units, 3 * units]
  assertEquals(recurrent.shape, [10, 30]);
  const gram = tf.matMul(recurrent, recurrent, false, true).arraySync() as number[][];
  gram.forEach((row, i) => row.forEach((v, j) => assertAlmostEquals(v, i === j ? 1 : 0, 1e-5)));
  model.dispose();
});

Deno.test("gruAttention() rejects bad options with errors that name them", () => {
  const signal = { nChans: 8, nTimes: 16 };
  assertThrows(() => gruAttention(signal, 4, { poolSize: 32 }), RangeError, "poolSize = 32, got 16");
  assertThrows(() => gruAttention(signal, 4, { projectionUnits: -1 }), RangeError, "projectionUnits");
  assertThrows(() => gruAttention(signal, 4, { units: 0 }), RangeError, "units");
  assertThrows(() => gruAttention(signal, 4, { hidden: 3 } as never), TypeError, `unknown option "hidden"`);
  assertThrows(() => gruAttention(signal, 4, { activation: "tan" as never }), RangeError, "activation");
  assertThrows(() => gruAttention(signal, 4, { projectionDropout: 1 }), RangeError, "projectionDropout");
  const bare = { projectionUnits: 0, projectionNorm: true };
  assertThrows(() => gruAttention(signal, 4, bare), RangeError, "need projectionUnits > 0");
});

Deno.test("gruAttention() runs the fused GRU by default, tfjs's GRU with fused: false or an unfused activation", () => {
  const signal = { nChans: 6, nTimes: 8 };
  const className = (options: object) => {
    const model = gruAttention(signal, 4, { units: 3, ...options });
    const name = model.getLayer("gru").getClassName();
    model.dispose();
    return name;
  };
  assertEquals(className({}), "FusedGru");
  assertEquals(className({ fused: false }), "GRU");
  assertEquals(className({ activation: "gelu" }), "GRU");
});

Deno.test("gruAttention() fused and tfjs GRU models compute the same function with the same weights", () => {
  const signal = { nChans: 6, nTimes: 8 };
  const fused = gruAttention(signal, 4, { units: 5, projectionUnits: 4 });
  const stock = gruAttention(signal, 4, { units: 5, projectionUnits: 4, fused: false });
  stock.setWeights(fused.getWeights());
  const x = tf.randomNormal([3, 6, 8], 0, 1, "float32", 5);
  const [a, b] = [fused.predict(x) as tf.Tensor, stock.predict(x) as tf.Tensor];
  const diff = tf.max(tf.abs(tf.sub(a, b))).dataSync()[0];
  assertEquals(diff < 1e-5, true, `max difference ${diff}`);
  tf.dispose([fused, stock, x, a, b] as never);
});

Deno.test("gruAttention() with projectionNorm and projectionDropout adds BatchNorm and dropout after the projection", () => {
  const model = gruAttention({ nChans: 12, nTimes: 20 }, 4, {
    units: 4,
    projectionUnits: 6,
    projectionNorm: true,
    projectionDropout: 0.2,
  });
  const names = model.layers.map((layer) => layer.name);
  const at = names.indexOf("sensor_projection");
  assertEquals(names.slice(at, at + 4), ["sensor_projection", "projection_norm", "projection_dropout", "gru"]);
  assertEquals(model.getLayer("projection_norm").getClassName(), "BatchNormalization");
  assertEquals(model.getLayer("projection_dropout").getConfig().rate, 0.2);
  assertEquals(model.getLayer("projection_norm").getWeights()[0].shape, [6]);
  model.dispose();
});

Deno.test("gruAttention() with stem temporalSpatial runs the GRU over EEGNet's pooled band features", () => {
  const model = gruAttention({ nChans: 248, nTimes: 250 }, 4, { stem: "temporalSpatial", projectionUnits: 0 });
  const shape = (name: string) => model.getLayer(name).outputShape;
  assertEquals(model.getLayer("stem_temporal_spatial").getClassName(), "TemporalSpatialBlock");
  assertEquals(shape("stem_temporal_spatial"), [null, 1, 250, 16]); // 8 temporal x 2 spatial filters
  assertEquals(model.getLayer("stem_bn").getClassName(), "BatchNormalization");
  assertEquals(shape("stem_pool"), [null, 1, 50, 16]); // stemPool 5
  assertEquals(shape("stem_steps"), [null, 50, 16]);
  assertEquals(shape("time_pool"), [null, 25, 16]); // poolSize 2 on top
  assertEquals(model.getLayer("gru").getWeights()[0].shape, [16, 3 * 64]);
  assertEquals(shape("classifier"), [null, 4]);
  assertEquals(model.layers.some((layer) => layer.name === "time_major"), false);
  model.dispose();
});

Deno.test("gruAttention() rejects bad stem options with errors that name them", () => {
  const signal = { nChans: 8, nTimes: 20 };
  assertThrows(() => gruAttention(signal, 4, { stem: "eegnet" as never }), RangeError, `stem must be "none" or`);
  assertThrows(() => gruAttention(signal, 4, { stem: "temporalSpatial", stemPool: 0 }), RangeError, "stemPool");
  assertThrows(() => gruAttention(signal, 4, { stem: "temporalSpatial", stemDropout: 1 }), RangeError, "stemDropout");
  assertThrows(
    () => gruAttention(signal, 4, { stem: "temporalSpatial", stemPool: 5, poolSize: 8 }),
    RangeError,
    "nTimes / stemPool (20 / 5) must be at least poolSize = 8, got 4",
  );
});
