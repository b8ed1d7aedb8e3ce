import { assertEquals, assertMatch, assertNotEquals } from "@std/assert";
import type { RunConfig } from "../../training/run_config.ts";
import { trialId } from "../../tune/trial_id.ts";

/** A fully written-out config, independent of the defaults of the day. */
const CONFIG: RunConfig = {
  task: "cross",
  data: "/data",
  model: "gru",
  modelOptions: { units: 8 },
  epochs: 3,
  batchSize: 16,
  learningRate: 0.001,
  schedule: "cosine",
  warmupEpochs: 0,
  patience: 5,
  seed: 1,
  backend: "auto",
  preprocess: [{ op: "resample", toHz: 125 }, { op: "zscore", mode: "recording" }, { op: "window", windowSeconds: 1 }],
  shuffleBuffer: 64,
  concurrency: 2,
  trainSplits: ["Cross/train"],
  validation: "splits",
  validationSplits: ["Cross/test1", "Cross/test2"],
  holdoutChunks: 1,
  testSplits: ["Cross/test1", "Cross/test2"],
  maxSamples: null,
  cacheDir: null,
  adaptBatchNorm: false,
  mixupAlpha: 0,
  labelSmoothing: 0,
  weightDecay: 0,
  testTimeAdaptation: "none",
  weightAverage: 0,
};

Deno.test("trialId() is a fixed hash of the configuration, whatever the key order", async () => {
  const id = await trialId(CONFIG);
  assertMatch(id, /^t[0-9a-f]{12}$/);
  // SHA-256 of the canonical JSON computed independently (Python: json.dumps(sort_keys=True, separators=(",", ":")));
  // stable across processes and machines: resuming relies on it.
  assertEquals(id, "tdcd13e104869");
  const reordered = Object.fromEntries(Object.entries(CONFIG).reverse()) as unknown as RunConfig;
  assertEquals(await trialId(reordered), id);
});

Deno.test("trialId() ignores the cache folder and changes with anything else", async () => {
  const id = await trialId(CONFIG);
  assertEquals(await trialId({ ...CONFIG, cacheDir: "/tmp/cache" }), id);
  assertNotEquals(await trialId({ ...CONFIG, epochs: 4 }), id);
  assertNotEquals(await trialId({ ...CONFIG, modelOptions: { units: 16 } }), id);
  assertNotEquals(await trialId({ ...CONFIG, testSplits: ["Cross/test3"] }), id);
  // A switch added later changes the id only when on (older searches resume).
  const { adaptBatchNorm: _, mixupAlpha: __, ...older } = CONFIG;
  assertEquals(await trialId(older as RunConfig), id);
  // `validation` as an older config implied it leaves the id; another validation changes it.
  const { validation: ___, ...noValidation } = CONFIG;
  assertEquals(await trialId(noValidation as RunConfig), id);
  assertNotEquals(await trialId({ ...CONFIG, validation: "holdout", validationSplits: [] }), id);
  assertNotEquals(await trialId({ ...CONFIG, adaptBatchNorm: true }), id);
  assertEquals(await trialId({ ...CONFIG, mixupAlpha: 0 }), id);
  assertNotEquals(await trialId({ ...CONFIG, mixupAlpha: 0.2 }), id);
});

Deno.test("trialId() leaves labelSmoothing, weightDecay, testTimeAdaptation and weightAverage out while off (older searches resume) and changes when on", async () => {
  const id = await trialId(CONFIG);
  const { labelSmoothing: _, weightDecay: __, testTimeAdaptation: ___, weightAverage: ____, ...older } = CONFIG;
  assertEquals(await trialId(older as RunConfig), id);
  const off = CONFIG;
  assertNotEquals(await trialId({ ...off, labelSmoothing: 0.1 }), id);
  assertNotEquals(await trialId({ ...off, weightDecay: 0.05 }), id);
  assertNotEquals(await trialId({ ...off, testTimeAdaptation: "entropy" }), id);
  assertNotEquals(await trialId({ ...off, weightAverage: 0.7 }), id);
});
