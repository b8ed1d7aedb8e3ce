import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { batchSaliency, type ClassScore, classScore, SaliencyAccumulator } from "../../evaluation/saliency.ts";
import { buildModel } from "../../models/registry.ts";
import { bandSpectrum } from "../../evaluation/band_spectrum.ts";

await tf.setBackend("cpu");

/** Class k's score: sum over sensors and samples of x^2 times (k + 1). */
const SQUARES: ClassScore = {
  kind: "logit",
  apply: (x) => tf.mul(tf.reshape(tf.sum(tf.square(x), [1, 2]), [-1, 1]), [[1, 2]]) as tf.Tensor2D,
};

Deno.test("classScore() gives the logits under the softmax of a registered model", () => {
  for (const name of ["cnn", "spectral"]) {
    const signal = name === "cnn" ? { nChans: 6, nTimes: 64 } : { nChans: 6, nTimes: 5 };
    const model = buildModel(name, signal, 4, name === "cnn" ? { kernLength: 16 } : {});
    const score = classScore(model);
    assertEquals(score.kind, "logit");
    const x = tf.randomNormal([3, signal.nChans, signal.nTimes], 0, 1, "float32", 5);
    const p = (model.predict(x) as tf.Tensor).arraySync() as number[][];
    const z = score.apply(x).arraySync();
    for (let i = 0; i < 3; i++) {
      for (let k = 1; k < 4; k++) assertAlmostEquals(Math.log(p[i][k] / p[i][0]), z[i][k] - z[i][0], 1e-4);
    }
    model.dispose();
  }
});

Deno.test("batchSaliency() follows the Riemann sum of integrated gradients and gradient x input", () => {
  // F = (k + 1) sum x^2: grad = 2 (k + 1) x; right sums over m steps: IG = (k + 1) x^2 (1 + 1/m).
  const xs = tf.tensor3d([[[1, -2], [0.5, 0]], [[3, 0], [0, -1]]]);
  const out = batchSaliency(SQUARES, xs, Int32Array.of(0, 1), { steps: 4 });
  assertEquals(out.integratedGradients.length, 4);
  const expected = [5 * 1.25, 0.25 * 1.25, 2 * 9 * 1.25, 2 * 1 * 1.25];
  expected.forEach((v, i) => assertAlmostEquals(out.integratedGradients[i], v, 1e-5));
  [2 * 5, 2 * 0.25, 4 * 9, 4 * 1].forEach((v, i) => assertAlmostEquals(out.gradientTimesInput[i], v, 1e-5));
  // per sample, summed over sensors: window 0 has x^2 = [1 + 0.25, 4 + 0], window 1 [9 + 0, 0 + 1], times 2 for class 1
  [1.25 * 1.25, 4 * 1.25, 2 * 9 * 1.25, 2 * 1 * 1.25].forEach((v, i) =>
    assertAlmostEquals(out.integratedGradientsByLast[i], v, 1e-5)
  );
});

Deno.test("batchSaliency() attributes the difference from the baseline", () => {
  const xs = tf.tensor3d([[[1, 1], [2, 2]]]);
  const out = batchSaliency(SQUARES, xs, Int32Array.of(0), { steps: 1, baseline: tf.tensor2d([[1, 1], [0, 0]]) });
  assertAlmostEquals(out.integratedGradients[0], 0, 1e-6); // sensor 0 is at its baseline
  assertAlmostEquals(out.integratedGradients[1], 2 * 2 * 4 * 1, 1e-5);
});

Deno.test("batchSaliency() rejects bad batches, labels and steps", () => {
  const xs = tf.zeros([2, 3, 4]);
  assertThrows(() => batchSaliency(SQUARES, xs, Int32Array.of(0)), RangeError, "one label per window");
  assertThrows(() => batchSaliency(SQUARES, tf.zeros([2, 3]), Int32Array.of(0, 1)), RangeError, "got shape [2,3]");
  assertThrows(() => batchSaliency(SQUARES, xs, Int32Array.of(0, 1), { steps: 0 }), RangeError, "got 0");
});

Deno.test("batchSaliency() leaves no tensors behind", () => {
  const xs = tf.randomNormal([2, 3, 4]);
  const before = tf.memory().numTensors;
  batchSaliency(SQUARES, xs, Int32Array.of(0, 1), { steps: 3 });
  assertEquals(tf.memory().numTensors, before);
});

Deno.test("SaliencyAccumulator averages each class's windows and gives zeros to a class without any", () => {
  const acc = new SaliencyAccumulator(3, 2);
  acc.add(Float32Array.of(1, 2, 3, 4), Int32Array.of(2, 2));
  acc.add(Float32Array.of(5, 7), Int32Array.of(0));
  assertEquals([acc.mean(0), acc.mean(1), acc.mean(2)], [[5, 7], [0, 0], [2, 3]]);
  assertEquals(Array.from(acc.counts), [1, 0, 2]);
});

Deno.test("batchSaliency() splits attributions by band: a band the score ignores gets nothing, whatever its power", () => {
  // class 0 scores the inner product with a 10 Hz template on sensor 0; sensor 1 carries 10 and 20 Hz too.
  const n = 250, sfreq = 125;
  const wave = (hz: number) => Array.from({ length: n }, (_, t) => Math.sin(2 * Math.PI * hz * t / sfreq));
  const template = tf.tensor2d([wave(10), new Array(n).fill(0)]);
  const score: ClassScore = {
    kind: "logit",
    apply: (x) => tf.stack([tf.sum(tf.mul(x, template), [1, 2]), tf.sum(x, [1, 2])], 1) as tf.Tensor2D,
  };
  const signal = wave(10).map((v, t) => v + 3 * wave(20)[t]);
  const xs = tf.tensor3d([[signal, signal]]);
  const spectrum = bandSpectrum(n, sfreq);
  const out = batchSaliency(score, xs, Int32Array.of(0), { steps: 4, bands: spectrum });
  const nBands = spectrum.names.length;
  const at = (c: number, band: string) => out.integratedGradientsByBand![c * nBands + spectrum.names.indexOf(band)];
  assertAlmostEquals(at(0, "alpha"), 125, 0.05); // sum_t sin^2(10 Hz)
  assertAlmostEquals(at(0, "beta"), 0, 1e-3); // 3x the power at 20 Hz, but orthogonal to the gradient
  for (const band of spectrum.names) assertAlmostEquals(at(1, band), 0, 1e-3); // sensor 1 does not move class 0
  assertAlmostEquals(out.gradientTimesInputByBand![spectrum.names.indexOf("alpha")], 125, 0.05); // linear: GxI = IG
  const lastAxis = batchSaliency(SQUARES, tf.tensor3d([[[1, -2], [0.5, 0]]]), Int32Array.of(0), {
    steps: 4,
    bands: "last-axis",
  });
  [1.25, 4 * 1.25, 0.25 * 1.25, 0].forEach((v, i) =>
    assertAlmostEquals(lastAxis.integratedGradientsByBand![i], v, 1e-5)
  );
});
