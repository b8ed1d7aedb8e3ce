import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import "@tensorflow/tfjs-backend-cpu";
import { assert, assertEquals, assertThrows } from "@std/assert";
import { TemporalFilterBank } from "../../../models/layers/temporal_filter_bank.ts";
import { assertConfigRoundTrip } from "./_config.ts";

await tf.setBackend("cpu");

function maxDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

/** The layer and the conv2d it replaces, with the same kernel, on `[batch, nTimes, channels]`. */
function twins(filters: number, kernelSize: number, shape: [number, number, number]) {
  const bank = new TemporalFilterBank({ filters, kernelSize });
  const conv = tfl.layers.conv2d({ filters, kernelSize: [kernelSize, 1], padding: "same", useBias: false });
  const x = tf.randomNormal(shape, 0, 1, "float32", 3);
  bank.apply(x);
  conv.apply(tf.expandDims(x, -1));
  const kernel = tf.randomNormal([kernelSize, 1, 1, filters], 0, 1, "float32", 4);
  bank.setWeights([kernel]);
  conv.setWeights([kernel]);
  return { bank, conv, x };
}

for (const [kernelSize, nTimes] of [[1, 7], [4, 7], [5, 7], [9, 7], [6, 23], [7, 21]]) {
  // blocks of kernelSize output frames: one (9 > 7), several, the last one partial (23 = 3 x 6 + 5)
  Deno.test(`TemporalFilterBank is conv2d([${kernelSize}, 1], same, no bias) on ${nTimes} frames of every channel`, () => {
    const { bank, conv, x } = twins(3, kernelSize, [2, nTimes, 5]);
    const y = bank.apply(x) as tf.Tensor;
    const expected = conv.apply(tf.expandDims(x, -1)) as tf.Tensor;
    assertEquals(y.shape, [2, nTimes, 5, 3]);
    assertEquals(expected.shape, [2, nTimes, 5, 3]);
    assert(maxDiff(y, expected) < 1e-5, `differs by ${maxDiff(y, expected)}`);
  });
}

Deno.test("TemporalFilterBank has conv2d's gradients for the kernel and the input", () => {
  const { bank, conv, x } = twins(2, 6, [3, 10, 4]);
  const weights = tf.randomNormal([3, 10, 4, 2], 0, 1, "float32", 5);
  const loss = (y: tf.Tensor) => tf.sum(tf.mul(tf.tanh(y), weights));
  const [kBank, kConv] = [
    bank.trainableWeights[0].read() as tf.Variable,
    conv.trainableWeights[0].read() as tf.Variable,
  ];
  const gBank = tf.variableGrads(() => loss(bank.apply(x) as tf.Tensor) as tf.Scalar, [kBank]).grads[kBank.name];
  const gConv = tf.variableGrads(() => loss(conv.apply(tf.expandDims(x, -1)) as tf.Tensor) as tf.Scalar, [kConv])
    .grads[kConv.name];
  assertEquals(gBank.shape, [6, 1, 1, 2]);
  assert(maxDiff(gBank, gConv) < 1e-4, `kernel gradient differs by ${maxDiff(gBank, gConv)}`);
  const dxBank = tf.grad((input: tf.Tensor) => loss(bank.apply(input) as tf.Tensor))(x);
  const dxConv = tf.grad((input: tf.Tensor) => loss(conv.apply(tf.expandDims(input, -1)) as tf.Tensor))(x);
  assert(maxDiff(dxBank, dxConv) < 1e-4, `input gradient differs by ${maxDiff(dxBank, dxConv)}`);
});

Deno.test("TemporalFilterBank's kernel is initialised like conv2d's (Glorot over kernelSize x filters fans)", () => {
  const bank = new TemporalFilterBank({ filters: 4, kernelSize: 32 });
  bank.apply(tf.zeros([1, 50, 3]));
  const values = bank.getWeights()[0].dataSync();
  const limit = Math.sqrt(6 / (32 + 32 * 4));
  assert(values.every((v) => Math.abs(v) <= limit));
  assert(Math.max(...values.map(Math.abs)) > 0.8 * limit);
});

Deno.test("TemporalFilterBank rejects bad sizes and inputs, naming them", () => {
  assertThrows(() => new TemporalFilterBank({ filters: 0 }), RangeError, "filters");
  assertThrows(() => new TemporalFilterBank({ kernelSize: 1.5 }), RangeError, "kernelSize");
  assertThrows(() => new TemporalFilterBank().apply(tf.zeros([1, 4, 3, 1])), TypeError, "[batch, nTimes, channels]");
});

Deno.test("TemporalFilterBank's config round-trips", () => {
  assertConfigRoundTrip(TemporalFilterBank, new TemporalFilterBank({ filters: 3, kernelSize: 7, name: "bank" }));
});
