import { assertEquals } from "@std/assert";
import { runConfig } from "../../training/run_config.ts";

Deno.test("model_recipes: train-cross --model cascade trains 30 epochs at lr 3e-3 (chosen on loso); train-intra 30 at 3e-3 too (chosen on cv-intra), on every chunk; flags still win", () => {
  const cross = runConfig("cross", "/data", { model: "cascade" });
  assertEquals([cross.epochs, cross.learningRate, cross.holdoutChunks], [30, 3e-3, 1]);
  const intra = runConfig("intra", "/data", { model: "cascade" });
  // Since session 18 (cv-intra): no held-out chunk, the last of the 30 epochs kept.
  assertEquals([intra.epochs, intra.learningRate, intra.holdoutChunks], [30, 3e-3, 0]);
  assertEquals(runConfig("cross", "/data", { model: "cascade", epochs: 8 }).epochs, 8);
});

Deno.test("model_recipes: train-cross --model cascade adds the temporal filter bank (4 filters, chosen on loso); train-intra its log band powers with mixup, weight decay and smoothing (chosen on cv-intra)", () => {
  assertEquals(runConfig("cross", "/data", { model: "cascade" }).modelOptions, { temporalFilters: 4 });
  // Since session 20: log(1 + x²) of the 4 band images before the frame CNN.
  assertEquals(runConfig("intra", "/data", { model: "cascade" }).modelOptions, {
    temporalFilters: 4,
    logEnergy: "bands",
  });
  const intra = runConfig("intra", "/data", { model: "cascade" });
  assertEquals([intra.mixupAlpha, intra.weightDecay, intra.labelSmoothing], [0.2, 0.01, 0.1]);
  assertEquals(runConfig("cross", "/data", { model: "cascade" }).mixupAlpha ?? 0, 0);
});
