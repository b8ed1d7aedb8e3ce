import { assertEquals, assertThrows } from "@std/assert";
import { chunkFold, foldValidation, parseFold } from "../../training/chunk_folds.ts";
import { planSplits } from "../../training/validation_plan.ts";
import { runConfig } from "../../training/run_config.ts";
import { LABEL_OF_TASK, type Recording, TASK_TYPES } from "../../core/types.ts";

/** Intra/train of the full preset: one subject, 4 classes x 8 chunks, in catalogue (shuffled) order. */
function intraTrain(chunks = 8): Recording[] {
  const order = [5, 2, 8, 1, 7, 3, 6, 4].filter((c) => c <= chunks);
  return order.flatMap((chunk) =>
    TASK_TYPES.map((taskType) => ({
      path: `/data/Intra/train/${taskType}_105923_${chunk}.h5`,
      split: "Intra/train",
      taskType,
      label: LABEL_OF_TASK[taskType],
      subject: "105923",
      chunk,
      datasetName: `${taskType}_105923`,
    }))
  );
}

Deno.test("chunkFold(): the K folds are disjoint, cover every chunk once, and hold out the same chunks of every class", () => {
  const all = intraTrain();
  for (const folds of [2, 4, 8]) {
    const seen = new Map<string, number>();
    for (let fold = 0; fold < folds; fold++) {
      const { train, validation } = chunkFold(all, fold, folds);
      assertEquals(train.length + validation.length, all.length);
      assertEquals(train.filter((r) => validation.includes(r)), []);
      for (const r of validation) seen.set(r.path, (seen.get(r.path) ?? 0) + 1);
      // Every class gives 8 / K chunks, the same chunk numbers for every class.
      const chunksOf = (label: string) => validation.filter((r) => r.label === label).map((r) => r.chunk).sort();
      for (const label of ["rest", "math", "memory", "motor"]) {
        assertEquals(chunksOf(label).length, 8 / folds);
        assertEquals(chunksOf(label), chunksOf("rest"));
      }
    }
    assertEquals(seen.size, all.length, `${folds} folds cover every recording`);
    assertEquals([...seen.values()].every((n) => n === 1), true, `${folds} folds hold each recording out once`);
  }
  // Fold 1 of 4 holds out the 2nd and 6th chunks in chunk order, whatever the catalogue order.
  assertEquals([...new Set(chunkFold(all, 1, 4).validation.map((r) => r.chunk))].sort(), [2, 6]);
});

Deno.test("chunkFold() refuses more folds than a class has chunks; parseFold() refuses bad fold texts", () => {
  assertThrows(() => chunkFold(intraTrain(3), 0, 4), RangeError, "has 3 recordings (at least 4 needed)");
  assertEquals(parseFold(foldValidation(3, 4)), { fold: 3, folds: 4 });
  for (const bad of ["fold:4/4", "fold:0/1", "fold:a/4", "fold:1"]) {
    assertThrows(() => parseFold(bad), RangeError, "fold:I/K");
  }
});

Deno.test("planSplits() with validation fold:I/K validates on that fold's chunks, reported as validation", () => {
  const config = { ...runConfig("intra", "/data"), validation: "fold:0/4", testSplits: [] };
  const plan = planSplits(config, new Map([["Intra/train", intraTrain()]]));
  assertEquals(plan.validation.length, 8);
  assertEquals(plan.train.length, 24);
  assertEquals([...new Set(plan.validation.map((r) => r.chunk))].sort(), [1, 5]);
  assertEquals(plan.roles, { train: "train", validation: "validation" });
});

Deno.test("--validation fold:I/K parses and a config may hold it", async () => {
  const { parseValidationFlag, checkValidationValue } = await import("../../training/validation_plan.ts");
  assertEquals(parseValidationFlag("fold:1/4"), { validation: "fold:1/4", validationSplits: [] });
  checkValidationValue("fold:1/4");
  assertThrows(() => checkValidationValue("fold:4/4"), RangeError, "fold:I/K");
});
