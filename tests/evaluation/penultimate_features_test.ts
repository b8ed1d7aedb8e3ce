import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import * as tfl from "@tensorflow/tfjs-layers";
import { assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { penultimateFeatures } from "../../evaluation/penultimate_features.ts";
import { buildModel } from "../../models/registry.ts";

await tf.setBackend("cpu");

Deno.test("penultimateFeatures() gives the input of the softmax layer: the model's output is softmax(features W + b)", () => {
  for (const name of ["cnn", "spectral"]) {
    const signal = name === "cnn" ? { nChans: 6, nTimes: 64 } : { nChans: 6, nTimes: 5 };
    const model = buildModel(name, signal, 4, name === "cnn" ? { kernLength: 16 } : {});
    const { apply, size } = penultimateFeatures(model);
    const x = tf.randomNormal([3, signal.nChans, signal.nTimes], 0, 1, "float32", 5);
    const features = apply(x);
    assertEquals(features.shape, [3, size]);
    const [kernel, bias] = model.layers.at(-1)!.getWeights();
    const p = (model.predict(x) as tf.Tensor).dataSync();
    const q = tf.softmax(tf.add(tf.matMul(features, kernel as tf.Tensor2D), bias)).dataSync();
    p.forEach((v, i) => assertAlmostEquals(q[i], v, 1e-5));
    model.dispose();
  }
});

Deno.test("penultimateFeatures() refuses a model whose last layer takes the input directly", () => {
  const model = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [3], units: 2, activation: "softmax" })] });
  assertThrows(() => penultimateFeatures(model), RangeError, "takes the model's input directly");
});
