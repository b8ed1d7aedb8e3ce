import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { assert, assertEquals, assertThrows } from "@std/assert";
import { cnn, CNN_DEFAULTS } from "../../models/cnn.ts";

await tf.setBackend("cpu");

Deno.test("cnn() has EEGNet-8,2's parameter count at 248 sensors x 250 samples, 4 classes", () => {
  const model = cnn({ nChans: 248, nTimes: 250 }, 4);
  const [f1, d, f2] = [8, 2, 16];
  const expected = 64 * f1 + // temporal conv, no bias
    4 * f1 + // batch norm (gamma, beta, moving mean, moving variance)
    248 * f1 * d + // depthwise spatial conv
    4 * f1 * d +
    16 * f1 * d + f1 * d * f2 + // separable conv: depthwise + pointwise
    4 * f2 +
    (f2 * Math.floor(Math.floor(250 / 4) / 8)) * 4 + 4; // dense on 16 x 7 features
  assertEquals(model.countParams(), expected);
  assertEquals(expected, 5604);
  model.dispose();
});

Deno.test("cnn() follows the documented layout through its blocks", () => {
  const model = cnn({ nChans: 248, nTimes: 250 }, 4);
  const shape = (name: string) => model.getLayer(name).outputShape;
  assertEquals(shape("temporal_spatial"), [null, 1, 250, 16]);
  assertEquals(shape("pool1"), [null, 1, 62, 16]);
  assertEquals(shape("separable_conv"), [null, 1, 62, 16]);
  assertEquals(shape("pool2"), [null, 1, 7, 16]);
  assertEquals(shape("classifier"), [null, 4]);
  model.dispose();
});

Deno.test("cnn({ spatialFirst: false }) builds the textbook first block with the same weights", () => {
  const textbook = cnn({ nChans: 248, nTimes: 250 }, 4, { spatialFirst: false });
  const shape = (name: string) => textbook.getLayer(name).outputShape;
  assertEquals(shape("to_image"), [null, 248, 250, 1]);
  assertEquals(shape("temporal_conv"), [null, 248, 250, 8]);
  assertEquals(shape("spatial_conv"), [null, 1, 250, 16]);
  const fused = cnn({ nChans: 248, nTimes: 250 }, 4);
  assertEquals(textbook.countParams(), fused.countParams());
  assertEquals(textbook.weights.map((w) => w.shape), fused.weights.map((w) => w.shape));
  textbook.dispose();
  fused.dispose();
});

Deno.test("cnn() starts within its max-norm constraints and drops them when set to 0", () => {
  const model = cnn({ nChans: 32, nTimes: 64 }, 4, { denseMaxNorm: 0.1, depthwiseMaxNorm: 0.5 });
  const columnNorms = (w: tf.Tensor) =>
    tf.tidy(() => Array.from(tf.norm(tf.reshape(w, [w.shape[0], -1]), 2, 0).dataSync()));
  const classifier = model.getLayer("classifier").getWeights()[0];
  assert(columnNorms(classifier).every((n) => n <= 0.1 + 1e-6));
  const spatial = model.getLayer("temporal_spatial").getWeights()[3];
  assertEquals(spatial.shape, [32, 1, 8, 2]);
  assert(columnNorms(spatial).every((n) => n <= 0.5 + 1e-6));
  const free = cnn({ nChans: 32, nTimes: 64 }, 4, { denseMaxNorm: 0, depthwiseMaxNorm: 0 });
  assertEquals(free.getLayer("classifier").getConfig().kernelConstraint, null);
  assertEquals(free.getLayer("temporal_spatial").getConfig().spatialMaxNorm, 0);
  const textbook = cnn({ nChans: 32, nTimes: 64 }, 4, { depthwiseMaxNorm: 0, spatialFirst: false });
  assertEquals(textbook.getLayer("spatial_conv").getConfig().depthwiseConstraint, null);
  model.dispose();
  free.dispose();
  textbook.dispose();
});

Deno.test("cnn() applies every option it documents", () => {
  const model = cnn({ nChans: 10, nTimes: 96 }, 3, {
    temporalFilters: 4,
    depthMultiplier: 3,
    separableFilters: 6,
    kernLength: 32,
    separableKernLength: 8,
    pool1Size: 2,
    pool2Size: 4,
    dropProb: 0.5,
    activation: "relu",
    batchNormMomentum: 0.8,
  });
  const block = model.getLayer("temporal_spatial");
  assertEquals(block.getWeights()[0].shape, [1, 32, 1, 4]);
  assertEquals(block.getWeights()[3].shape, [10, 1, 4, 3]);
  assertEquals(model.getLayer("separable_conv").getWeights().map((w) => w.shape), [[1, 8, 12, 1], [1, 1, 12, 6]]);
  assertEquals(model.getLayer("pool2").outputShape, [null, 1, 12, 6]);
  assertEquals(model.getLayer("dropout1").getConfig().rate, 0.5);
  assertEquals(model.getLayer("spatial_activation").getConfig().activation, "relu");
  assertEquals(block.getConfig().momentum, 0.8);
  assertEquals(model.getLayer("separable_bn").getConfig().momentum, 0.8);
  assertEquals(model.outputs[0].shape, [null, 3]);
  model.dispose();
});

Deno.test("cnn() rejects bad signals, outputs and options with errors that name them", () => {
  const signal = { nChans: 8, nTimes: 64 };
  assertThrows(() => cnn(signal, 4, { F1: 8 } as never), TypeError, `unknown option "F1"`);
  assertThrows(() => cnn(signal, 4, { kernLength: "64" } as never), TypeError, "kernLength");
  assertThrows(() => cnn(signal, 4, { temporalFilters: 0 }), RangeError, "temporalFilters");
  assertThrows(() => cnn(signal, 4, { dropProb: 1 }), RangeError, "dropProb");
  assertThrows(() => cnn(signal, 4, { activation: "leaky" as never }), RangeError, "activation");
  assertThrows(() => cnn(signal, 4, { denseMaxNorm: -1 }), RangeError, "denseMaxNorm");
  assertThrows(() => cnn(signal, 1), RangeError, "nOutputs");
  assertThrows(() => cnn({ nChans: 8, nTimes: 31 }, 4), RangeError, "at least pool1Size * pool2Size = 32, got 31");
  assertThrows(() => cnn({ nTimes: 64 } as never, 4), TypeError, "nChans");
  assertThrows(() => cnn({ nChans: 8.5, nTimes: 64 }, 4), RangeError, "nChans");
});

Deno.test("cnn() leaves CNN_DEFAULTS untouched", () => {
  const before = JSON.stringify(CNN_DEFAULTS);
  cnn({ nChans: 8, nTimes: 64 }, 4, { temporalFilters: 2 }).dispose();
  assertEquals(JSON.stringify(CNN_DEFAULTS), before);
  assert(Object.isFrozen(CNN_DEFAULTS));
});
