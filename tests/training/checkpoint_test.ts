import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import "@tensorflow/tfjs-backend-cpu";
import {
  assert,
  assertAlmostEquals,
  assertEquals,
  assertNotEquals,
  assertRejects,
  assertStringIncludes,
} from "@std/assert";
import { join } from "node:path";
import { loadCheckpoint, loadModel, saveCheckpoint, saveModel } from "../../training/checkpoint.ts";
import { trainStep } from "../../training/train_step.ts";
import type { Batch } from "../../core/types.ts";
import { namesIn, withTempDir } from "../_temp_dir.ts";

await tf.setBackend("cpu");

/** Dense + BatchNorm + softmax, so that non-trainable weights (moving statistics) are part of the model. */
function smallModel(): tfl.LayersModel {
  return tfl.sequential({
    layers: [
      tfl.layers.flatten({ inputShape: [2, 3] }),
      tfl.layers.dense({ units: 5, activation: "relu" }),
      tfl.layers.batchNormalization(),
      tfl.layers.dense({ units: 3, activation: "softmax" }),
    ],
  });
}

const batch: Batch = {
  recordings: [],
  startSamples: [],
  xs: Float32Array.from({ length: 4 * 6 }, (_, i) => Math.sin(i + 1)),
  ys: Int32Array.from([0, 1, 2, 1]),
  shape: [4, 2, 3],
};

function weightsOf(model: tfl.LayersModel): number[][] {
  return model.getWeights().map((w) => Array.from(w.dataSync()));
}

Deno.test("saveModel() and loadModel() round-trip every weight exactly, moving statistics included", async () => {
  await withTempDir(async (dir) => {
    const model = smallModel();
    const bn = model.layers[2];
    bn.setWeights(bn.getWeights().map((w, i) => tf.fill(w.shape, i + 0.5))); // moving mean 2.5, variance 3.5
    await saveModel(join(dir, "model"), model);
    assertEquals(await namesIn(join(dir, "model")), ["model.json", "weights.bin"]);
    const loaded = await loadModel(join(dir, "model"));
    assertEquals(weightsOf(loaded), weightsOf(model));
    assertEquals(loaded.layers.map((l) => l.getClassName()), model.layers.map((l) => l.getClassName()));
    const x = tf.tensor(batch.xs, batch.shape);
    assertEquals(
      Array.from((loaded.predict(x) as tf.Tensor).dataSync()),
      Array.from((model.predict(x) as tf.Tensor).dataSync()),
    );
    tf.dispose(x);
    model.dispose();
    loaded.dispose();
  });
});

Deno.test("saveModel() writes the standard tfjs layers format", async () => {
  await withTempDir(async (dir) => {
    const model = smallModel();
    await saveModel(join(dir, "model"), model);
    const json = JSON.parse(await Deno.readTextFile(join(dir, "model", "model.json")));
    assertEquals(json.format, "layers-model");
    assertEquals(json.weightsManifest.length, 1);
    assertEquals(json.weightsManifest[0].paths, ["weights.bin"]);
    const floats = model.getWeights().reduce((n, w) => n + w.size, 0);
    assertEquals((await Deno.stat(join(dir, "model", "weights.bin"))).size, 4 * floats);
    // tfjs itself reads it back.
    const loaded = await tfl.loadLayersModel(tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest[0].weights,
      weightData: (await Deno.readFile(join(dir, "model", "weights.bin"))).buffer as ArrayBuffer,
    }));
    assertEquals(weightsOf(loaded), weightsOf(model));
    model.dispose();
    loaded.dispose();
  });
});

Deno.test("saveModel() replaces an older model folder and leaves no temporary folder", async () => {
  await withTempDir(async (dir) => {
    const first = smallModel();
    const second = smallModel();
    await saveModel(join(dir, "model"), first);
    await Deno.writeTextFile(join(dir, "model", "stale.txt"), "from an older run");
    await saveModel(join(dir, "model"), second);
    assertEquals(await namesIn(join(dir, "model")), ["model.json", "weights.bin"]);
    assertEquals(await namesIn(dir), ["model"]);
    const loaded = await loadModel(join(dir, "model"));
    assertEquals(weightsOf(loaded), weightsOf(second));
    [first, second, loaded].forEach((m) => m.dispose());
  });
});

Deno.test("loadModel() names the folder when a file is missing or malformed", async () => {
  await withTempDir(async (dir) => {
    const missing = join(dir, "nothing");
    const error = await assertRejects(() => loadModel(missing), Error, `${missing}: cannot read the model`);
    assert(error.cause instanceof Deno.errors.NotFound);
    const model = smallModel();
    await saveModel(join(dir, "model"), model);
    await Deno.remove(join(dir, "model", "weights.bin"));
    await assertRejects(() => loadModel(join(dir, "model")), Error, `${join(dir, "model")}: cannot read the model`);
    await Deno.writeTextFile(join(dir, "model", "model.json"), "{ not json");
    await assertRejects(() => loadModel(join(dir, "model")), Error, `${join(dir, "model")}: cannot read the model`);
    model.dispose();
  });
});

