import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import "@tensorflow/tfjs-backend-cpu";
import { assert, assertEquals, assertNotEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { join } from "node:path";
import { loadCheckpoint, loadModel, saveCheckpoint, saveModel } from "../../training/checkpoint.ts";
import { trainStep } from "../../training/train_step.ts";
import type { Batch } from "../../core/types.ts";
import { namesIn, withTempDir } from "../_temp_dir.ts";
import { withSeededRandom } from "../../core/with_seeded_random.ts";

await tf.setBackend("cpu");

// Seeds 1-25 each pass the resume test below.
const SEED = 1;

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
    const saved = await saveCheckpoint(join(dir, "checkpoint"), model, optimizer, state);
    assertEquals(saved, join(dir, "checkpoint", "step-000001"));
    assertEquals(await namesIn(join(dir, "checkpoint")), ["step-000001"]);
    assertEquals(await namesIn(saved), [
      "manifest.json",
      "model.json",
      "optimizer.bin",
      "optimizer.json",
      "state.json",
      "weights.bin",
    ]);
    const checkpoint = await loadCheckpoint<typeof state>(join(dir, "checkpoint"));
    assertEquals(checkpoint.state, state);
    assertEquals(checkpoint.dir, saved);
    assertEquals(checkpoint.skipped, []);
    assertEquals(weightsOf(checkpoint.model), weightsOf(model));
    // Adam keeps the iteration count and two moments per trainable weight, and its two bias corrections.
    const optimizerJson = JSON.parse(await Deno.readTextFile(join(saved, "optimizer.json")));
    assertEquals(optimizerJson.specs.length, 1 + 2 * model.trainableWeights.length);
    assertEquals(Object.keys(optimizerJson.variables).sort(), ["accBeta1", "accBeta2"]);
    model.dispose();
    checkpoint.model.dispose();
    optimizer.dispose();
  });
});

Deno.test("loadCheckpoint().restoreOptimizer() continues training as if never interrupted", async () => {
  // Seeded initial weights: with some unseeded draws every ReLU unit of the first layer died within the 40 steps, its
  // kernel's gradient was zero, and the fresh-Adam comparison below failed (once in a full run).
  await withSeededRandom(SEED, () => resumeAfterCheckpoint());
});

async function resumeAfterCheckpoint() {
  await withTempDir(async (dir) => {
    const model = smallModel();
    const optimizer = tf.train.adam(0.05);
    for (let i = 0; i < 40; i++) await trainStep(model, optimizer, batch, 3);
    await saveCheckpoint(join(dir, "checkpoint"), model, optimizer, {});
    await trainStep(model, optimizer, batch, 3);
    const uninterrupted = weightsOf(model);

    const restored = await loadCheckpoint(join(dir, "checkpoint"));
    const resumedOptimizer = tf.train.adam(0.05);
    await restored.restoreOptimizer(resumedOptimizer);
    await trainStep(restored.model, resumedOptimizer, batch, 3);
    // Bit for bit: the moments, the iteration count and Adam's accumulated bias corrections are all restored.
    assertEquals(weightsOf(restored.model), uninterrupted);

    // Without the optimizer state (fresh Adam moments) the step differs: the check above can fail.
    const fresh = await loadCheckpoint(join(dir, "checkpoint"));
    const freshOptimizer = tf.train.adam(0.05);
    await trainStep(fresh.model, freshOptimizer, batch, 3);
    assertNotEquals(weightsOf(fresh.model)[0], uninterrupted[0]);
    [model, restored.model, fresh.model].forEach((m) => m.dispose());
    [optimizer, resumedOptimizer, freshOptimizer].forEach((o) => o.dispose());
  });
}

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

Deno.test("loadCheckpoint() names the folder when it holds no complete checkpoint", async () => {
  await withTempDir(async (dir) => {
    const model = smallModel();
    await saveModel(join(dir, "model-only"), model);
    const error = await assertRejects(() => loadCheckpoint(join(dir, "model-only")), Error);
    assertStringIncludes(error.message, `${join(dir, "model-only")}: no complete checkpoint`);
    await assertRejects(
      () => loadCheckpoint(join(dir, "absent")),
      Error,
      `${join(dir, "absent")}: no complete checkpoint`,
    );
    model.dispose();
  });
});

/** Saves checkpoints with state { epoch: 1 } ... { epoch: n } into `dir`. */
async function saveEpochs(dir: string, model: tfl.LayersModel, optimizer: tf.Optimizer, n: number) {
  for (let epoch = 1; epoch <= n; epoch++) {
    await trainStep(model, optimizer, batch, 3);
    await saveCheckpoint(dir, model, optimizer, { epoch });
  }
}

Deno.test("saveCheckpoint() keeps the newest two checkpoints and numbers each after the newest", async () => {
  await withTempDir(async (dir) => {
    const model = smallModel();
    const optimizer = tf.train.adam(0.01);
    await saveEpochs(join(dir, "checkpoint"), model, optimizer, 3);
    assertEquals(await namesIn(join(dir, "checkpoint")), ["step-000002", "step-000003"]);
    await saveCheckpoint(join(dir, "checkpoint"), model, optimizer, { epoch: 4 }, { keep: 1 });
    assertEquals(await namesIn(join(dir, "checkpoint")), ["step-000004"]);
    model.dispose();
    optimizer.dispose();
  });
});

