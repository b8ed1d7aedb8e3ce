import { assert, assertEquals, assertThrows } from "@std/assert";
import {
  INTRA_STRIDE_SECONDS,
  RUN_DEFAULTS,
  type RunConfig,
  runConfig,
  TASK_SPLITS,
} from "../../training/run_config.ts";
import { MODELS } from "../../models/registry.ts";
import { BACKEND_CHOICES } from "../../backends/backend.ts";

const window = (config: RunConfig) => config.preprocess.find((s) => s.op === "window");

Deno.test("runConfig() fills every field from the defaults and the task's splits", () => {
  const config = runConfig("cross", "/data");
  assertEquals(config, { ...RUN_DEFAULTS, ...TASK_SPLITS.cross, task: "cross", data: "/data" });
  assertEquals(
    Object.keys(config).sort(),
    [...Object.keys(RUN_DEFAULTS), "task", "data", "trainSplits", "validation", "validationSplits", "testSplits"]
      .sort(),
  );
});

Deno.test("runConfig() validates cross-subject runs on held-out training chunks and tests on all three test folders", () => {
  const config = runConfig("cross", "/data");
  assertEquals(config.trainSplits, ["Cross/train"]);
  assertEquals([config.validation, config.validationSplits, config.holdoutChunks], ["holdout", [], 1]);
  assertEquals(config.testSplits, ["Cross/test1", "Cross/test2", "Cross/test3"]);
  assertEquals(window(config), { op: "window", windowSeconds: 2, strideSeconds: 1 });
});

Deno.test("runConfig() with validationSplits and no validation (scripts written before it) validates on the folders", () => {
  const config = runConfig("cross", "/data", { validationSplits: ["Cross/test1", "Cross/test2"] });
  assertEquals([config.validation, config.validationSplits], ["splits", ["Cross/test1", "Cross/test2"]]);
  assertEquals(runConfig("cross", "/data", { validation: "loso" }).validation, "loso");
});

Deno.test("runConfig() holds out training chunks for intra-subject runs and strides their windows by 0.5 s", () => {
  // spectral: a recipe without intra settings (cnn's and gru's intra recipes train on every chunk, holdoutChunks 0).
  const config = runConfig("intra", "/data", { model: "spectral" });
  assertEquals([config.trainSplits, config.validationSplits, config.testSplits], [["Intra/train"], [], ["Intra/test"]]);
  assertEquals(config.holdoutChunks, 1);
  assertEquals(INTRA_STRIDE_SECONDS, 0.5);
  assertEquals(window(config), { op: "window", windowSeconds: 2, strideSeconds: INTRA_STRIDE_SECONDS });
  // Only the stride differs from the cross-subject steps (for a model without intra steps of its own).
  const cnn = runConfig("intra", "/data", { model: "cnn" });
  assertEquals(cnn.preprocess.map((s) => s.op), runConfig("cross", "/data").preprocess.map((s) => s.op));
  assertEquals(window(cnn), { op: "window", windowSeconds: 2, strideSeconds: INTRA_STRIDE_SECONDS });
});

Deno.test("runConfig() defaults name a registered model and backend and augment training windows", () => {
  const config = runConfig("cross", "/data");
  assertEquals(config.model in MODELS, true);
  assertEquals(BACKEND_CHOICES.includes(config.backend), true);
  assertEquals(config.preprocess.map((s) => s.op), ["resample", "zscore", "window", "augment"]);
  assertEquals([config.epochs, config.batchSize, config.learningRate, config.schedule], [30, 32, 1e-3, "cosine"]);
  assertEquals([config.concurrency, config.seed, config.adaptBatchNorm, config.mixupAlpha], [1, 42, true, 0]);
  assertEquals([config.labelSmoothing, config.weightDecay, config.testTimeAdaptation], [0, 0, "none"]);
  assertEquals([config.maxSamples, config.cacheDir], [null, null]);
});

Deno.test("runConfig() lets overrides replace any field, splits and steps included", () => {
  const steps = [{ op: "window" as const, windowSeconds: 1 }];
  const config = runConfig("intra", "/data", {
    epochs: 3,
    model: "spectral", // a recipe that leaves holdoutChunks alone (cnn's and gru's intra recipes set 0)
    testSplits: ["Intra/other"],
    preprocess: steps,
    seed: 0,
    cacheDir: "/cache",
  });
  assertEquals([config.epochs, config.model, config.seed, config.cacheDir], [3, "spectral", 0, "/cache"]);
  assertEquals(config.testSplits, ["Intra/other"]);
  assertEquals(config.preprocess, steps); // not re-strided
  assertEquals(config.trainSplits, ["Intra/train"]);
  assertEquals(config.holdoutChunks, RUN_DEFAULTS.holdoutChunks);
});

Deno.test("runConfig() returns steps that can be changed without changing the defaults", () => {
  const config = runConfig("intra", "/data");
  assert(config.preprocess !== RUN_DEFAULTS.preprocess);
  const step = config.preprocess[0];
  if (step.op === "resample") step.toHz = 250;
  config.preprocess.push({ op: "align" });
  assertEquals(RUN_DEFAULTS.preprocess[0], { op: "resample", toHz: 125 });
  assertEquals(runConfig("intra", "/data").preprocess.length, 4); // cnn's intra recipe: the shared steps
  assertEquals(window(runConfig("cross", "/data")), { op: "window", windowSeconds: 2, strideSeconds: 1 });
});

Deno.test("runConfig() is plain JSON: it survives config.json unchanged", () => {
  for (const task of ["cross", "intra"] as const) {
    const config = runConfig(task, "/data", { maxSamples: 4096 });
    assertEquals(JSON.parse(JSON.stringify(config)), config);
  }
});

Deno.test("runConfig() rejects an unknown task, naming it", () => {
  assertThrows(
    () => runConfig("both" as never, "/data"),
    RangeError,
    "Unknown task: expected cross or intra, got both",
  );
  assertThrows(() => runConfig(undefined as never, "/data"), RangeError, "got undefined");
});
