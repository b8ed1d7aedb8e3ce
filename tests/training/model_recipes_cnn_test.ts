import { assertEquals } from "@std/assert";
import { INTRA_STRIDE_SECONDS, RUN_DEFAULTS, runConfig } from "../../training/run_config.ts";

Deno.test("model_recipes: train-intra --model cnn trains 40 epochs on every Intra/train chunk with the shared augmentation, windows every 0.5 s (chosen on cv-intra)", () => {
  const intra = runConfig("intra", "/data", { model: "cnn" });
  assertEquals(intra.preprocess, [
    { op: "resample", toHz: 125 },
    { op: "zscore", mode: "recording" },
    { op: "window", windowSeconds: 2, strideSeconds: INTRA_STRIDE_SECONDS },
    { op: "augment" },
  ]);
  assertEquals([intra.epochs, intra.holdoutChunks, intra.validation], [40, 0, "holdout"]);
  // Everything else is the shared defaults.
  assertEquals(
    [intra.learningRate, intra.batchSize, intra.mixupAlpha, intra.weightDecay, intra.adaptBatchNorm],
    [RUN_DEFAULTS.learningRate, RUN_DEFAULTS.batchSize, 0, 0, true],
  );
  // A --config key still validates on a held-out chunk.
  assertEquals(runConfig("intra", "/data", { model: "cnn", holdoutChunks: 1 }).holdoutChunks, 1);
});

Deno.test("model_recipes: train-cross --model cnn keeps the shared defaults; flags still win", () => {
  const cross = runConfig("cross", "/data", { model: "cnn" });
  assertEquals(cross.preprocess, RUN_DEFAULTS.preprocess);
  assertEquals([cross.epochs, cross.holdoutChunks], [RUN_DEFAULTS.epochs, RUN_DEFAULTS.holdoutChunks]);
  const steps = [{ op: "window" as const, windowSeconds: 1 }];
  assertEquals(runConfig("intra", "/data", { model: "cnn", preprocess: steps }).preprocess, steps);
});
