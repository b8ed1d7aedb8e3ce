import { assertEquals } from "@std/assert";
import { INTRA_STRIDE_SECONDS, RUN_DEFAULTS, runConfig } from "../../training/run_config.ts";

Deno.test("model_recipes: train-intra --model cnn trains without augmentation (chosen on held-out chunks), windows every 0.5 s; train-cross keeps the shared steps", () => {
  const intra = runConfig("intra", "/data", { model: "cnn" });
  assertEquals(intra.preprocess, [
    { op: "resample", toHz: 125 },
    { op: "zscore", mode: "recording" },
    { op: "window", windowSeconds: 2, strideSeconds: INTRA_STRIDE_SECONDS },
  ]);
  // Everything else is the shared defaults.
  assertEquals(
    [intra.epochs, intra.learningRate, intra.batchSize, intra.patience, intra.mixupAlpha, intra.adaptBatchNorm],
    [RUN_DEFAULTS.epochs, RUN_DEFAULTS.learningRate, RUN_DEFAULTS.batchSize, RUN_DEFAULTS.patience, 0, true],
  );
  // Cross-subject EEGNet keeps the shared steps, augmentation included.
  assertEquals(runConfig("cross", "/data", { model: "cnn" }).preprocess, RUN_DEFAULTS.preprocess);
  // A flag still wins over the recipe.
  const steps = [{ op: "window" as const, windowSeconds: 1 }];
  assertEquals(runConfig("intra", "/data", { model: "cnn", preprocess: steps }).preprocess, steps);
});
