import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import "@tensorflow/tfjs-backend-cpu";
import { assert, assertAlmostEquals, assertEquals } from "@std/assert";
import { applyConstraints } from "../../models/constraints.ts";

await tf.setBackend("cpu");

/** Writes `values` straight into the variable, past any constraint, as an optimizer does. */
function assignRaw(weight: tfl.LayerVariable, values: tf.Tensor): void {
  (weight.read() as tf.Variable).assign(values);
}

function columnNorms(kernel: tf.Tensor): number[] {
  return tf.tidy(() => Array.from(tf.norm(kernel, 2, 0).dataSync()));
}

function denseModel(constraint?: ReturnType<typeof tfl.constraints.maxNorm>): tfl.LayersModel {
  return tfl.sequential({
    layers: [
      tfl.layers.dense({ inputShape: [2], units: 3, kernelConstraint: constraint, biasInitializer: "ones" }),
      tfl.layers.dense({ units: 2 }),
    ],
  });
}

Deno.test("applyConstraints() scales a column over its max-norm down to the norm", () => {
  const model = denseModel(tfl.constraints.maxNorm({ maxValue: 1, axis: 0 }));
  const kernel = model.layers[0].weights[0];
  assignRaw(kernel, tf.tensor2d([[3, 0.3, 0], [4, 0.4, -2]]));
  applyConstraints(model);
  const after = model.layers[0].getWeights()[0];
  const norms = columnNorms(after);
  assertAlmostEquals(norms[0], 1, 1e-5);
  assertAlmostEquals(norms[1], 0.5, 1e-5); // already within the norm: kept
  assertAlmostEquals(norms[2], 1, 1e-5);
  // Scaled, not clipped: the direction of each column is kept.
  const values = after.arraySync() as number[][];
  [[0.6, 0.3, 0], [0.8, 0.4, -1]].forEach((row, i) => row.forEach((v, j) => assertAlmostEquals(values[i][j], v, 1e-5)));
  model.dispose();
});

Deno.test("applyConstraints() enforces other constraints too, e.g. non-negativity", () => {
  const model = denseModel(tfl.constraints.nonNeg());
  assignRaw(model.layers[0].weights[0], tf.tensor2d([[-1, 2, -3], [4, -5, 6]]));
  applyConstraints(model);
  assertEquals(model.layers[0].getWeights()[0].arraySync(), [[0, 2, 0], [4, 0, 6]]);
  model.dispose();
});

Deno.test("applyConstraints() leaves weights without a constraint alone", () => {
  const model = denseModel(tfl.constraints.maxNorm({ maxValue: 0.1, axis: 0 }));
  assignRaw(model.layers[0].weights[1], tf.tensor1d([10, 20, 30])); // bias: no constraint
  const second = model.layers[1].getWeights().map((w) => w.arraySync());
  applyConstraints(model);
  assertEquals(model.layers[0].getWeights()[1].arraySync(), [10, 20, 30]);
  assertEquals(model.layers[1].getWeights().map((w) => w.arraySync()), second);
  model.dispose();
});

Deno.test("applyConstraints() changes nothing in a model without constraints", () => {
  const model = denseModel();
  const before = model.getWeights().map((w) => w.arraySync());
  applyConstraints(model);
  assertEquals(model.getWeights().map((w) => w.arraySync()), before);
  model.dispose();
});

Deno.test("applyConstraints() projects initial weights that break the constraint", () => {
  // tfjs-layers does not constrain initial weights: ones in 2 rows give column norms sqrt(2).
  const model = tfl.sequential({
    layers: [tfl.layers.dense({
      inputShape: [2],
      units: 2,
      kernelInitializer: "ones",
      kernelConstraint: tfl.constraints.maxNorm({ maxValue: 1, axis: 0 }),
    })],
  });
  columnNorms(model.getWeights()[0]).forEach((n) => assertAlmostEquals(n, Math.SQRT2, 1e-5));
  applyConstraints(model);
  columnNorms(model.getWeights()[0]).forEach((n) => assertAlmostEquals(n, 1, 1e-5));
  model.dispose();
});

Deno.test("applyConstraints() is idempotent, keeps the trainable variables and leaves no tensor behind", () => {
  const model = denseModel(tfl.constraints.maxNorm({ maxValue: 1, axis: 0 }));
  assignRaw(model.layers[0].weights[0], tf.tensor2d([[3, 0, 1], [4, 2, 0]]));
  const variable = model.layers[0].weights[0].read();
  applyConstraints(model);
  const once = model.getWeights()[0].arraySync() as number[][];
  const before = tf.memory().numTensors;
  applyConstraints(model);
  assertEquals(tf.memory().numTensors, before);
  // tfjs divides by (norm + 1e-7), so a second projection may shrink by float rounding only.
  const twice = model.getWeights()[0].arraySync() as number[][];
  once.forEach((row, i) => row.forEach((v, j) => assertAlmostEquals(twice[i][j], v, 1e-6)));
  assert(model.layers[0].weights[0].read() === variable, "the variable was replaced");
  model.dispose();
});
