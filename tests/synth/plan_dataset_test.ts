import { assertEquals, assertThrows } from "@std/assert";
import { TASK_TYPES } from "../../core/types.ts";
import { planDataset } from "../../synth/plan_dataset.ts";

function countBySplit(files: Array<{ split: string }>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { split } of files) counts[split] = (counts[split] ?? 0) + 1;
  return counts;
}

Deno.test("planDataset() lays out the full preset like the assignment data", () => {
  const plan = planDataset();
  assertEquals(plan.preset, "full");
  assertEquals(plan.layout.nTimes, 35624);
  assertEquals(plan.layout.sfreq, 2034);
  assertEquals(countBySplit(plan.files), {
    "Intra/train": 32,
    "Intra/test": 8,
    "Cross/train": 64,
    "Cross/test1": 8,
    "Cross/test2": 8,
    "Cross/test3": 8,
  });
  const subjectsOf = (split: string) => [...new Set(plan.files.filter((f) => f.split === split).map((f) => f.subject))];
  assertEquals(subjectsOf("Intra/train"), ["105923"]);
  assertEquals(subjectsOf("Intra/test"), ["105923"]);
  assertEquals(subjectsOf("Cross/train"), ["113922", "164636"]);
  assertEquals([subjectsOf("Cross/test1"), subjectsOf("Cross/test2"), subjectsOf("Cross/test3")], [
    ["162935"],
    ["707749"],
    ["725751"],
  ]);
  const chunksOf = (split: string) => [...new Set(plan.files.filter((f) => f.split === split).map((f) => f.chunk))];
  assertEquals(chunksOf("Intra/train"), [1, 2, 3, 4, 5, 6, 7, 8]);
  assertEquals(chunksOf("Intra/test"), [9, 10]);
  assertEquals(chunksOf("Cross/test2"), [9, 10]);
  for (const split of plan.splits) {
    assertEquals(new Set(plan.files.filter((f) => f.split === split).map((f) => f.taskType)), new Set(TASK_TYPES));
  }
  const file = plan.files.find((f) => f.split === "Cross/train" && f.taskType === "task_working_memory")!;
  assertEquals(file.path, "Cross/train/task_working_memory_113922_1.h5");
  assertEquals(file.datasetName, "task_working_memory_113922");
});

Deno.test("planDataset() applies the small preset and layout overrides", () => {
  const small = planDataset({ preset: "small" });
  assertEquals(small.files.length, 28);
  assertEquals(small.layout.nTimes, 4096);
  const custom = planDataset({
    preset: "small",
    nTimes: 100,
    crossTrainChunks: 3,
    crossTestChunks: 2,
    crossTestSubjects: ["1", "2"],
  });
  assertEquals(custom.splits, ["Intra/train", "Intra/test", "Cross/train", "Cross/test1", "Cross/test2"]);
  assertEquals(countBySplit(custom.files)["Cross/train"], 2 * 4 * 3);
  assertEquals([...new Set(custom.files.filter((f) => f.split === "Cross/test2").map((f) => f.chunk))], [4, 5]);
});

Deno.test("planDataset() keeps only the chosen splits, in layout order", () => {
  const plan = planDataset({ splits: ["Cross/test3", "Intra/test"] });
  assertEquals(plan.splits, ["Intra/test", "Cross/test3"]);
  assertEquals(plan.files.length, 16);
});

Deno.test("planDataset() rejects unknown presets and splits, bad counts and subjects", () => {
  assertThrows(
    () => planDataset({ preset: "huge" as "full" }),
    RangeError,
    'preset must be one of full, small, got "huge"',
  );
  assertThrows(() => planDataset({ splits: ["Cross/test4"] }), RangeError, "split must be one of Intra/train");
  assertThrows(() => planDataset({ nTimes: 0 }), RangeError, "nTimes must be an integer >= 1, got 0");
  assertThrows(() => planDataset({ intraTrainChunks: 1.5 }), RangeError, "intraTrainChunks must be an integer >= 1");
  assertThrows(() => planDataset({ sfreq: 10 }), RangeError, "sfreq must be at least 100 Hz");
  assertThrows(() => planDataset({ intraSubject: "S1" }), RangeError, "intraSubject must be digit strings");
  assertThrows(() => planDataset({ crossTestSubjects: [] }), RangeError, "at least one cross train and one cross test");
  assertThrows(
    () => planDataset({ crossTestSubjects: ["113922"] }),
    RangeError,
    "cross test subjects must be unseen, got 113922",
  );
});
