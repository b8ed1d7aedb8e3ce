import { assert, assertEquals, assertLess } from "@std/assert";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { registerWasmTrainingKernels } from "../../../backends/kernels/mod.ts";
import { buildModel, MODELS } from "../../../models/registry.ts";
import { trainStep } from "../../../training/train_step.ts";
import { setupBackends } from "./_parity.ts";
import { gradientError, makeStepData, missingCases, SMALL_SIGNALS, trainingStep } from "./_model_step.ts";
import { withSeededRandom } from "../../../core/with_seeded_random.ts";

Deno.test("registerWasmTrainingKernels() installs every training kernel once", async () => {
  await setupBackends();
  for (
    const name of [
      "Conv2DBackpropFilter",
      "DepthwiseConv2dNativeBackpropFilter",
      "DepthwiseConv2dNativeBackpropInput",
      "UnsortedSegmentSum",
    ]
  ) {
    assert(tf.getKernel(name, "wasm") !== undefined, `${name} registered`);
  }
  const tile = tf.getKernel("Tile", "wasm");
  assertEquals(registerWasmTrainingKernels(), []);
  assertEquals(tf.getKernel("Tile", "wasm"), tile);
});

Deno.test("every registered model has a small test signal", () => {
  assertEquals(missingCases(SMALL_SIGNALS), []);
});

/** Options that change a model's layers, checked on wasm too: the EEGNet front end of gru and tsa, cascade's filter bank. */
const OPTION_CASES: { label: string; name: string; options: Record<string, unknown> }[] = [
  {
    label: "gru with stem temporalSpatial",
    name: "gru",
    options: { stem: "temporalSpatial", stemKernLength: 8, stemPool: 2, stemDropout: 0 },
  },
  {
    label: "tsa with stem temporalSpatial",
    name: "tsa",
    options: { stem: "temporalSpatial", stemKernLength: 8, stemPool: 5, segLen: 5, stemDropout: 0 },
  },
  {
    label: "cascade with the folded temporal filter bank",
    name: "cascade",
    options: { temporalFilters: 3, temporalKernel: 8 },
  },
  {
    label: "cascade with the temporal filter bank and BatchNorm on its bands",
    name: "cascade",
    options: { temporalFilters: 3, temporalKernel: 8, temporalNorm: true },
  },
];

for (
  const { label, name, options } of [
    ...Object.keys(MODELS).map((name) => ({ label: name, name, options: {} })),
    ...OPTION_CASES,
  ]
) {
  Deno.test(`one training step of ${label} gives the same loss and gradients on wasm and cpu`, async () => {
    await setupBackends();
    const signal = SMALL_SIGNALS[name];
    const data = makeStepData(name, signal, 4, 7);
    await tf.setBackend("cpu");
    // Seeded initial weights: with unseeded ones, cascade with BatchNorm on its bands (batch 4) exceeded 1e-4
    // on 1 of 40 draws (worst 1.1e-4, also before session 16's kernels), so the test failed now and then.
    const cpu = await withSeededRandom(1, () => trainingStep(name, signal, data, undefined, options));
    await tf.setBackend("wasm");
    const wasm = await trainingStep(name, signal, data, cpu.weights, options);
    assert(Number.isFinite(cpu.loss) && cpu.loss > 0, `cpu loss ${cpu.loss}`);
    assertLess(Math.abs(wasm.loss - cpu.loss) / cpu.loss, 1e-4, `loss wasm ${wasm.loss} cpu ${cpu.loss}`);
    assertEquals(wasm.grads.length, cpu.grads.length);
    for (let i = 0; i < cpu.grads.length; i++) {
      assertLess(gradientError(wasm.grads[i], cpu.grads[i], cpu.grads), 1e-4, `${label} gradient ${i}`);
    }
  });
}

Deno.test("repeated training steps on wasm leave no tensors or wasm buffers behind", async () => {
  await setupBackends();
  await tf.setBackend("wasm");
  for (const name of Object.keys(MODELS)) {
    const signal = SMALL_SIGNALS[name];
    const data = makeStepData(name, signal, 4, 9);
    const model = buildModel(name, signal, 4);
    const optimizer = tf.train.adam(1e-3);
    const batch = {
      xs: data.xs,
      shape: data.xShape,
      ys: Int32Array.from([0, 1, 2, 3]),
      recordings: [],
      startSamples: [],
    };
    await trainStep(model, optimizer, batch, 4); // creates the optimizer's slots
    const tensors = tf.memory().numTensors;
    const buffers = tf.backend().numDataIds();
    for (let i = 0; i < 3; i++) await trainStep(model, optimizer, batch, 4);
    assertEquals(tf.memory().numTensors, tensors, `${name} tensors`);
    assertEquals(tf.backend().numDataIds(), buffers, `${name} wasm buffers`);
    model.dispose();
    optimizer.dispose();
  }
});
