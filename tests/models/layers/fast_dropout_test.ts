import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import "@tensorflow/tfjs-backend-cpu";
import { assert, assertAlmostEquals, assertEquals, assertNotEquals } from "@std/assert";
import { dropoutMask, fastDropoutMasks } from "../../../models/layers/_fast_dropout.ts";
import { withSeededRandom } from "../../../core/with_seeded_random.ts";
import { registerWasmTrainingKernels } from "../../../backends/kernels/mod.ts";

registerWasmTrainingKernels();

for (const backend of ["cpu", "wasm"]) {
  Deno.test(`${backend}: a Dropout layer in training keeps about 1 - rate of the values, scaled by 1 / (1 - rate), and passes gradients through the same mask`, async () => {
    await tf.setBackend(backend);
    const rate = 0.3;
    const layer = tfl.layers.dropout({ rate });
    const x = tf.add(tf.randomUniform([40, 250], 0, 1, "float32", 7), 1);
    const before = fastDropoutMasks();
    const f = (x: tf.Tensor) => tf.sum(tf.mul(layer.apply(x, { training: true }) as tf.Tensor, 3));
    // The mask is seeded from Math.random: seeded here, so that the kept fraction is the same every
    // run. Unseeded, it is within 0.02 of 1 - rate only up to 4.4 standard deviations (0.0046 for
    // 10,000 values): about 1 run in 100,000 would fail by chance.
    const { value, grad } = await withSeededRandom(12, () => tf.valueAndGrad(f)(x));
    assertEquals(fastDropoutMasks() - before, 1, "megflow's mask was not drawn");
    // The same seed: the same mask as the gradient's.
    const y = await withSeededRandom(12, () => layer.apply(x, { training: true }) as tf.Tensor);
    const [xs, ys] = [x.dataSync(), y.dataSync()];
    const scale = Math.fround(1 / Math.fround(1 - rate));
    let kept = 0;
    ys.forEach((v, i) => {
      if (v !== 0) {
        kept++;
        assertEquals(v, Math.fround(xs[i] * scale));
      }
    });
    assertAlmostEquals(kept / ys.length, 1 - rate, 0.02);
    // the gradient is 3 * scale where the mask kept the value, else 0
    const g = grad.dataSync();
    let keptGrad = 0;
    g.forEach((v, i) => {
      assert(v === 0 || v === Math.fround(3 * scale), `gradient ${v}`);
      assertEquals(v !== 0, ys[i] !== 0, `the gradient's mask at ${i}`);
      if (v !== 0) keptGrad++;
    });
    assertAlmostEquals(keptGrad / g.length, 1 - rate, 0.02);
    assert(value.dataSync()[0] > 0);
    tf.dispose([x, value, grad, y]);
  });
}

Deno.test("Dropout is the identity in inference, and a layer with a seed or a noise shape runs tfjs's own code", async () => {
  await tf.setBackend("cpu");
  const x = tf.ones([8, 16]);
  const before = fastDropoutMasks();
  const plain = tfl.layers.dropout({ rate: 0.5 });
  assertEquals((plain.apply(x) as tf.Tensor).dataSync(), x.dataSync());
  assertEquals((plain.apply(x, { training: false }) as tf.Tensor).dataSync(), x.dataSync());
  const seeded = tfl.layers.dropout({ rate: 0.5, seed: 3 });
  const a = (seeded.apply(x, { training: true }) as tf.Tensor).dataSync();
  const b = (seeded.apply(x, { training: true }) as tf.Tensor).dataSync();
  assertEquals(a, b); // tfjs re-seeds alea with the layer's seed on every call
  const shaped = tfl.layers.dropout({ rate: 0.5, noiseShape: [8, 1] });
  const rows = (shaped.apply(x, { training: true }) as tf.Tensor).arraySync() as number[][];
  for (const row of rows) assertEquals(new Set(row).size, 1);
  assertEquals(fastDropoutMasks(), before);
});

Deno.test("dropout masks repeat under withSeededRandom and differ between seeds", async () => {
  const draw = (seed: number) => withSeededRandom(seed, () => [dropoutMask(500, 0.8), dropoutMask(500, 0.8)]);
  const [a1, a2] = await draw(4);
  const [b1, b2] = await draw(4);
  assertEquals(a1, b1);
  assertEquals(a2, b2);
  assertNotEquals(a1, a2);
  const [c1] = await draw(5);
  assertNotEquals(a1, c1);
  assert(a1.every((v) => v === 0 || v === Math.fround(1 / Math.fround(0.8))));
});

Deno.test("dropout masks keep the asked fraction for rates below and above one half", async () => {
  for (const keep of [0.9, 0.5, 0.3, 0.05]) {
    // Seeded: unseeded, 0.005 is 4.5 standard deviations of the kept fraction at keep 0.5.
    const mask = await withSeededRandom(13, () => dropoutMask(200_000, keep));
    const kept = mask.filter((v) => v !== 0).length / mask.length;
    assertAlmostEquals(kept, keep, 0.005, `keep ${keep}`);
  }
});

Deno.test("dropout masks are independent between neighbouring values, batch rows and consecutive calls", async () => {
  // Seeded, so that the draws are the same every run (unseeded, the bounds are ~10 standard errors).
  await withSeededRandom(14, checkIndependence);
});

function checkIndependence(): void {
  // gru's projection dropout: [32 windows, 25 steps, 32 features] per call, rate 0.3.
  const [keep, size, calls] = [0.7, 32 * 25 * 32, 24];
  const lags = [1, 2, 3, 4, 5, 7, 8, 16, 31, 32, 33, 64, 800];
  const both = new Map(lags.map((lag) => [lag, 0]));
  let [kept, sameSpot, previous] = [0, 0, new Uint8Array(0)];
  for (let c = 0; c < calls; c++) {
    const mask = Uint8Array.from(dropoutMask(size, keep), (v) => (v !== 0 ? 1 : 0));
    for (let i = 0; i < size; i++) kept += mask[i];
    for (const lag of lags) {
      let n = 0;
      for (let i = lag; i < size; i++) n += mask[i] & mask[i - lag];
      both.set(lag, both.get(lag)! + n / (size - lag) / calls);
    }
    if (c > 0) {
      let n = 0;
      for (let i = 0; i < size; i++) n += mask[i] & previous[i];
      sameSpot += n / size / (calls - 1);
    }
    previous = mask;
  }
  const p = kept / (size * calls);
  // independent draws keep both values of a pair with probability p^2 (standard error ~0.001 here)
  for (const lag of lags) assertAlmostEquals(both.get(lag)!, p * p, 0.01, `values ${lag} apart`);
  assertAlmostEquals(sameSpot, p * p, 0.01, "the same value in consecutive calls");
}
