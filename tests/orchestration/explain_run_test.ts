import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { runConfig } from "../../training/run_config.ts";
import { trainRun } from "../../orchestration/train_run.ts";
import { explainRun, spatialFilters } from "../../orchestration/explain_run.ts";
import { CENTRES, inRegion, layout, toyRunSettings, writeToyData } from "./_toy_data.ts";
import { buildModel } from "../../models/registry.ts";

Deno.test("explainRun() puts each class's saliency where the class's source is, writes the files and the report section", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await writeToyData(join(dir, "data"));
    const config = runConfig("cross", join(dir, "data"), {
      model: "spectral",
      modelOptions: { hiddenUnits: 0, dropProb: 0 },
      epochs: 20,
      cacheDir: join(dir, "cache"),
      adaptBatchNorm: false,
      batchSize: 16,
      learningRate: 0.03,
      ...toyRunSettings(),
    });
    const runDir = join(dir, "run");
    const results = await trainRun(config, { runDir, log: () => {} });
    assert(results.splits.test3.windowAccuracy > 0.9, `test3 accuracy ${results.splits.test3.windowAccuracy}`);
    const { saliency, gradientTimesInput } = await explainRun(runDir, {
      split: "Cross/test3",
      steps: 8,
      log: () => {},
    });
    assertEquals(Object.keys(saliency), ["method", "split", "classes", "channels", "perClass", "perBand"]);
    assertEquals([saliency.method, saliency.split, gradientTimesInput.method], [
      "integrated-gradients",
      "test3",
      "gradient-x-input",
    ]);
    assertEquals(saliency.classes, ["rest", "math", "memory", "motor"]);
    assertEquals(saliency.channels, Array.from({ length: 248 }, (_, c) => `A${c + 1}`));
    for (const [k, name] of saliency.classes.entries()) {
      const values = saliency.perClass[name];
      assertEquals(values.length, 248);
      const top = values.map((v, c) => [v, c]).sort((a, b) => b[0] - a[0]).slice(0, 5).map(([, c]) => c);
      assert(
        top.filter((c) => inRegion(c, k)).length >= 4,
        `${name}: top sensors ${top.map((c) => layout.channels[c])}`,
      );
      const means = CENTRES.map((_, j) => {
        const picked = values.filter((_, c) => inRegion(c, j));
        return picked.reduce((a, b) => a + b, 0) / picked.length;
      });
      assertEquals(means.indexOf(Math.max(...means)), k, `${name}: mean saliency per region ${means}`);
    }
    const files = [...Deno.readDirSync(join(runDir, "explain"))].map((e) => e.name).sort();
    const bandNames = ["delta", "theta", "alpha", "beta", "gamma"];
    assertEquals(
      files,
      [
        "explain.json",
        "saliency.json",
        "saliency_gradient_x_input.json",
        ...saliency.classes.flatMap((c) => [`saliency_${c}.svg`, ...bandNames.map((b) => `saliency_${c}_${b}.svg`)]),
      ].sort(),
    );
    const explanation = JSON.parse(await Deno.readTextFile(join(runDir, "explain", "explain.json")));
    assertEquals(explanation.perBand.bands, bandNames);
    for (const name of saliency.classes) {
      // the band-power model's input is per (sensor, band): its band maps add up to the sensor map
      assertEquals(Object.keys(saliency.perBand[name]), bandNames);
      const summed = saliency.perClass[name].map((_, c) =>
        bandNames.reduce((a, b) => a + saliency.perBand[name][b][c], 0)
      );
      summed.forEach((v, c) =>
        assert(Math.abs(v - saliency.perClass[name][c]) < 1e-5 * (1 + v), `${name} sensor ${c}`)
      );
    }
    for (const name of saliency.classes) {
      // both are |IG| over every (sensor, band), summed one way or the other
      const total = (values: number[]) => values.reduce((x, y) => x + y, 0);
      const [byBand, bySensor] = [total(explanation.perBand.perClass[name]), total(saliency.perClass[name])];
      assert(Math.abs(byBand - bySensor) < 1e-4 * bySensor, `${name}: ${byBand} vs ${bySensor}`);
    }
    const report = await Deno.readTextFile(join(runDir, "report.html"));
    assertStringIncludes(report, "Inside the model");
    assertStringIncludes(report, "This model has no spatial filters to draw.");
    assertEquals(JSON.parse(await Deno.readTextFile(join(runDir, "explain", "saliency.json"))), saliency);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("explainRun() refuses a folder that is not a run and a split the run did not evaluate", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assertRejects(() => explainRun(dir), RangeError, "not a megflow run folder");
    const config = runConfig("cross", join(dir, "data"), { testSplits: ["Cross/test1", "Cross/test2"] });
    await Deno.writeTextFile(join(dir, "config.json"), JSON.stringify(config));
    await assertRejects(() => explainRun(dir), RangeError, "no model/model.json");
    await Deno.mkdir(join(dir, "model"));
    await Deno.writeTextFile(join(dir, "model", "model.json"), "{}");
    await Deno.writeTextFile(join(dir, "results.json"), JSON.stringify({ splits: { test1: {}, test2: {} } }));
    await assertRejects(
      () => explainRun(dir, { split: "test3" }),
      RangeError,
      `the run did not evaluate split "test3"; it evaluated test1, test2`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("spatialFilters() reads EEGNet's depthwise kernel, one map of nChans weights per (F1, D)", async () => {
  await tf.setBackend("cpu");
  for (const spatialFirst of [true, false]) {
    const model = buildModel("cnn", { nChans: 6, nTimes: 64 }, 4, { kernLength: 16, temporalFilters: 3, spatialFirst });
    const filters = spatialFilters(model);
    assertEquals(filters.map((f) => f.name), ["1_1", "1_2", "2_1", "2_2", "3_1", "3_2"]);
    assert(filters.every((f) => f.weights.length === 6));
    const kernel = model.weights.find((w) => /spatial/.test(w.originalName) && w.shape[0] === 6)!
      .read().arraySync() as number[][][][];
    assertEquals(filters[3].weights, kernel.map((row) => row[0][1][1])); // filter 2, depth 2
    model.dispose();
  }
  assertEquals(spatialFilters(buildModel("spectral", { nChans: 6, nTimes: 5 }, 4)), []);
});