Deno.test("saveCheckpoint() and loadCheckpoint() round-trip the model, the optimizer files and the state", async () => {
  await withTempDir(async (dir) => {
    const model = smallModel();
    const optimizer = tf.train.adam(0.01);
    await trainStep(model, optimizer, batch, 3);
    const state = { epoch: 1, history: [{ epoch: 1, loss: 1.25 }], best: null };
    await saveCheckpoint(join(dir, "checkpoint"), model, optimizer, state);
    assertEquals(await namesIn(join(dir, "checkpoint")), [
      "model.json",
      "optimizer.bin",
      "optimizer.json",
      "state.json",
      "weights.bin",
    ]);
    const checkpoint = await loadCheckpoint<typeof state>(join(dir, "checkpoint"));
    assertEquals(checkpoint.state, state);
    assertEquals(weightsOf(checkpoint.model), weightsOf(model));
    // Adam keeps the iteration count and two moments per trainable weight.
    const specs = JSON.parse(await Deno.readTextFile(join(dir, "checkpoint", "optimizer.json"))).specs;
    assertEquals(specs.length, 1 + 2 * model.trainableWeights.length);
    model.dispose();
    checkpoint.model.dispose();
    optimizer.dispose();
  });
});

Deno.test("loadCheckpoint().restoreOptimizer() continues training as if never interrupted", async () => {
  await withTempDir(async (dir) => {
    const model = smallModel();
    const optimizer = tf.train.adam(0.05);
    for (let i = 0; i < 3; i++) await trainStep(model, optimizer, batch, 3);
    await saveCheckpoint(join(dir, "checkpoint"), model, optimizer, {});
    await trainStep(model, optimizer, batch, 3);
    const uninterrupted = weightsOf(model);

    const restored = await loadCheckpoint(join(dir, "checkpoint"));
    const resumedOptimizer = tf.train.adam(0.05);
    await restored.restoreOptimizer(resumedOptimizer);
    await trainStep(restored.model, resumedOptimizer, batch, 3);
    weightsOf(restored.model).forEach((w, i) => w.forEach((v, j) => assertAlmostEquals(v, uninterrupted[i][j], 1e-6)));

    // Without the optimizer state (fresh Adam moments) the step differs: the check above can fail.
    const fresh = await loadCheckpoint(join(dir, "checkpoint"));
    const freshOptimizer = tf.train.adam(0.05);
    await trainStep(fresh.model, freshOptimizer, batch, 3);
    assertNotEquals(weightsOf(fresh.model)[0], uninterrupted[0]);
    [model, restored.model, fresh.model].forEach((m) => m.dispose());
    [optimizer, resumedOptimizer, freshOptimizer].forEach((o) => o.dispose());
  });
});

Deno.test("saveCheckpoint() leaves no tensor behind and the optimizer still usable", async () => {
  await withTempDir(async (dir) => {
    const model = smallModel();
    const optimizer = tf.train.adam(0.01);
    await trainStep(model, optimizer, batch, 3);
    const before = tf.memory().numTensors;
    await saveCheckpoint(join(dir, "checkpoint"), model, optimizer, { epoch: 1 });
    assertEquals(tf.memory().numTensors, before);
    await trainStep(model, optimizer, batch, 3); // its variables were not disposed
    model.dispose();
    optimizer.dispose();
  });
});

Deno.test("saveCheckpoint() keeps the previous checkpoint when writing the new one fails", async () => {
  await withTempDir(async (dir) => {
    const model = smallModel();
    const optimizer = tf.train.adam(0.01);
    await trainStep(model, optimizer, batch, 3);
    await saveCheckpoint(join(dir, "checkpoint"), model, optimizer, { epoch: 1 });
    const saved = weightsOf(model);
    await trainStep(model, optimizer, batch, 3);
    // A state JSON cannot hold fails halfway through the folder.
    await assertRejects(
      () => saveCheckpoint(join(dir, "checkpoint"), model, optimizer, { epoch: 2n }),
      TypeError,
      "BigInt",
    );
    assertEquals(await namesIn(dir), ["checkpoint"]);
    const checkpoint = await loadCheckpoint<{ epoch: number }>(join(dir, "checkpoint"));
    assertEquals(checkpoint.state, { epoch: 1 });
    assertEquals(weightsOf(checkpoint.model), saved);
    model.dispose();
    checkpoint.model.dispose();
    optimizer.dispose();
  });
});

Deno.test("loadCheckpoint() names the folder when the optimizer or state files are missing", async () => {
  await withTempDir(async (dir) => {
    const model = smallModel();
    await saveModel(join(dir, "model-only"), model);
    const error = await assertRejects(() => loadCheckpoint(join(dir, "model-only")), Error);
    assertStringIncludes(error.message, `${join(dir, "model-only")}: incomplete checkpoint`);
    await assertRejects(
      () => loadCheckpoint(join(dir, "absent")),
      Error,
      `${join(dir, "absent")}: cannot read the model`,
    );
    model.dispose();
  });
});
