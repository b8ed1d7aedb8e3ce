import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { assertEquals } from "@std/assert";
import { fusedDenseHeadCalls, setFusedDenseHead } from "../../../models/layers/_fused_dense_head.ts";
import { setupBackend } from "../../../backends/backend.ts";
import { Random } from "../../../core/random.ts";
import { withSeededRandom } from "../../../core/with_seeded_random.ts";
import { spectral, type SpectralOptions } from "../../../models/spectral.ts";
import { adam } from "../../../training/fused_adam.ts";
import { trainStep } from "../../../training/train_step.ts";
import { weightBitsAfterSteps } from "../../training/_weight_bits_after_steps.ts";
import { offAndOn } from "./_off_and_on.ts";

/** Every weight's bits after 3 seeded Adam steps of `spectral(options)` on `[batch, nChans, nBands]` windows. */
async function spectralBits(shape: number[], options: SpectralOptions): Promise<Uint32Array[]> {
  const model = await withSeededRandom(5, () => spectral({ nChans: shape[1], nTimes: shape[2] }, 3, options));
  const optimizer = adam(2e-3);
  const random = new Random(7);
  const xs = Float32Array.from({ length: shape[0] * shape[1] * shape[2] }, () => random.normal());
  const ys = Int32Array.from({ length: shape[0] }, (_, i) => (i * 7) % 3);
  const batch = { xs, shape, ys, recordings: [], startSamples: [] };
  try {
    for (let step = 0; step < 3; step++) {
      await withSeededRandom(60 + step, () => trainStep(model, optimizer, batch, 3, { labelSmoothing: 0.1 }));
    }
    return model.getWeights().map((w) => new Uint32Array((w.dataSync() as Float32Array).slice().buffer));
  } finally {
    model.dispose();
    optimizer.dispose();
  }
}

function assertSameBits(off: Uint32Array[], on: Uint32Array[]): void {
  assertEquals(on.length, off.length);
  on.forEach((bits, i) => assertEquals(Array.from(bits), Array.from(off[i]), `weight ${i}`));
}

for (const backend of ["wasm", "cpu"]) {
  Deno.test(`${backend}: spectral's fused dense head trains bit for bit as tfjs-layers (the bench's sizes)`, async () => {
    await setupBackend(backend as "wasm" | "cpu");
    const { off, on, calls } = await offAndOn(
      setFusedDenseHead,
      fusedDenseHeadCalls,
      () => weightBitsAfterSteps("spectral", 3),
    );
    assertEquals(calls, [0, 3]);
    assertSameBits(off, on);
    // every weight is compared: gamma, beta, moving mean and variance, both kernels and biases
    assertEquals(on.length, 8);
  });

  Deno.test(`${backend}: spectral's fused dense head, other sizes, rates and label smoothing, bit for bit`, async () => {
    await setupBackend(backend as "wasm" | "cpu");
    for (
      const [shape, options] of [
        [[5, 31, 7], { hiddenUnits: 48, dropProb: 0.4 }],
        [[33, 248, 5], { hiddenUnits: 17, dropProb: 0.1 }],
      ] as [number[], SpectralOptions][]
    ) {
      const { off, on, calls } = await offAndOn(
        setFusedDenseHead,
        fusedDenseHeadCalls,
        () => spectralBits(shape, options),
      );
      assertEquals(calls, [0, 3]);
      assertSameBits(off, on);
    }
  });
}

Deno.test("spectral without a hidden layer, another activation, or inference runs tfjs-layers' code", async () => {
  await setupBackend("cpu");
  const before = fusedDenseHeadCalls();
  for (const options of [{ hiddenUnits: 0 }, { activation: "elu" }] as SpectralOptions[]) {
    const model = spectral({ nChans: 4, nTimes: 3 }, 2, options);
    tf.tidy(() => model.apply(tf.ones([2, 4, 3]), { training: true }) as tf.Tensor);
    model.dispose();
  }
  const model = spectral({ nChans: 4, nTimes: 3 }, 2);
  tf.tidy(() => model.apply(tf.ones([2, 4, 3]), { training: false }) as tf.Tensor);
  tf.tidy(() => model.predict(tf.ones([2, 4, 3])) as tf.Tensor);
  assertEquals(fusedDenseHeadCalls(), before);
  tf.tidy(() => model.apply(tf.ones([2, 4, 3]), { training: true }) as tf.Tensor);
  assertEquals(fusedDenseHeadCalls(), before + 1);
  model.dispose();
});
