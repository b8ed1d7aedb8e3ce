import { assertEquals } from "@std/assert";
import * as tf from "@tensorflow/tfjs-core";
import { deferOutputInPlace, isDeferred } from "../../core/_deferred.ts";
import { buildModel, MODELS } from "../../models/registry.ts";
import { trainStep } from "../../training/train_step.ts";
import { adam } from "../../training/fused_adam.ts";
import { makeStepData, SMALL_SIGNALS } from "../backends/kernels/_model_step.ts";
import { setupBackends } from "../backends/kernels/_parity.ts";

/** The wasm backend's heap view of a tensor's data (what the deferred kernels write through). */
function heapOf(info: tf.TensorInfo): Float32Array {
  return (tf.backend() as unknown as { typedArrayFromHeap(i: tf.TensorInfo): Float32Array }).typedArrayFromHeap(info);
}

/** A deferred output (as an engine tensor) that reads `input` and writes `input + 1` when first used. */
function deferredPlusOne(input: tf.Tensor): tf.Tensor {
  const info = deferOutputInPlace(tf.backend(), input.shape, [input], (target) => {
    const [source, out] = [heapOf(input), heapOf(target)];
    for (let i = 0; i < out.length; i++) out[i] = source[i] + 1;
  });
  return tf.engine().makeTensorFromTensorInfo(info);
}

Deno.test("an input disposed while its deferred output is pending stops counting as a data buffer when the job frees it", async () => {
  await setupBackends();
  await tf.setBackend("wasm");
  for (const read of [false, true]) {
    const before = tf.memory();
    const input = tf.tensor1d([1, 2, 3]);
    const out = deferredPlusOne(input);
    assertEquals(isDeferred(tf.backend(), out.dataId), true);
    input.dispose(); // the job still holds the data: the engine keeps counting it
    assertEquals(tf.memory().numDataBuffers, before.numDataBuffers + 2);
    if (read) assertEquals(Array.from(out.dataSync()), [2, 3, 4], "computed after its input's tensor went");
    assertEquals(tf.memory().numDataBuffers, before.numDataBuffers + (read ? 1 : 2), `read ${read}`);
    out.dispose();
    const after = tf.memory();
    assertEquals([after.numTensors, after.numDataBuffers], [before.numTensors, before.numDataBuffers], `read ${read}`);
  }
});

Deno.test("training steps of every registered model on wasm leave tf.memory()'s data buffers and tensors unchanged", async () => {
  await setupBackends();
  await tf.setBackend("wasm");
  for (const name of Object.keys(MODELS)) {
    const signal = SMALL_SIGNALS[name];
    const data = makeStepData(name, signal, 8, 5);
    const batch = {
      xs: data.xs,
      shape: data.xShape,
      ys: Int32Array.from({ length: 8 }, (_, i) => i % 4),
      recordings: [],
      startSamples: [],
    };
    const model = buildModel(name, signal, 4);
    const optimizer = adam(1e-3);
    try {
      // warm-up: Adam's moments and the kernels' caches are made in the first steps
      for (let step = 0; step < 2; step++) await trainStep(model, optimizer, batch, 4);
      const before = tf.memory();
      for (let step = 0; step < 3; step++) await trainStep(model, optimizer, batch, 4);
      const after = tf.memory();
      assertEquals(after.numTensors, before.numTensors, `${name}: tensors`);
      assertEquals(after.numDataBuffers, before.numDataBuffers, `${name}: data buffers after 3 steps`);
    } finally {
      model.dispose();
      optimizer.dispose();
    }
  }
});