Deno.test("loadCheckpoint() skips newer folders a kill left unfinished or damaged, and loads the last good one", async () => {
  await withTempDir(async (dir) => {
    const checkpointDir = join(dir, "checkpoint");
    const model = smallModel();
    const optimizer = tf.train.adam(0.01);
    await saveEpochs(checkpointDir, model, optimizer, 2);
    const good = weightsOf(model);
    // Killed mid-write: a staging folder that was never renamed.
    await Deno.mkdir(join(checkpointDir, ".step-000005.1234.tmp"));
    await Deno.writeTextFile(join(checkpointDir, ".step-000005.1234.tmp", "model.json"), "{");
    // A folder whose weights were cut short, one without its manifest, one with a file missing.
    for (const name of ["step-000003", "step-000004", "step-000006"]) {
      await Deno.mkdir(join(checkpointDir, name));
      for await (const entry of Deno.readDir(join(checkpointDir, "step-000002"))) {
        await Deno.copyFile(join(checkpointDir, "step-000002", entry.name), join(checkpointDir, name, entry.name));
      }
    }
    await Deno.truncate(join(checkpointDir, "step-000003", "weights.bin"), 10);
    await Deno.remove(join(checkpointDir, "step-000004", "manifest.json"));
    await Deno.remove(join(checkpointDir, "step-000006", "optimizer.bin"));
    const before = tf.memory().numTensors;
    const checkpoint = await loadCheckpoint<{ epoch: number }>(checkpointDir);
    assertEquals(checkpoint.state, { epoch: 2 });
    assertEquals(checkpoint.dir, join(checkpointDir, "step-000002"));
    assertEquals(weightsOf(checkpoint.model), good);
    assertEquals(checkpoint.skipped.length, 3);
    assertStringIncludes(checkpoint.skipped[0], "step-000006: optimizer.bin is missing");
    assertStringIncludes(checkpoint.skipped[1], "step-000004: no readable manifest.json");
    assertStringIncludes(checkpoint.skipped[2], "step-000003: weights.bin has 10 bytes");
    checkpoint.model.dispose();
    assertEquals(tf.memory().numTensors, before);
    // The next checkpoint is numbered after every folder there and clears the damaged ones away.
    await saveCheckpoint(checkpointDir, model, optimizer, { epoch: 3 });
    assertEquals(await namesIn(checkpointDir), ["step-000006", "step-000007"]);
    model.dispose();
    optimizer.dispose();
  });
});

Deno.test("loadCheckpoint() and restoreOptimizer() leave no tensor behind", async () => {
  await withTempDir(async (dir) => {
    const model = smallModel();
    const optimizer = tf.train.adam(0.01);
    await saveEpochs(join(dir, "checkpoint"), model, optimizer, 1);
    const before = tf.memory().numTensors;
    const checkpoint = await loadCheckpoint(join(dir, "checkpoint"));
    const resumed = tf.train.adam(0.01);
    await checkpoint.restoreOptimizer(resumed);
    checkpoint.model.dispose();
    resumed.dispose();
    // Before the fix the decoded optimizer tensors (iteration count, moments) stayed allocated.
    assertEquals(tf.memory().numTensors, before);
    model.dispose();
    optimizer.dispose();
  });
});

Deno.test("saveCheckpoint() and loadModel() leave no tensor behind when they fail", async () => {
  await withTempDir(async (dir) => {
    const model = smallModel();
    const optimizer = tf.train.adam(0.01);
    await trainStep(model, optimizer, batch, 3);
    const before = tf.memory().numTensors;
    await Deno.writeTextFile(join(dir, "file"), "a file where the checkpoint folder should go");
    await assertRejects(() => saveCheckpoint(join(dir, "file"), model, optimizer, {}));
    assertEquals(tf.memory().numTensors, before);
    // A state JSON cannot hold: before the fix the iteration count scalar of getWeights() stayed allocated.
    await assertRejects(() => saveCheckpoint(join(dir, "checkpoint"), model, optimizer, { epoch: 1n }), TypeError);
    assertEquals(tf.memory().numTensors, before);
    // A model.json whose weight names do not match its layers fails after the layers were built.
    await saveModel(join(dir, "model"), model);
    const json = JSON.parse(await Deno.readTextFile(join(dir, "model", "model.json")));
    json.weightsManifest[0].weights[0].name = "no_such_layer/kernel";
    await Deno.writeTextFile(join(dir, "model", "model.json"), JSON.stringify(json));
    await assertRejects(() => loadModel(join(dir, "model")), Error, "cannot load the model");
    assertEquals(tf.memory().numTensors, before);
    model.dispose();
    optimizer.dispose();
  });
});

Deno.test("loadCheckpoint() reads the flat checkpoint folder of older runs, also one a kill left aside", async () => {
  await withTempDir(async (dir) => {
    const model = smallModel();
    const optimizer = tf.train.adam(0.01);
    await saveEpochs(join(dir, "new"), model, optimizer, 1);
    // The layout before numbered checkpoints: the files right in checkpoint/, which the old
    // replaceDirAtomic, killed between its renames, left as .checkpoint.<suffix>.tmp.old.
    const aside = join(dir, "run", ".checkpoint.mf1-ab.tmp.old");
    await Deno.mkdir(aside, { recursive: true });
    for (const name of ["model.json", "weights.bin", "optimizer.json", "optimizer.bin", "state.json"]) {
      await Deno.copyFile(join(dir, "new", "step-000001", name), join(aside, name));
    }
    const checkpoint = await loadCheckpoint<{ epoch: number }>(join(dir, "run", "checkpoint"));
    assertEquals(checkpoint.state, { epoch: 1 });
    assertEquals(weightsOf(checkpoint.model), weightsOf(model));
    // The next save turns it into the numbered layout.
    await saveCheckpoint(join(dir, "run", "checkpoint"), model, optimizer, { epoch: 2 });
    assertEquals(await namesIn(join(dir, "run", "checkpoint")), ["step-000001"]);
    [model, checkpoint.model].forEach((m) => m.dispose());
    optimizer.dispose();
  });
});
