import { assertEquals } from "@std/assert";
import { runConfig } from "../../training/run_config.ts";

Deno.test("tsa's cross-subject recipe embeds 50-sample segments as energies with a token BatchNorm; intra keeps its settings", () => {
  // Chosen on leave-one-subject-out validation (docs/models.md, session 15); intra was not searched.
  const cross = runConfig("cross", "/data", { model: "tsa" });
  assertEquals(cross.modelOptions, { dropProb: 0, embedding: "energy", embeddingNorm: "batch", segLen: 50 });
  assertEquals([cross.epochs, cross.learningRate, cross.adaptBatchNorm], [15, 3e-3, true]);
  const intra = runConfig("intra", "/data", { model: "tsa" });
  assertEquals(intra.modelOptions, { dropProb: 0 });
  assertEquals([intra.epochs, intra.learningRate], [15, 3e-3]);
});
