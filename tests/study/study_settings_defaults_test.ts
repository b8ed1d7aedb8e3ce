import { assertEquals } from "@std/assert";
import { defaultStudySettings, STUDY_MODEL_OPTIONS, STUDY_SPACE, studyRunConfig } from "../../study/study_settings.ts";

Deno.test("defaultStudySettings() results share no object with each other or with the constants", () => {
  const spaceBefore = structuredClone(STUDY_SPACE);
  const optionsBefore = structuredClone(STUDY_MODEL_OPTIONS);
  const first = defaultStudySettings("/data", null);
  first.modelOptions.gru.units = 8;
  first.modelOptions.cnn.dropProb = 0.9;
  first.search!.space.learningRate = { choice: [1] };
  first.models.push("mamba");
  const second = defaultStudySettings("/data", null);
  assertEquals(second.modelOptions, optionsBefore);
  assertEquals(second.search!.space, spaceBefore);
  assertEquals(second.models, ["cnn", "gru", "vivit", "spectral", "cascade", "tsa"]);
  assertEquals([STUDY_MODEL_OPTIONS, STUDY_SPACE], [optionsBefore, spaceBefore]);
});

Deno.test("studyRunConfig() results share no object with the settings or with each other", () => {
  const settings = defaultStudySettings("/data", null);
  const config = studyRunConfig(settings, "cross", "gru", 1);
  config.modelOptions.units = 4;
  config.trainSplits.push("Cross/test3");
  assertEquals(settings.modelOptions.gru.units, 32);
  assertEquals(studyRunConfig(settings, "cross", "gru", 1).trainSplits, ["Cross/train"]);
});
