import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { join } from "node:path";
import { embedData } from "../../orchestration/embed_data.ts";
import { writeToyData } from "./_toy_data.ts";
import * as tf from "@tensorflow/tfjs-core";
import type { PreprocessStep } from "../../pipeline/preprocess.ts";
import { runConfig } from "../../training/run_config.ts";
import { buildModel } from "../../models/registry.ts";
import { saveModel } from "../../training/checkpoint.ts";

Deno.test("embedData() writes embed.html, embed.json and codes.csv; the class probe separates the toy classes", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await writeToyData(join(dir, "data"));
    const out = join(dir, "embed");
    const summary = await embedData(join(dir, "data"), {
      out,
      splits: ["Cross/train", "Cross/test1", "Cross/test3"],
      codeSize: 8,
      preprocess: [
        { op: "resample", toHz: 125 },
        { op: "zscore" },
        { op: "window", windowSeconds: 0.5, strideSeconds: 0.25 },
        { op: "bandPower" },
      ],
      epochs: 10,
      backend: "cpu",
      cacheDir: join(dir, "cache"),
      log: () => {},
    });
    assertEquals(Object.keys(summary.classProbe), ["test1", "test3"]);
    assert(summary.classProbe.test3 >= 0.75, `class probe ${summary.classProbe.test3}`);
    assertEquals(summary.windows, { train: 12, test1: 12, test3: 12 }); // 3 windows of each 1 s recording
    const json = JSON.parse(await Deno.readTextFile(join(out, "embed.json")));
    assertEquals(json.classProbe, summary.classProbe);
    assertEquals(json.subjectProbe, null); // every toy recording is chunk 1: no even chunk to test the subject probe on
    const html = await Deno.readTextFile(join(out, "embed.html"));
    assertStringIncludes(html, "codes, coloured by class");
    assertStringIncludes(html, "band powers, coloured by subject");
    const csv = (await Deno.readTextFile(join(out, "codes.csv"))).trim().split("\n");
    assertEquals(csv[0].split(",").length, 5 + 8);
    assertEquals(csv.length, 1 + 36);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("embedData() refuses to write into the data folder", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assertRejects(() => embedData(dir, { out: join(dir, "embed") }), RangeError, "inside the data folder");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("embedData() with modelRun embeds a run's penultimate-layer activations over the run's own preprocessing", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await writeToyData(join(dir, "data"));
    await tf.setBackend("cpu");
    const runDir = join(dir, "run");
    const preprocess: PreprocessStep[] = [
      { op: "resample", toHz: 125 },
      { op: "zscore" },
      { op: "window", windowSeconds: 0.5, strideSeconds: 0.25 },
      { op: "bandPower" },
    ];
    await Deno.mkdir(runDir);
    await Deno.writeTextFile(
      join(runDir, "config.json"),
      JSON.stringify(runConfig("cross", join(dir, "data"), { model: "spectral", preprocess })),
    );
    const model = buildModel("spectral", { nChans: 248, nTimes: 5 }, 4, { hiddenUnits: 6 });
    await saveModel(join(runDir, "model"), model);
    model.dispose();
    const lines: string[] = [];
    const out = join(dir, "embed");
    const summary = await embedData(join(dir, "data"), {
      out,
      splits: ["Cross/train", "Cross/test1"],
      codeSize: 4,
      epochs: 2,
      modelRun: runDir,
      backend: "cpu",
      cacheDir: join(dir, "cache"),
      log: (line) => lines.push(line),
    });
    assertEquals(summary.features, `model:${runDir}`);
    assertEquals(summary.preprocess, preprocess);
    assertEquals(summary.windows, { train: 12, test1: 12 });
    assertStringIncludes(lines.join("\n"), "24 windows of 6 penultimate-layer activations");
    const html = await Deno.readTextFile(join(out, "embed.html"));
    assertStringIncludes(html, "model features, coloured by class");
    await assertRejects(
      () => embedData(join(dir, "data"), { out, modelRun: join(dir, "data"), backend: "cpu" }),
      RangeError,
      "no readable config.json",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
