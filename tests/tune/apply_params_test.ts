import { assertEquals, assertThrows } from "@std/assert";
import { runConfig } from "../../training/run_config.ts";
import { applyParams } from "../../tune/apply_params.ts";

// The shared defaults with model gru (not gru's recipe: these tests are about applyParams).
const BASE = { ...runConfig("cross", "/data"), model: "gru" };

Deno.test("applyParams() sets run settings by name", () => {
  const config = applyParams(BASE, { learningRate: 3e-4, batchSize: 16, epochs: 4, schedule: "step", warmupEpochs: 0 });
  assertEquals([config.learningRate, config.batchSize, config.epochs, config.schedule], [3e-4, 16, 4, "step"]);
  assertEquals(BASE.learningRate, 1e-3); // base untouched
});

Deno.test("applyParams() sets the window, the sampling rate and the normalisation in the steps", () => {
  const config = applyParams(BASE, { windowSeconds: 4, strideSeconds: 2, sfreq: 250, normalise: "subjectZscore" });
  assertEquals(config.preprocess, [
    { op: "resample", toHz: 250 },
    { op: "subjectZscore" },
    { op: "window", windowSeconds: 4, strideSeconds: 2 },
    { op: "augment" },
  ]);
  assertEquals(applyParams(BASE, { normalise: "none" }).preprocess.map((s) => s.op), ["resample", "window", "augment"]);
  assertEquals(
    applyParams({ ...BASE, preprocess: [{ op: "window", windowSeconds: 1 }] }, { normalise: "minmax", sfreq: 100 })
      .preprocess,
    [{ op: "resample", toHz: 100 }, { op: "minmax", mode: "recording" }, { op: "window", windowSeconds: 1 }],
  );
  assertEquals(BASE.preprocess.length, 4);
});

Deno.test("applyParams() switches alignment and augmentation on and off", () => {
  const on = applyParams(BASE, { align: true, augment: true });
  assertEquals(on.preprocess.map((s) => s.op), ["resample", "zscore", "align", "window", "augment"]);
  assertEquals(applyParams(on, { align: false, augment: false }).preprocess.map((s) => s.op), [
    "resample",
    "zscore",
    "window",
  ]);
  assertThrows(() => applyParams(BASE, { align: "yes" }), TypeError, "true or false");
});

Deno.test("applyParams() switches BatchNorm adaptation", () => {
  assertEquals(applyParams(BASE, { adaptBatchNorm: false }).adaptBatchNorm, false);
  assertEquals(applyParams({ ...BASE, adaptBatchNorm: false }, { adaptBatchNorm: true }).adaptBatchNorm, true);
  assertThrows(() => applyParams(BASE, { adaptBatchNorm: 1 }), RangeError, "true or false");
  assertEquals(applyParams(BASE, { mixupAlpha: 0.2 }).mixupAlpha, 0.2);
  assertEquals(applyParams({ ...BASE, mixupAlpha: 0.2 }, { mixupAlpha: 0 }).mixupAlpha, 0);
  assertThrows(() => applyParams(BASE, { mixupAlpha: -1 }), RangeError, "mixupAlpha");
});

Deno.test("applyParams() sets label smoothing and weight decay, 0 turning them off", () => {
  const on = applyParams(BASE, { labelSmoothing: 0.1, weightDecay: 0.05 });
  assertEquals([on.labelSmoothing, on.weightDecay], [0.1, 0.05]);
  const off = applyParams(on, { labelSmoothing: 0, weightDecay: 0 });
  assertEquals([off.labelSmoothing, off.weightDecay], [0, 0]);
  assertThrows(() => applyParams(BASE, { labelSmoothing: 1 }), RangeError, "labelSmoothing");
  assertThrows(() => applyParams(BASE, { weightDecay: -1 }), RangeError, "weightDecay");
});

Deno.test("applyParams() sets the test-time adaptation", () => {
  assertEquals(applyParams(BASE, { testTimeAdaptation: "entropy" }).testTimeAdaptation, "entropy");
  assertEquals(applyParams(BASE, { testTimeAdaptation: "none" }).testTimeAdaptation, "none");
  assertThrows(() => applyParams(BASE, { testTimeAdaptation: "tent" }), RangeError, "testTimeAdaptation");
});

Deno.test("applyParams() sends other names to the model's options and rejects unknown ones", () => {
  assertEquals(applyParams(BASE, { units: 16, "modelOptions.dropProb": 0.3 }).modelOptions, {
    units: 16,
    dropProb: 0.3,
  });
  assertThrows(() => applyParams(BASE, { temporalFilters: 4 }), RangeError, "nor an option of model gru");
  assertThrows(() => applyParams(BASE, { batchSize: 0 }), RangeError, "positive integer");
  assertThrows(() => applyParams(BASE, { windowSeconds: -1 }), RangeError, "positive number");
  assertThrows(() => applyParams(BASE, { normalise: "l2" }), RangeError, 'got "l2"');
});
