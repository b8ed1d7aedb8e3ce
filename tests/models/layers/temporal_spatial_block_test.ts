import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import "@tensorflow/tfjs-backend-cpu";
import { assert, assertEquals, assertThrows } from "@std/assert";
import { paddedMoments, TemporalSpatialBlock } from "../../../models/layers/temporal_spatial_block.ts";
import { assertConfigRoundTrip } from "./_config.ts";

await tf.setBackend("cpu");

interface Case {
  nChans: number;
  nTimes: number;
  kernLength: number;
  filters: number;
  depthMultiplier: number;
  batch: number;
}

/** The textbook layers the block replaces, on the same input layout. */
function textbook(c: Case, momentum = 0.9): tfl.LayersModel {
  const input = tfl.input({ shape: [c.nChans, c.nTimes] });
  let x = tfl.layers.reshape({ targetShape: [c.nChans, c.nTimes, 1] }).apply(input) as tfl.SymbolicTensor;
  x = tfl.layers.conv2d({ filters: c.filters, kernelSize: [1, c.kernLength], padding: "same", useBias: false })
    .apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.batchNormalization({ axis: -1, momentum }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.depthwiseConv2d({
    kernelSize: [c.nChans, 1],
    depthMultiplier: c.depthMultiplier,
    useBias: false,
    padding: "valid",
  }).apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: x });
}

function fused(c: Case, momentum = 0.9): tfl.LayersModel {
  const input = tfl.input({ shape: [c.nChans, c.nTimes] });
  const block = new TemporalSpatialBlock({
    filters: c.filters,
    kernLength: c.kernLength,
    depthMultiplier: c.depthMultiplier,
    momentum,
    spatialMaxNorm: 0,
  });
  return tfl.model({ inputs: input, outputs: block.apply(input) as tfl.SymbolicTensor });
}

/** Copies the textbook weights (kernel, gamma, beta, spatial kernel, moving mean, moving variance). */
function copyWeights(from: tfl.LayersModel, to: tfl.LayersModel): void {
  const byName = new Map(from.weights.map((w, i) => [w.originalName.split("/").pop()!, from.getWeights()[i]]));
  const rename: Record<string, string> = {
    temporal_kernel: "kernel",
    spatial_kernel: "depthwise_kernel",
  };
  to.setWeights(to.weights.map((w) => {
    const name = w.originalName.split("/").pop()!;
    return byName.get(rename[name] ?? name)!;
  }));
}

/** max |a| of a tensor. */
function scaleOf(a: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(a)).dataSync()[0]);
}

/**
 * max |a - b| / max(max |a|, floor) of one pair of tensors: its own scale, not one pooled with
 * others, unless that is below `floor`.
 */
function relativeError(a: tf.Tensor, b: tf.Tensor, floor = 0): number {
  return tf.tidy(() => {
    assertEquals(a.shape, b.shape);
    const scale = Math.max(scaleOf(a), floor);
    assert(scale > 0, "a reference tensor of zeros cannot bound a relative error");
    return tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] / scale;
  });
}

/** The short name of a weight (`conv2d_1/kernel` -> `kernel`), under the textbook's names. */
function textbookName(name: string): string {
  const short = name.split("/").pop()!.replace(/_\d+$/, "");
  return ({ temporal_kernel: "kernel", spatial_kernel: "depthwise_kernel" } as Record<string, string>)[short] ?? short;
}

/**
 * Asserts each gradient of `b` within `tolerance` of `a`'s gradient of the same weight, relative to
 * its own scale. One floor: a gradient that is zero in exact arithmetic is float noise, and its
 * "own scale" bounds nothing. The temporal kernel's is, for kernels of length 1: BatchNorm follows
 * it, so the output does not change when that one weight per filter is scaled. Such a gradient is
 * bounded against a thousandth of the largest gradient instead.
 */
function assertEachGradientClose(a: tf.NamedTensorMap, b: tf.NamedTensorMap, tolerance: number): void {
  const byName = (grads: tf.NamedTensorMap) => new Map(Object.entries(grads).map(([k, t]) => [textbookName(k), t]));
  const [ga, gb] = [byName(a), byName(b)];
  assertEquals([...gb.keys()].sort(), ["beta", "depthwise_kernel", "gamma", "kernel"]);
  assertEquals([...ga.keys()].sort(), [...gb.keys()].sort());
  const floor = 1e-3 * Math.max(...[...ga.values()].map(scaleOf));
  for (const [name, reference] of ga) {
    const error = relativeError(reference, gb.get(name)!, floor);
    assert(error < tolerance, `gradient of ${name} differs by ${error.toExponential(2)} of its own scale`);
  }
}

// Odd and even kernels (tfjs pads an even kernel unevenly), multipliers 1-3, kernels longer
// than the window, a batch of 1.
const CASES: Case[] = [
  { nChans: 7, nTimes: 23, kernLength: 8, filters: 3, depthMultiplier: 2, batch: 4 },
  { nChans: 5, nTimes: 17, kernLength: 5, filters: 2, depthMultiplier: 1, batch: 3 },
  { nChans: 9, nTimes: 12, kernLength: 16, filters: 4, depthMultiplier: 3, batch: 2 },
  { nChans: 6, nTimes: 31, kernLength: 1, filters: 2, depthMultiplier: 2, batch: 1 },
];

