/**
 * Shared checks of tsa's band-power embeddings (`"bandPower"`, `"sensorPower"`) on a small
 * network: the layer probe, the gain-to-offset property and the save/reload round trip.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { assertAlmostEquals } from "@std/assert";
import { tsa, type TsaOptions } from "../../models/tsa.ts";
import { buildModel } from "../../models/registry.ts";
import { withSeededRandom } from "../../core/with_seeded_random.ts";
import { reloadThroughJson } from "./_reload_through_json.ts";

/** 12 sensors, 40 samples: four 10-sample segments. */
export const SMALL_SIGNAL = { nChans: 12, nTimes: 40 };

/** The small network both embedding tests build (add `embedding` and its own options). */
export const SMALL_OPTIONS = {
  sensorProjection: 6,
  segLen: 10,
  dModel: 8,
  keyDim: 4,
  routers: 2,
  embeddingNorm: "sensorBatch",
  bandFilters: 3,
} as const;

/** The output of the layer `name` of `model` for `x`. */
export function probe(model: tfl.LayersModel, name: string, x: tf.Tensor): tf.Tensor {
  const sub = tfl.model({ inputs: model.inputs, outputs: model.getLayer(name).output as tfl.SymbolicTensor });
  return sub.predict(x) as tf.Tensor;
}

/**
 * Asserts that a gain of 3 on a large window moves every output of the layer `name` by about
 * log 9 (a log power `log(1 + p)` of a gained signal is the signal's plus log g² where p >> 1).
 * The network is built under a seed and the window scaled by 1e4, so every power is far above 1
 * (at a scale of 100, 17 of 60 unseeded sensorPower builds had a filter output small enough to miss by
 * more than 0.05).
 */
export async function assertGainIsOffset(options: TsaOptions, name: string): Promise<void> {
  const model = await withSeededRandom(1, () => tsa(SMALL_SIGNAL, 4, options));
  const x = tf.mul(tf.randomNormal([2, 12, 40], 0, 1, "float32", 8), 1e4);
  const powers = (input: tf.Tensor) => probe(model, name, input);
  const offset = tf.sub(powers(tf.mul(x, 3)), powers(x)).dataSync();
  offset.forEach((value) => assertAlmostEquals(value, Math.log(9), 0.05));
  model.dispose();
}

/** Asserts that the registry's tsa with `options` predicts the same after a save/reload through JSON. */
export async function assertReloads(options: TsaOptions): Promise<void> {
  const model = buildModel("tsa", SMALL_SIGNAL, 4, options);
  const x = tf.randomNormal([2, 12, 40], 0, 1, "float32", 9);
  const loaded = await reloadThroughJson(model);
  const [a, b] = [Array.from((model.predict(x) as tf.Tensor).dataSync()), (loaded.predict(x) as tf.Tensor).dataSync()];
  a.forEach((value, i) => assertAlmostEquals(b[i], value, 1e-6));
  [model, loaded].forEach((m) => m.dispose());
}
