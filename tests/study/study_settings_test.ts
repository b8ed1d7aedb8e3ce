import { assert, assertEquals } from "@std/assert";
import { defaultStudySettings, STUDY_MODEL_OPTIONS, STUDY_SPACE, studyRunConfig } from "../../study/study_settings.ts";
import { IMPROVEMENTS } from "../../study/improvements.ts";
import { MODELS } from "../../models/registry.ts";
import { INTRA_STRIDE_SECONDS, TASK_SPLITS } from "../../training/run_config.ts";
import { parseSearchSpace } from "../../tune/search_space.ts";
import { applyParams } from "../../tune/apply_params.ts";

Deno.test("defaultStudySettings() keeps the data folder and cache it is given", () => {
  const settings = defaultStudySettings("/data", "/cache");
  assertEquals([settings.data, settings.cacheDir], ["/data", "/cache"]);
  assertEquals(defaultStudySettings("rel/data", null).cacheDir, null);
});

Deno.test("defaultStudySettings() compares every registered model (raw and spectral input) over three seeds", () => {
  const settings = defaultStudySettings("/data", null);
  assertEquals(settings.models, Object.keys(MODELS));
  assertEquals(settings.seeds, [1, 2, 3]);
  assertEquals(Object.keys(settings.modelOptions).sort(), [...settings.models].sort());
  assertEquals(settings.modelOptions, STUDY_MODEL_OPTIONS);
  assert(settings.models.includes(settings.improvementModel));
  assertEquals(
    [settings.epochs, settings.batchSize, settings.learningRate, settings.windowSeconds, settings.strideSeconds],
    [12, 16, 3e-3, 2, 1],
  );
  assertEquals([settings.intraStrideSeconds, settings.maxSamples, settings.backend], [
    INTRA_STRIDE_SECONDS,
    null,
    "auto",
  ]);
});

Deno.test("defaultStudySettings() names only known improvements and a valid search", () => {
  const settings = defaultStudySettings("/data", null);
  for (const name of settings.improvements) assert(name in IMPROVEMENTS, `unknown improvement ${name}`);
  assertEquals(new Set(settings.improvements).size, settings.improvements.length);
  const search = settings.search!;
  assert(search.model in MODELS);
  assertEquals(parseSearchSpace(search.space), STUDY_SPACE);
  assertEquals([search.strategy, search.trials, search.epochs], ["random", 4, 6]);
  assertEquals([search.crossDir, search.intraDir], [undefined, undefined]);
});

Deno.test("STUDY_MODEL_OPTIONS and STUDY_SPACE are accepted by the models and the search", () => {
  for (const [model, options] of Object.entries(STUDY_MODEL_OPTIONS)) {
    for (const name of Object.keys(options)) {
      assert(name in MODELS[model].defaultOptions, `${model} has no option ${name}`);
    }
  }
  // Every searched value applies to the search model's run configuration.
  const settings = defaultStudySettings("/data", null);
  const base = studyRunConfig(settings, "cross", settings.search!.model, 1);
  const config = applyParams(base, { learningRate: 2e-3, dropProb: 0.3, batchSize: 8 });
  assertEquals([config.learningRate, config.modelOptions.dropProb, config.batchSize], [2e-3, 0.3, 8]);
});

Deno.test("defaultStudySettings() returns a new object with new lists each call", () => {
  const a = defaultStudySettings("/data", null);
  a.models.push("extra");
  a.seeds.length = 0;
  a.improvements.pop();
  a.modelOptions.extra = { units: 1 };
  const b = defaultStudySettings("/data", null);
  assertEquals(b.models, ["cnn", "gru", "vivit", "spectral", "cascade", "tsa"]);
  assertEquals(b.seeds, [1, 2, 3]);
  assertEquals(b.improvements.length, 5);
  assertEquals("extra" in b.modelOptions, false);
  assertEquals("extra" in STUDY_MODEL_OPTIONS, false);
  assert(a.search !== b.search);
});

Deno.test("studyRunConfig() builds a baseline run: 125 Hz, z-score per recording, no augmentation or adaptation", () => {
  const settings = defaultStudySettings("/data", "/cache");
  const config = studyRunConfig(settings, "cross", "cnn", 2);
  assertEquals(config.preprocess, [
    { op: "resample", toHz: 125 },
    { op: "zscore", mode: "recording" },
    { op: "window", windowSeconds: 2, strideSeconds: 1 },
  ]);
  assertEquals(config.adaptBatchNorm, false);
  assertEquals([config.task, config.data, config.model, config.seed], ["cross", "/data", "cnn", 2]);
  assertEquals([config.epochs, config.batchSize, config.learningRate], [12, 16, 3e-3]);
  assertEquals([config.cacheDir, config.maxSamples, config.backend], ["/cache", null, "auto"]);
  assertEquals(
    [config.trainSplits, config.validationSplits, config.testSplits],
    [TASK_SPLITS.cross.trainSplits, TASK_SPLITS.cross.validationSplits, TASK_SPLITS.cross.testSplits],
  );
});

Deno.test("studyRunConfig() strides intra-subject windows by intraStrideSeconds and cross-subject by strideSeconds", () => {
  const settings = {
    ...defaultStudySettings("/data", null),
    windowSeconds: 1.5,
    strideSeconds: 0.75,
    intraStrideSeconds: 0.25,
  };
  const window = (task: "cross" | "intra") =>
    studyRunConfig(settings, task, "gru", 1).preprocess.find((s) => s.op === "window");
  assertEquals(window("cross"), { op: "window", windowSeconds: 1.5, strideSeconds: 0.75 });
  assertEquals(window("intra"), { op: "window", windowSeconds: 1.5, strideSeconds: 0.25 });
  assertEquals(studyRunConfig(settings, "intra", "gru", 1).validationSplits, []);
});

Deno.test("studyRunConfig() validates cross-subject runs as the study's validation says, intra-subject on held-out chunks", () => {
  const settings = defaultStudySettings("/data", null);
  const cross = studyRunConfig(settings, "cross", "cnn", 1);
  // The default leaves test1, test2 and test3 untouched.
  assertEquals([cross.validation, cross.validationSplits, cross.testSplits.length], ["holdout", [], 3]);
  const folders = studyRunConfig({ ...settings, validation: "Cross/test1,Cross/test2" }, "cross", "cnn", 1);
  assertEquals([folders.validation, folders.validationSplits], ["splits", ["Cross/test1", "Cross/test2"]]);
  const intra = studyRunConfig({ ...settings, validation: "loso" }, "intra", "cnn", 1);
  assertEquals(intra.validation, "holdout");
});

Deno.test("studyRunConfig() passes each model its own options, as a copy", () => {
  const settings = defaultStudySettings("/data", null);
  settings.maxSamples = 4096;
  const gru = studyRunConfig(settings, "cross", "gru", 1);
  assertEquals(gru.modelOptions, STUDY_MODEL_OPTIONS.gru);
  assertEquals(gru.maxSamples, 4096);
  gru.modelOptions.units = 999;
  assertEquals(settings.modelOptions.gru.units, 32);
  assertEquals(studyRunConfig(settings, "cross", "cnn", 1).modelOptions, {});
  // A model without options in the study gets the model's defaults.
  delete settings.modelOptions.vivit;
  assertEquals(studyRunConfig(settings, "cross", "vivit", 1).modelOptions, {});
});