for (const c of CASES) {
  const label = `C${c.nChans} T${c.nTimes} K${c.kernLength} F1 ${c.filters} D${c.depthMultiplier} B${c.batch}`;
  Deno.test(`TemporalSpatialBlock equals conv2d -> batchNorm -> depthwiseConv2d: outputs, gradients, moving statistics (${label})`, () => {
    const reference = textbook(c);
    const block = fused(c);
    // Non-trivial BatchNorm parameters and moving statistics.
    // Seeded, kernels included (their initialisers draw from Math.random, which would make the test vary).
    reference.setWeights(
      reference.getWeights().map((w, i) =>
        i === 0 || i === 3
          ? tf.randomUniform(w.shape, -0.5, 0.5, "float32", 20 + i)
          : tf.add(tf.mul(tf.randomUniform(w.shape, 0, 1, "float32", 10 + i), 0.5), 0.5)
      ),
    );
    copyWeights(reference, block);
    // An offset and uneven scales, so mean and variance both matter.
    const x = tf.tidy(() =>
      tf.add(tf.mul(tf.randomNormal([c.batch, c.nChans, c.nTimes], 0, 1, "float32", 3), 1.7), 0.4)
    ) as tf.Tensor3D;
    assert(relativeError(reference.predict(x) as tf.Tensor, block.predict(x) as tf.Tensor) < 1e-5, "inference");

    const target = tf.randomNormal([c.batch, 1, c.nTimes, c.filters * c.depthMultiplier], 0, 1, "float32", 4);
    const gradients = (model: tfl.LayersModel) =>
      tf.variableGrads(
        () => tf.sum(tf.mul(model.apply(x, { training: true }) as tf.Tensor, target)) as tf.Scalar,
        model.trainableWeights.map((w) => w.read() as tf.Variable),
      );
    const a = gradients(reference);
    const b = gradients(block);
    assert(Math.abs(a.value.dataSync()[0] - b.value.dataSync()[0]) < 1e-4 * Math.abs(a.value.dataSync()[0]) + 1e-5);
    assertEachGradientClose(a.grads, b.grads, 1e-4);
    // The training pass updated the moving statistics alike.
    const moving = (m: tfl.LayersModel) => m.getWeights().slice(-2);
    moving(reference).forEach((statistic, i) =>
      assert(relativeError(statistic, moving(block)[i]) < 1e-5, `moving ${["mean", "variance"][i]}`)
    );
    tf.dispose([x, target, a.value, b.value, ...Object.values(a.grads), ...Object.values(b.grads)]);
    reference.dispose();
    block.dispose();
  });
}

Deno.test("paddedMoments gives the mean and mean product of the zero-padded shifts", () => {
  const values = [[[1, 2, 3, 4]], [[0, -1, 5, 2]]];
  const x = tf.tensor3d(values);
  const k = 3; // pads 1 before, 1 after
  const { shifted, products } = paddedMoments(x, k);
  const padded = values.map(([row]) => [0, ...row, 0]);
  const count = 2 * 1 * 4;
  const expectedShift = [0, 1, 2].map((i) =>
    padded.reduce((s, p) => s + p.slice(i, i + 4).reduce((a, b) => a + b), 0) / count
  );
  assertEquals(
    Array.from(shifted.dataSync()).map((v) => Math.round(v * 1e6) / 1e6),
    expectedShift.map((v) => Math.round(v * 1e6) / 1e6),
  );
  const got = products.arraySync();
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      let sum = 0;
      for (const p of padded) for (let t = 0; t < 4; t++) sum += p[t + i] * p[t + j];
      assert(Math.abs(got[i][j] - sum / count) < 1e-6, `products[${i}][${j}]`);
    }
  }
  tf.dispose([x, shifted, products]);
});

Deno.test("TemporalSpatialBlock keeps its spatial filters within the max norm and serialises", () => {
  const block = new TemporalSpatialBlock({ filters: 2, kernLength: 4, spatialMaxNorm: 0.5 });
  const input = tfl.input({ shape: [10, 20] });
  assertEquals((block.apply(input) as tfl.SymbolicTensor).shape, [null, 1, 20, 4]);
  const spatial = block.getWeights()[3];
  assertEquals(spatial.shape, [10, 1, 2, 2]);
  block.setWeights(block.getWeights().map((w, i) => (i === 3 ? tf.fill(w.shape, 3) : w)));
  const norms = tf.norm(tf.reshape(block.getWeights()[3], [10, 4]), 2, 0).dataSync();
  for (const n of norms) assert(Math.abs(n - 0.5) < 1e-5);
  assertConfigRoundTrip(TemporalSpatialBlock, block);
});

Deno.test("TemporalSpatialBlock rejects bad arguments and inputs with errors that name them", () => {
  assertThrows(() => new TemporalSpatialBlock({ filters: 0 }), RangeError, "filters");
  assertThrows(() => new TemporalSpatialBlock({ momentum: 2 }), RangeError, "momentum");
  assertThrows(() => new TemporalSpatialBlock({ spatialMaxNorm: -1 }), RangeError, "spatialMaxNorm");
  assertThrows(
    () => new TemporalSpatialBlock().apply(tfl.input({ shape: [4, 5, 6] })),
    TypeError,
    "[batch, nChans, nTimes]",
  );
});
