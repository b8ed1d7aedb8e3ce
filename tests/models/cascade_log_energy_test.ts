import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import "@tensorflow/tfjs-backend-cpu";
import { assert, assertEquals, assertThrows } from "@std/assert";
import { cascade, CASCADE_DEFAULTS } from "../../models/cascade.ts";
import { SMALL_CASCADE } from "./_cascade_small.ts";

await tf.setBackend("cpu");

const SMALL = SMALL_CASCADE;
const SIGNAL = { nChans: 64, nTimes: 20, gridRows: 8, gridCols: 8 };

/** The largest absolute difference between `log(1 + x²)` of layer `from`'s output and layer `to`'s output. */
function logEnergyGap(model: tfl.LayersModel, from: string, to: string, x: tf.Tensor): number {
  const outputs = [model.getLayer(from).output, model.getLayer(to).output] as tfl.SymbolicTensor[];
  const inner = tfl.model({ inputs: model.inputs, outputs });
  const [a, b] = inner.predict(x) as tf.Tensor[];
  const gap = tf.tidy(() => tf.max(tf.abs(tf.sub(tf.log1p(tf.square(a)), b))).dataSync()[0]);
  tf.dispose([a, b]);
  return gap;
}

Deno.test('cascade() with logEnergy "frames" takes log(1 + x²) of stage 1\'s filter outputs, before their BatchNorm', () => {
  const model = cascade(SIGNAL, 4, { ...SMALL, logEnergy: "frames" });
  const plain = cascade(SIGNAL, 4, SMALL);
  const names = model.layers.map((layer) => layer.name);
  const at = names.indexOf("stage_1_log_energy");
  assertEquals(names.slice(at - 1, at + 2), ["stage_1_conv", "stage_1_log_energy", "stage_1_batch_norm"]);
  assertEquals(model.countParams(), plain.countParams(), "no weights of its own");
  const x = tf.randomNormal([2, 20, 8, 8], 0, 1, "float32", 5);
  const gap = logEnergyGap(model, "stage_1_conv", "stage_1_log_energy", x);
  assert(gap < 1e-5, `log energy differs by ${gap}`);
  // the same with the filter bank folded into stage 1
  const banked = cascade(SIGNAL, 4, { ...SMALL, temporalFilters: 2, temporalKernel: 4, logEnergy: "frames" });
  assertEquals(banked.getLayer("stage_1_conv").getClassName(), "FilterBankDense");
  assert(logEnergyGap(banked, "stage_1_conv", "stage_1_log_energy", x) < 1e-5);
  x.dispose();
  [model, plain, banked].forEach((m) => m.dispose());
});

Deno.test('cascade() with logEnergy "bands" computes the band images and takes their log energy before anything else', () => {
  const options = { ...SMALL, temporalFilters: 3, temporalKernel: 4, logEnergy: "bands" as const };
  const model = cascade(SIGNAL, 4, options);
  const names = model.layers.map((layer) => layer.name);
  const at = names.indexOf("temporal_log_energy");
  assertEquals(names.slice(at - 1, at + 2), ["temporal_conv", "temporal_log_energy", "band_frames"]);
  assertEquals(model.getLayer("band_stacks").outputShape, [null, 8, 8, 15]);
  assertEquals(model.getLayer("stage_1_conv").getClassName(), "Dense");
  assertThrows(() => model.getLayer("temporal_batch_norm"));
  const x = tf.randomNormal([2, 20, 8, 8], 0, 1, "float32", 6);
  assert(logEnergyGap(model, "temporal_conv", "temporal_log_energy", x) < 1e-5);
  // with temporalNorm, the BatchNorm comes after the log energy
  const normed = cascade(SIGNAL, 4, { ...options, temporalNorm: true });
  const normedNames = normed.layers.map((layer) => layer.name);
  const norm = normedNames.indexOf("temporal_batch_norm");
  assertEquals(normedNames[norm - 1], "temporal_log_energy");
  // the model trains: the temporal taps get a gradient through the log energy
  const taps = model.getLayer("temporal_conv").trainableWeights[0].read() as tf.Variable;
  const { grads } = tf.variableGrads(() => tf.sum(tf.square(model.apply(x, { training: true }) as tf.Tensor)), [taps]);
  assert(tf.max(tf.abs(grads[taps.name])).dataSync()[0] > 0, "the temporal taps get a gradient");
  tf.dispose([x, grads[taps.name]]);
  [model, normed].forEach((m) => m.dispose());
});

Deno.test("cascade() rejects an unknown logEnergy and bands without a filter bank; the default is none", () => {
  assertEquals(CASCADE_DEFAULTS.logEnergy, "none");
  assertThrows(() => cascade(SIGNAL, 4, { ...SMALL, logEnergy: "cells" as never }), RangeError, "logEnergy");
  assertThrows(() => cascade(SIGNAL, 4, { ...SMALL, logEnergy: "bands" }), RangeError, "temporalFilters");
  const model = cascade(SIGNAL, 4, SMALL);
  assertEquals(model.layers.some((layer) => layer.getClassName() === "LogEnergy"), false);
  model.dispose();
});
