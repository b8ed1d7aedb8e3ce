import { assertEquals, assertThrows } from "@std/assert";
import { runConfig } from "../../training/run_config.ts";
import {
  describeValidation,
  foldersOf,
  holdOut,
  leaveSubjectOut,
  parseValidationFlag,
  planSplits,
  roleOfSplit,
  validationOf,
} from "../../training/validation_plan.ts";
import { LABEL_OF_TASK, type Recording, TASK_TYPES } from "../../core/types.ts";

/** Recordings of a cross-subject dataset: 2 training subjects x 4 classes x 3 chunks, 3 test subjects x 4 classes. */
function crossData(): Map<string, Recording[]> {
  const make = (split: string, subject: string, chunk: number): Recording[] =>
    TASK_TYPES.map((taskType) => ({
      path: `/data/${split}/${taskType}_${subject}_${chunk}.h5`,
      split,
      taskType,
      label: LABEL_OF_TASK[taskType],
      subject,
      chunk,
      datasetName: `${taskType}_${subject}`,
    }));
  return new Map([
    ["Cross/train", ["101", "102"].flatMap((s) => [1, 2, 3].flatMap((c) => make("Cross/train", s, c)))],
    ["Cross/test1", make("Cross/test1", "201", 9)],
    ["Cross/test2", make("Cross/test2", "202", 9)],
    ["Cross/test3", make("Cross/test3", "203", 9)],
  ]);
}

const folders = (recordings: readonly Recording[]) => [...new Set(recordings.map((r) => r.split))].sort();
const subjects = (recordings: readonly Recording[]) => [...new Set(recordings.map((r) => r.subject))].sort();

Deno.test("planSplits() of the cross default validates on training chunks only: no test folder chooses anything", () => {
  const plan = planSplits(runConfig("cross", "/data"), crossData());
  assertEquals(folders(plan.validation), ["Cross/train"]);
  assertEquals(folders(plan.train), ["Cross/train"]);
  assertEquals([plan.train.length, plan.validation.length], [16, 8]);
  assertEquals(plan.train.some((r) => plan.validation.includes(r)), false);
  assertEquals(plan.roles, { train: "train", validation: "validation", test1: "test", test2: "test", test3: "test" });
  assertEquals(plan.testParts.map(([key]) => key), ["test1", "test2", "test3"]);
  // The default reads no folder for validation besides the training folder.
  assertEquals(foldersOf(runConfig("cross", "/data")), ["Cross/train", "Cross/test1", "Cross/test2", "Cross/test3"]);
});

Deno.test("planSplits() with loso trains without the left-out subject and validates on all of its recordings", () => {
  const data = crossData();
  const plan = planSplits(runConfig("cross", "/data", { validation: "loso:102" }), data);
  assertEquals([subjects(plan.train), subjects(plan.validation), plan.leftOutSubject], [["101"], ["102"], "102"]);
  assertEquals(plan.validation.length, 12);
  assertEquals(plan.roles.validation, "validation");
  assertEquals(plan.roles.test1, "test");
  // Chosen by the seed without a subject: always one of the training subjects, the same for one seed.
  const chosen = [1, 2, 3, 4, 5, 6].map((seed) =>
    planSplits(runConfig("cross", "/data", { validation: "loso", seed }), data).leftOutSubject
  );
  assertEquals(chosen.every((s) => s === "101" || s === "102"), true);
  assertEquals(new Set(chosen).size, 2, "every seed left out the same subject");
  assertThrows(() => planSplits(runConfig("cross", "/data", { validation: "loso:999" }), data), RangeError, "999");
});

Deno.test("planSplits() with folders labels them validation, never test, even when they are test folders", () => {
  const config = runConfig("cross", "/data", {
    validation: "splits",
    validationSplits: ["Cross/test1", "Cross/test2"],
  });
  const plan = planSplits(config, crossData());
  assertEquals(plan.roles, { train: "train", test1: "validation", test2: "validation", test3: "test" });
  assertEquals(plan.testParts.map(([key]) => key), ["test3"]);
  assertEquals(plan.train.length, 24);
  assertEquals(folders(plan.validation), ["Cross/test1", "Cross/test2"]);
});

Deno.test("parseValidationFlag() reads holdout, loso, loso:SUBJECT and folder lists", () => {
  assertEquals(parseValidationFlag("holdout"), { validation: "holdout", validationSplits: [] });
  assertEquals(parseValidationFlag("loso"), { validation: "loso", validationSplits: [] });
  assertEquals(parseValidationFlag(" Cross/test1 ,Cross/test2"), {
    validation: "splits",
    validationSplits: ["Cross/test1", "Cross/test2"],
  });
  assertThrows(() => parseValidationFlag(""), RangeError, "--validation");
  assertThrows(() => parseValidationFlag("loso:"), RangeError, "subject");
});

Deno.test("validationOf() reads old config.json files and refuses contradictory fields", () => {
  const { validation: _, ...old } = runConfig("cross", "/data");
  assertEquals(validationOf({ ...old, validationSplits: ["Cross/test1", "Cross/test2"] }), {
    kind: "splits",
    splits: ["Cross/test1", "Cross/test2"],
  });
  assertEquals(validationOf({ ...old, validationSplits: [] }), { kind: "holdout", chunks: 1 });
  assertThrows(
    () => validationOf({ ...old, validation: "holdout", validationSplits: ["Cross/test1"] }),
    RangeError,
    "takes no validationSplits",
  );
  assertThrows(() => validationOf({ ...old, validation: "splits", validationSplits: [] }), RangeError, "needs folders");
  assertThrows(() => validationOf({ ...old, validation: "kfold", validationSplits: [] }), RangeError, "kfold");
  assertEquals(
    describeValidation(runConfig("cross", "/data")),
    "held-out chunks of the training subjects (1 per subject and class)",
  );
});

Deno.test("holdOut() and leaveSubjectOut() say what to change when the data cannot give validation", () => {
  const one = crossData().get("Cross/test1")!;
  assertThrows(() => holdOut(one, 1, 1), RangeError, "--validation loso");
  assertThrows(() => leaveSubjectOut(one, 1), RangeError, "--validation holdout");
});

Deno.test("roleOfSplit() keeps written roles and infers those of results written before roles", () => {
  const old = { validationSplits: ["Cross/test1", "Cross/test2"] };
  assertEquals(["train", "test1", "test2", "test3"].map((k) => roleOfSplit(k, undefined, old)), [
    "train",
    "validation",
    "validation",
    "test",
  ]);
  assertEquals(roleOfSplit("validation", undefined, { validationSplits: [] }), "validation");
  assertEquals(roleOfSplit("test1", "test", old), "test");
});
