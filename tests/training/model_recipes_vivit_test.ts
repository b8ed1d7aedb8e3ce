import { assertEquals } from "@std/assert";
import { runConfig } from "../../training/run_config.ts";

Deno.test("model_recipes: train-cross and train-intra --model vivit start with one warm-up epoch; flags still win", () => {
  assertEquals(runConfig("cross", "/data", { model: "vivit" }).warmupEpochs, 1);
  assertEquals(runConfig("intra", "/data", { model: "vivit" }).warmupEpochs, 1);
  assertEquals(runConfig("cross", "/data", { model: "vivit", warmupEpochs: 0 }).warmupEpochs, 0);
  assertEquals(runConfig("cross", "/data", { model: "cnn" }).warmupEpochs, 0);
});

Deno.test("model_recipes: train-cross --model vivit uses whole-grid 50-sample tubelets over cellFilters 8 and spatialFilters 8, FIR filter-bank log band powers (cellFilterTaps 32) into 2 temporal transformer blocks, embedDim 32, lr 3e-3, stronger augmentation, 45 epochs (chosen on loso and holdout runs) and patience 30; flags still win (train-intra's recipe: model_recipes_test.ts)", () => {
  assertEquals(runConfig("cross", "/data", { model: "vivit" }).patience, 30);
  assertEquals(runConfig("intra", "/data", { model: "vivit" }).patience, 10);
  assertEquals(runConfig("cross", "/data", { model: "vivit", patience: 5 }).patience, 5);
  assertEquals(runConfig("cross", "/data", { model: "vivit" }).modelOptions, {
    cellFilters: 8,
    tubelet: [50, 20, 20],
    spatialDepth: 0,
    embedDim: 32,
    numHeads: 2,
    spatialFilters: 8,
    // session 21: FIR filter-bank log band powers as linear tokens, 2 temporal transformer blocks
    cellFilterTaps: 32,
    stem: "linear",
    temporalDepth: 2,
  });
  // tsa's stronger augmentation (session 17), cross only
  assertEquals(runConfig("cross", "/data", { model: "vivit" }).preprocess.at(-1), {
    op: "augment",
    sensorDropProb: 0.25,
    gainStd: 0.3,
    noiseStd: 0.2,
  });
  assertEquals(runConfig("cross", "/data", { model: "vivit" }).epochs, 45);
  assertEquals(runConfig("cross", "/data", { model: "vivit", epochs: 30 }).epochs, 30);
  assertEquals(runConfig("cross", "/data", { model: "vivit" }).learningRate, 3e-3);
  assertEquals(runConfig("cross", "/data", { model: "vivit", learningRate: 1e-3 }).learningRate, 1e-3);
  assertEquals(runConfig("cross", "/data", { model: "vivit", modelOptions: { embedDim: 32 } }).modelOptions, {
    embedDim: 32,
  });
});
