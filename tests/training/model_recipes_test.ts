import { assertEquals } from "@std/assert";
import { MODEL_RECIPES, recipeSettings } from "../../training/model_recipes.ts";
import { runConfig } from "../../training/run_config.ts";
import { MODELS } from "../../models/registry.ts";

Deno.test("model_recipes: every recipe names a registered model and says why", () => {
  for (const [name, recipe] of Object.entries(MODEL_RECIPES)) {
    assertEquals(Object.hasOwn(MODELS, name), true, `recipe ${name} has no model`);
    assertEquals(recipe.why.length > 20, true, `recipe ${name} does not say why`);
  }
});

Deno.test("model_recipes: every recipe's settings pass runConfig's checks for both tasks", () => {
  for (const name of Object.keys(MODEL_RECIPES)) {
    for (const task of ["cross", "intra"] as const) {
      const config = runConfig(task, "/data", { model: name });
      const recipe = recipeSettings(name, task);
      for (const key of ["epochs", "learningRate", "warmupEpochs", "mixupAlpha", "adaptBatchNorm"] as const) {
        if (recipe[key] !== undefined) assertEquals(config[key], recipe[key], `${name} ${task} ${key}`);
      }
    }
  }
});

Deno.test("runConfig: a recipe sits between the defaults and the overrides, and the intra stride applies to its steps", () => {
  const recipes = MODEL_RECIPES as Record<string, unknown>;
  const saved = recipes.gru;
  recipes.gru = {
    why: "a test recipe, removed after the test",
    settings: {
      epochs: 7,
      learningRate: 3e-4,
      preprocess: [{ op: "resample", toHz: 125 }, { op: "window", windowSeconds: 2, strideSeconds: 1 }],
    },
    cross: { warmupEpochs: 2 },
  };
  try {
    const cross = runConfig("cross", "/data", { model: "gru", learningRate: 1e-3 });
    assertEquals([cross.epochs, cross.learningRate, cross.warmupEpochs], [7, 1e-3, 2]);
    const intra = runConfig("intra", "/data", { model: "gru" });
    assertEquals([intra.epochs, intra.warmupEpochs], [7, 0]);
    assertEquals(intra.preprocess[1], { op: "window", windowSeconds: 2, strideSeconds: 0.5 });
    assertEquals(cross.preprocess[1], { op: "window", windowSeconds: 2, strideSeconds: 1 });
    // Another model keeps the shared defaults.
    assertEquals(runConfig("cross", "/data", { model: "cnn" }).epochs, 30);
  } finally {
    if (saved === undefined) delete recipes.gru;
    else recipes.gru = saved;
  }
});

Deno.test("model_recipes: gru trains 30 epochs with label smoothing 0.1 and tsa's stronger augmentation across subjects, within one subject as measured before", () => {
  // Chosen on leave-one-subject-out validation (docs/models.md, sessions 14 and 17); intra was not searched.
  const cross = runConfig("cross", "/data", { model: "gru" });
  assertEquals([cross.epochs, cross.labelSmoothing, cross.learningRate, cross.mixupAlpha], [30, 0.1, 1e-3, 0.2]);
  assertEquals(cross.modelOptions.stem, "temporalSpatial");
  assertEquals(cross.preprocess.at(-1), { op: "augment", sensorDropProb: 0.25, gainStd: 0.3, noiseStd: 0.2 });
  assertEquals(cross.weightAverage, 0);
  const intra = runConfig("intra", "/data", { model: "gru" });
  assertEquals([intra.labelSmoothing, intra.mixupAlpha, intra.weightDecay], [0, 0.2, 0.01]);
  assertEquals(intra.preprocess.at(-1), { op: "augment" }); // the shared augmentation
});

Deno.test("model_recipes: train-intra --model gru trains 40 epochs on every Intra/train chunk (chosen on cv-intra); train-cross still holds out a chunk", () => {
  const intra = runConfig("intra", "/data", { model: "gru" });
  assertEquals([intra.epochs, intra.holdoutChunks, intra.validation], [40, 0, "holdout"]);
  assertEquals(runConfig("cross", "/data", { model: "gru" }).holdoutChunks, 1);
  // A --config file (or flag) still wins: one held-out chunk per class validates again.
  assertEquals(runConfig("intra", "/data", { model: "gru", holdoutChunks: 1 }).holdoutChunks, 1);
});

Deno.test("model_recipes: train-intra --model tsa trains every sensor's log band powers of 25-sample segments 30 epochs at lr 2e-3 on every Intra/train chunk with mixup, decay and smoothing (chosen on cv-intra, sessions 19 and 22)", () => {
  const intra = runConfig("intra", "/data", { model: "tsa" });
  assertEquals(intra.modelOptions, {
    dropProb: 0,
    embedding: "sensorPower",
    embeddingNorm: "sensorBatch",
    segLen: 25,
    bandFilters: 32,
  });
  assertEquals([intra.epochs, intra.learningRate, intra.holdoutChunks], [30, 2e-3, 0]);
  assertEquals([intra.mixupAlpha, intra.weightDecay, intra.labelSmoothing], [0.2, 0.01, 0.1]);
  assertEquals(intra.preprocess.at(-1), { op: "augment" }); // the shared augmentation, windows every 0.5 s
  assertEquals(intra.preprocess[2], { op: "window", windowSeconds: 2, strideSeconds: 0.5 });
  // Across subjects unchanged: 15 epochs, no mixup, the strong augmentation, a held-out chunk.
  const cross = runConfig("cross", "/data", { model: "tsa" });
  assertEquals([cross.epochs, cross.mixupAlpha, cross.holdoutChunks], [15, 0, 1]);
});

Deno.test("model_recipes: train-intra --model vivit trains each cell's log band powers as linear tokens 45 epochs on every Intra/train chunk with the shared augmentation (chosen on cv-intra, sessions 20 and 21)", () => {
  const intra = runConfig("intra", "/data", { model: "vivit" });
  // The session-17 cross network with cell log powers (session 20), written out in full (no FIR cell filters, the
  // registry defaults' since session 21): the cross entry and the defaults may change on their own.
  const network = {
    cellFilters: 4,
    cellPower: true,
    stem: "linear",
    tubelet: [50, 20, 20],
    spatialDepth: 0,
    embedDim: 32,
    numHeads: 2,
    spatialFilters: 8,
    cellFilterTaps: 0,
    temporalDepth: 2,
  };
  assertEquals(intra.modelOptions, network);
  assertEquals([intra.epochs, intra.learningRate, intra.warmupEpochs, intra.holdoutChunks], [45, 3e-3, 1, 0]);
  assertEquals([intra.mixupAlpha, intra.weightDecay, intra.labelSmoothing], [0.2, 0.01, 0]);
  // The shared defaults' augmentation (session 21), not the cross recipe's stronger one.
  assertEquals(intra.preprocess.map((step) => step.op), ["resample", "zscore", "window", "augment"]);
  assertEquals(intra.preprocess.at(-1), { op: "augment" });
  assertEquals(intra.preprocess[2], { op: "window", windowSeconds: 2, strideSeconds: 0.5 });
});
