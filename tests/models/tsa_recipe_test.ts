import { assertEquals } from "@std/assert";
import { RUN_DEFAULTS, runConfig } from "../../training/run_config.ts";

Deno.test("tsa's cross-subject recipe embeds 50-sample segments as energies with a per-sensor token BatchNorm and stronger augmentation; intra trains every sensor's log band powers in 25-sample segments on every chunk (session 22)", () => {
  // Chosen on leave-one-subject-out validation (docs/models.md, sessions 15 and 16); intra on cv-intra (sessions 18, 19, 22).
  const cross = runConfig("cross", "/data", { model: "tsa" });
  assertEquals(cross.modelOptions, { dropProb: 0, embedding: "energy", embeddingNorm: "sensorBatch", segLen: 50 });
  assertEquals(cross.preprocess.at(-1), { op: "augment", sensorDropProb: 0.25, gainStd: 0.3, noiseStd: 0.2 });
  assertEquals(cross.preprocess.slice(0, -1), RUN_DEFAULTS.preprocess.slice(0, -1));
  assertEquals([cross.epochs, cross.learningRate, cross.adaptBatchNorm], [15, 3e-3, true]);
  const intra = runConfig("intra", "/data", { model: "tsa" });
  assertEquals(intra.modelOptions, { ...cross.modelOptions, embedding: "sensorPower", segLen: 25, bandFilters: 32 });
  assertEquals([intra.epochs, intra.learningRate, intra.holdoutChunks], [30, 2e-3, 0]);
  assertEquals(intra.preprocess.at(-1), { op: "augment" }); // the shared augmentation, not the cross recipe's
});
