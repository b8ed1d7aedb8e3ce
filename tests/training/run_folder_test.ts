import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { join } from "node:path";
import { checkRunFolder, loadResumeCheckpoint, RUN_FOLDER_ENTRIES } from "../../training/run_folder.ts";
import { saveCheckpoint } from "../../training/checkpoint.ts";
import { withTempDir } from "../_temp_dir.ts";

await tf.setBackend("cpu");

const CONFIG = {
  seed: 42,
  epochs: 3,
  learningRate: 1e-3,
  backend: "wasm",
  cacheDir: "/c",
  modelOptions: { a: 1, b: 2 },
};

Deno.test("checkRunFolder() lets a new run use a missing, empty or foreign folder", async () => {
  await withTempDir(async (dir) => {
    await checkRunFolder(join(dir, "absent"), CONFIG, false);
    await checkRunFolder(dir, CONFIG, false);
    await Deno.writeTextFile(join(dir, "trial.json"), "{}"); // a search writes its trial file first
    await checkRunFolder(dir, CONFIG, false);
  });
});

Deno.test("checkRunFolder() refuses a new run in a folder that holds a run, naming what it found", async () => {
  for (const entry of RUN_FOLDER_ENTRIES) {
    await withTempDir(async (dir) => {
      if (["checkpoint", "model"].includes(entry)) await Deno.mkdir(join(dir, entry));
      else await Deno.writeTextFile(join(dir, entry), "");
      const error = await assertRejects(() => checkRunFolder(dir, CONFIG, false), RangeError);
      assertStringIncludes(error.message, `Refusing to start a new run in ${dir}: it holds a run already (${entry})`);
      assertStringIncludes(error.message, "--resume");
    });
  }
});

Deno.test("checkRunFolder() refuses to resume with a config that differs from config.json, naming each key", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(join(dir, "config.json"), JSON.stringify(CONFIG));
    const error = await assertRejects(
      () => checkRunFolder(dir, { ...CONFIG, seed: 1, learningRate: 0.01 }, true),
      RangeError,
    );
    assertStringIncludes(error.message, `Cannot resume ${dir} with another configuration`);
    assertStringIncludes(error.message, "seed is 1 here but 42 in its config.json");
    assertStringIncludes(error.message, "learningRate is 0.01 here but 0.001");
    assertStringIncludes(error.message, "only epochs, backend, cacheDir may change");
    await assertRejects(
      () => checkRunFolder(dir, { ...CONFIG, modelOptions: { a: 2, b: 2 } }, true),
      RangeError,
      "modelOptions",
    );
  });
});

Deno.test("checkRunFolder() lets a resumed run change epochs, backend and cache, and ignores key order", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(join(dir, "config.json"), JSON.stringify(CONFIG));
    await checkRunFolder(dir, { ...CONFIG, epochs: 10, backend: "cpu", cacheDir: null }, true);
    await checkRunFolder(dir, { ...CONFIG, modelOptions: { b: 2, a: 1 } }, true);
    // A key the saved config lacks (written by an older version) is not compared.
    await checkRunFolder(dir, { ...CONFIG, mixupAlpha: 0, labelSmoothing: 0, weightDecay: 0 }, true);
    // No config.json yet (killed before it was written): nothing to contradict.
    await checkRunFolder(join(dir, "fresh"), CONFIG, true);
  });
});

function tinyModel(): tfl.LayersModel {
  return tfl.sequential({ layers: [tfl.layers.dense({ units: 2, inputShape: [3] })] });
}

Deno.test("loadResumeCheckpoint() starts from epoch 1 only when no epoch was recorded", async () => {
  await withTempDir(async (dir) => {
    const lines: string[] = [];
    assertEquals(await loadResumeCheckpoint(dir, (line) => lines.push(line)), undefined);
    assertStringIncludes(lines[0], "no checkpoint yet: training from epoch 1");
    // Epochs done but no complete checkpoint (e.g. deleted by hand): refused, not silently restarted.
    await Deno.writeTextFile(join(dir, "metrics.jsonl"), '{"epoch":1}\n{"epoch":2}\n');
    await Deno.mkdir(join(dir, "checkpoint", "step-000002"), { recursive: true });
    const error = await assertRejects(() => loadResumeCheckpoint(dir, () => {}), Error);
    assertStringIncludes(error.message, `Cannot resume ${dir}: metrics.jsonl records 2 epochs but`);
    assertStringIncludes(error.message, "step-000002: no readable manifest.json");
  });
});

Deno.test("loadResumeCheckpoint() continues from the last good checkpoint, reports the damaged one, puts model/ back", async () => {
  await withTempDir(async (dir) => {
    const model = tinyModel();
    const optimizer = tf.train.adam(0.01);
    await saveCheckpoint(join(dir, "checkpoint"), model, optimizer, { epoch: 1 });
    await Deno.mkdir(join(dir, "checkpoint", "step-000002"));
    // The best model, moved aside by a replaceDirAtomic killed between its two renames.
    await Deno.mkdir(join(dir, ".model.1234.0.old"));
    await Deno.writeTextFile(join(dir, ".model.1234.0.old", "model.json"), "{}");
    const lines: string[] = [];
    const checkpoint = await loadResumeCheckpoint<{ epoch: number }>(dir, (line) => lines.push(line));
    assertEquals(checkpoint?.state, { epoch: 1 });
    assertEquals(lines.length, 1);
    assertStringIncludes(lines[0], "ignoring an incomplete checkpoint");
    assertStringIncludes(lines[0], "step-000002");
    assertEquals(await Deno.readTextFile(join(dir, "model", "model.json")), "{}");
    checkpoint?.model.dispose();
    model.dispose();
    optimizer.dispose();
  });
});
