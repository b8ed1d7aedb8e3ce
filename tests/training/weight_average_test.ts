import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { assertAlmostEquals, assertEquals, assertNotEquals, assertRejects, assertThrows } from "@std/assert";
import { from } from "rxjs";
import { WeightAverage } from "../../training/weight_average.ts";
import { fit } from "../../training/fit.ts";
import { toyBatches } from "./_toy_batches.ts";

await tf.setBackend("cpu");

/** A model with a trainable kernel and BatchNorm (trainable gain/offset, non-trainable moving statistics). */
function bnModel(): tfl.LayersModel {
  return tfl.sequential({
    layers: [
      tfl.layers.flatten({ inputShape: [4, 6] }),
      tfl.layers.dense({ units: 3 }),
      tfl.layers.batchNormalization(),
      tfl.layers.dense({ units: 2, activation: "softmax" }),
    ],
  });
}

/** The model's weights (every one: BatchNorm's moving statistics included) as plain arrays. */
function values(model: tfl.LayersModel): number[][] {
  return model.weights.map((w) => Array.from(w.read().dataSync()));
}

/** Sets every weight of `model` to `f(weight index, value index)`. */
function setAll(model: tfl.LayersModel, f: (i: number, j: number) => number): void {
  model.weights.forEach((w, i) => {
    const size = w.read().size;
    const t = tf.tensor(Array.from({ length: size }, (_, j) => f(i, j)), w.read().shape);
    w.write(t);
    t.dispose();
  });
}

const batches = (seed: number, count = 3) => toyBatches(seed, count);

Deno.test("WeightAverage: update() is the exponential moving average of every weight, moving statistics included", async () => {
  const model = bnModel();
  const average = new WeightAverage(model, 0.7);
  const epochs = [(i: number, j: number) => i + j, (i: number, j: number) => 2 * i - j, (i: number) => -i];
  const expected: number[][] = [];
  for (const f of epochs) {
    setAll(model, f);
    average.update();
    model.weights.forEach((w, i) => {
      for (let j = 0; j < w.read().size; j++) {
        expected[i] ??= [];
        expected[i][j] = expected[i][j] === undefined ? f(i, j) : 0.7 * expected[i][j] + 0.3 * f(i, j);
      }
    });
  }
  assertEquals(average.updates, 3);
  assertEquals(model.weights.filter((w) => !w.trainable).length, 2); // the moving mean and variance
  const trained = values(model);
  const inside = await average.withAverage(() => values(model));
  inside.forEach((v, i) => v.forEach((x, j) => assertAlmostEquals(x, expected[i][j], 1e-5)));
  assertEquals(values(model), trained); // the trained weights are back
  model.dispose();
});

Deno.test("WeightAverage: withAverage() puts the trained weights back when its function throws, leaks no tensor, and runs on the model as it is before any update", async () => {
  const model = bnModel();
  const average = new WeightAverage(model, 0.5);
  const before = values(model);
  assertEquals(await average.withAverage(() => values(model)), before); // nothing averaged yet
  average.update();
  setAll(model, () => 1);
  const trained = values(model);
  const tensors = tf.memory().numTensors;
  await assertRejects(() => average.withAverage(() => Promise.reject(new Error("boom"))), Error, "boom");
  assertEquals(values(model), trained);
  assertEquals(tf.memory().numTensors, tensors);
  model.dispose();
});

Deno.test("WeightAverage: a checkpoint's state continues the average exactly; a bad decay or state is refused", () => {
  const model = bnModel();
  const a = new WeightAverage(model, 0.6);
  setAll(model, (i, j) => i * j);
  a.update();
  const b = new WeightAverage(model, 0.6, structuredClone(a.state()));
  assertEquals(b.updates, 1);
  setAll(model, (i, j) => i - j);
  a.update();
  b.update();
  assertEquals(b.state(), a.state());
  assertThrows(() => new WeightAverage(model, 1), RangeError, "[0, 1)");
  assertThrows(() => new WeightAverage(model, -0.1), RangeError, "[0, 1)");
  assertThrows(
    () => new WeightAverage(model, 0.6, { updates: 1, values: [[1, 2]] }),
    RangeError,
    "does not fit",
  );
  model.dispose();
});

Deno.test("fit() with a weightAverage validates the averaged weights and trains on from the trained ones", async () => {
  const initial = bnModel();
  const start = initial.getWeights().map((w) => w.clone());
  const run = async (withAverage: boolean) => {
    const model = bnModel();
    model.setWeights(start);
    const average = withAverage ? new WeightAverage(model, 0.5) : undefined;
    const seen: number[][][] = [];
    const trained: number[][][] = [];
    await fit(model, tf.train.sgd(0.1), {
      nClasses: 2,
      epochs: 3,
      schedule: "constant",
      batches: (epoch) => from(batches(epoch)),
      weightAverage: average,
      validate: () => {
        seen.push(values(model));
        return Promise.resolve({ loss: 1, accuracy: 0.5 });
      },
      onEpoch: () => void trained.push(values(model)),
    });
    model.dispose();
    return { seen, trained };
  };
  const plain = await run(false);
  const averaged = await run(true);
  // Training is unchanged by the average: the same weights after every epoch.
  assertEquals(averaged.trained, plain.trained);
  // Validation saw the average of the epochs' trained weights (decay 0.5), not the trained weights.
  const t = plain.trained;
  assertEquals(averaged.seen[0], t[0]);
  for (const [epoch, expected] of [[1, (i: number, j: number) => 0.5 * t[0][i][j] + 0.5 * t[1][i][j]]] as const) {
    averaged.seen[epoch].forEach((v, i) => v.forEach((x, j) => assertAlmostEquals(x, expected(i, j), 1e-6)));
  }
  averaged.seen[2].forEach((v, i) =>
    v.forEach((x, j) => assertAlmostEquals(x, 0.5 * (0.5 * t[0][i][j] + 0.5 * t[1][i][j]) + 0.5 * t[2][i][j], 1e-6))
  );
  assertNotEquals(averaged.seen[2], t[2]);
  tf.dispose(start);
  initial.dispose();
});
