import { assert, assertEquals, assertThrows } from "@std/assert";
import { checkRunConfig } from "../../training/check_run_config.ts";
import { runConfig } from "../../training/run_config.ts";

Deno.test("runConfig() refuses an unknown key, naming it and the known ones, instead of keeping the default", () => {
  const error = assertThrows(
    () => runConfig("cross", "/data", { epoch: 1 } as never),
    TypeError,
    'unknown option "epoch"',
  );
  for (const known of ["epochs", "batchSize", "learningRate", "modelOptions", "preprocess"]) {
    assertEquals(error.message.includes(known), true, `the message lists ${known}`);
  }
});

Deno.test("runConfig() checks the type and range of every value", () => {
  const bad: [Record<string, unknown>, ErrorConstructor, string][] = [
    [{ epochs: 0 }, RangeError, '"epochs" must be >= 1, got 0'],
    [{ epochs: 2.5 }, TypeError, '"epochs" must be an integer'],
    [{ epochs: "3" }, TypeError, 'got "3"'],
    [{ learningRate: 0 }, RangeError, '"learningRate" must be > 0'],
    [{ schedule: "linear" }, RangeError, "cosine, constant, step"],
    [{ backend: "cuda" }, RangeError, "auto, webgpu, wasm, cpu"],
    [{ model: "mamba" }, RangeError, "cnn, gru, vivit"],
    [{ maxSamples: -1 }, RangeError, '"maxSamples" must be >= 1'],
    [{ adaptBatchNorm: "no" }, TypeError, "must be a boolean"],
    [{ mixupAlpha: -0.1 }, RangeError, '"mixupAlpha" must be >= 0'],
    [{ labelSmoothing: -0.1 }, RangeError, '"labelSmoothing" must be >= 0'],
    [{ labelSmoothing: 1 }, RangeError, '"labelSmoothing" must be <= 0.99'],
    [{ weightDecay: -1 }, RangeError, '"weightDecay" must be >= 0'],
    [{ weightDecay: "0.1" }, TypeError, '"weightDecay" must be'],
    [{ testTimeAdaptation: "tent" }, RangeError, "none, entropy"],
    [{ trainSplits: "Cross/train" }, TypeError, '"trainSplits" must be an array'],
    [{ testSplits: [1] }, TypeError, "array of folder names"],
    [{ modelOptions: { dropout: 0.5 } }, TypeError, 'unknown option "dropout"'],
    [{ model: "gru", modelOptions: { F1: 4 } }, TypeError, 'Cannot build gru: unknown option "F1"'],
    [{ modelOptions: { dropProb: "0.5" } }, TypeError, '"dropProb" must be a number'],
    [{ preprocess: [{ op: "window", windowSecond: 2 }] }, TypeError, 'unknown option "windowSecond"'],
    [{ preprocess: [{ op: "resample", toHz: 100 }] }, RangeError, 'option "preprocess"'],
  ];
  for (const [overrides, Kind, message] of bad) {
    assertThrows(() => runConfig("cross", "/data", overrides), Kind, message, JSON.stringify(overrides));
  }
  // nullable fields take null; good values pass
  const config = runConfig("intra", "/d", {
    maxSamples: null,
    cacheDir: null,
    model: "gru",
    modelOptions: { units: 8 },
  });
  assertEquals([config.maxSamples, config.modelOptions], [null, { units: 8 }]);
});

Deno.test("runConfig() results share no object: changing one leaves the next untouched", () => {
  const first = runConfig("cross", "/data");
  first.modelOptions.dropProb = 0.9;
  first.trainSplits.push("Cross/test3");
  first.testSplits.length = 0;
  (first.preprocess[0] as { toHz: number }).toHz = 50;
  const second = runConfig("cross", "/data");
  assertEquals(second.modelOptions, {});
  assertEquals(second.trainSplits, ["Cross/train"]);
  assertEquals(second.testSplits, ["Cross/test1", "Cross/test2", "Cross/test3"]);
  assertEquals(second.preprocess[0], { op: "resample", toHz: 125 });
  assert(runConfig("intra", "/d").testSplits !== runConfig("intra", "/d").testSplits);
});

Deno.test("checkRunConfig() refuses a validation it does not know, naming it", () => {
  const reference = runConfig("cross", "/data");
  checkRunConfig("runConfig", { validation: "loso:104" }, reference);
  assertThrows(() => checkRunConfig("runConfig", { validation: "kfold" }, reference), RangeError, '"validation"');
  assertThrows(() => checkRunConfig("runConfig", { validation: 3 }, reference), TypeError, '"validation"');
});

Deno.test("checkRunConfig() takes the known keys from the reference and infers rules for keys without one", () => {
  const reference = { ...runConfig("cross", "/data"), extra: 3 };
  checkRunConfig("x", { extra: 4 }, reference);
  assertThrows(() => checkRunConfig("x", { extra: "4" }, reference), TypeError, '"extra" must be a finite number');
  assertThrows(() => checkRunConfig("x", [], reference), TypeError, "options must be an object");
});
