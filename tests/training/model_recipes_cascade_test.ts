import { assertEquals } from "@std/assert";
import { runConfig } from "../../training/run_config.ts";

Deno.test("model_recipes: train-cross --model cascade trains 30 epochs at lr 3e-3 (chosen on loso); train-intra keeps 20 at 2e-3; flags still win", () => {
  const cross = runConfig("cross", "/data", { model: "cascade" });
  assertEquals([cross.epochs, cross.learningRate], [30, 3e-3]);
  const intra = runConfig("intra", "/data", { model: "cascade" });
  assertEquals([intra.epochs, intra.learningRate], [20, 2e-3]);
  assertEquals(runConfig("cross", "/data", { model: "cascade", epochs: 8 }).epochs, 8);
});
