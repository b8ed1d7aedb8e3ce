import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { assert, assertEquals, assertThrows } from "@std/assert";
import { sparseAutoencoder, sparseAutoencoderLoss } from "../../models/sparse_autoencoder.ts";
import { withSeededRandom } from "../../core/with_seeded_random.ts";

await tf.setBackend("cpu");

// The initial weights come from Math.random: seeded, so the outcome is the same every run
// (it passed for each of seeds 1-30 when this was written).
const SEED = 1;

Deno.test("sparseAutoencoderLoss() trains the autoencoder to reconstruct, and its L1 term makes the code sparser", async () => {
  await withSeededRandom(SEED, trainTwice);
});

function trainTwice() {
  const x = tf.tidy(() =>
    tf.matMul(tf.randomUniform([64, 2], 0, 1, "float32", 1), tf.randomNormal([2, 8], 0, 1, "float32", 2))
  ) as tf.Tensor2D;
  const active: number[] = [];
  for (const l1 of [0, 0.2]) {
    const ae = sparseAutoencoder(8, { codeSize: 6, l1 });
    assertEquals(ae.encoder.getLayer("code"), ae.autoencoder.getLayer("code"));
    const optimizer = tf.train.adam(0.02);
    const first = sparseAutoencoderLoss(ae, x, 0).dataSync()[0];
    for (let step = 0; step < 150; step++) optimizer.minimize(() => sparseAutoencoderLoss(ae, x, ae.l1));
    const last = sparseAutoencoderLoss(ae, x, 0).dataSync()[0];
    assert(last < 0.5 * first, `l1 ${l1}: ${first} -> ${last}`);
    active.push(tf.tidy(() => tf.sum(tf.abs(ae.encoder.predict(x) as tf.Tensor)).dataSync()[0]));
  }
  assert(active[1] < active[0], `sum |code| without L1 ${active[0]}, with ${active[1]}`);
}

Deno.test("sparseAutoencoder() rejects a bad size or penalty", () => {
  assertThrows(() => sparseAutoencoder(8, { codeSize: 0 }), RangeError, "codeSize");
  assertThrows(() => sparseAutoencoder(8, { l1: -1 }), RangeError, "l1");
});
