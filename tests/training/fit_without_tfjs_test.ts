/** A script drives `fit` with megflow's exports alone: no tfjs import, a learning rate for the optimizer. */
import { assertEquals, assertLess, assertRejects } from "@std/assert";
import { from } from "rxjs";
import { type Batch, buildModel, fit, type Recording, setupBackend } from "../../mod.ts";
import { withSeededRandom } from "../../core/with_seeded_random.ts";

await setupBackend("cpu");

const recording = { path: "rest_1_1.h5", subject: "1" } as Recording;

/** One batch of 8 windows [2, 16]: class k has a constant level k on every sample. */
function batch(): Batch {
  const xs = new Float32Array(8 * 32);
  const ys = Int32Array.from({ length: 8 }, (_, i) => i % 4);
  ys.forEach((y, i) => xs.fill(y - 1.5, i * 32, (i + 1) * 32));
  return { xs, shape: [8, 2, 16], ys, recordings: Array(8).fill(recording), startSamples: Array(8).fill(0) };
}

Deno.test("fit() takes a learning rate instead of an optimizer, so a script needs no tfjs import", async () => {
  const options = { temporalFilters: 4, depthMultiplier: 1, separableFilters: 4, kernLength: 4 };
  // Seeded initial weights and dropout masks (fit's `seed`): unseeded, the third epoch's loss was
  // 0.79-0.93 of the first's over 30 draws (mean 0.86, sd 0.035), close enough to 1 to fail now and then.
  const model = await withSeededRandom(
    1,
    () => buildModel("cnn", { nChans: 2, nTimes: 16 }, 4, { ...options, pool1Size: 2, pool2Size: 2 }),
  );
  const result = await fit(model, 0.01, { nClasses: 4, epochs: 3, seed: 1, batches: () => from([batch(), batch()]) });
  assertEquals([result.history[0].learningRate, result.history[2].learningRate.toFixed(4)], [0.01, "0.0005"]);
  assertLess(result.history[2].trainLoss, result.history[0].trainLoss);
  await assertRejects(() => fit(model, 0, { nClasses: 4, batches: () => from([batch()]) }), RangeError, "got 0");
  model.dispose();
});
