import { assertEquals } from "@std/assert";
import { runConfig } from "../../training/run_config.ts";

Deno.test("model_recipes: train-cross and train-intra --model vivit start with one warm-up epoch; flags still win", () => {
  assertEquals(runConfig("cross", "/data", { model: "vivit" }).warmupEpochs, 1);
  assertEquals(runConfig("intra", "/data", { model: "vivit" }).warmupEpochs, 1);
  assertEquals(runConfig("cross", "/data", { model: "vivit", warmupEpochs: 0 }).warmupEpochs, 0);
  assertEquals(runConfig("cross", "/data", { model: "cnn" }).warmupEpochs, 0);
});
