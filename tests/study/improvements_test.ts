import { assertEquals } from "@std/assert";
import { runConfig } from "../../training/run_config.ts";
import { IMPROVEMENTS } from "../../study/improvements.ts";

// A baseline without the improvements the defaults switch on (augmentation, AdaBN).
const BASE = {
  ...runConfig("cross", "/data"),
  preprocess: runConfig("cross", "/data").preprocess.filter((step) => step.op !== "augment"),
  adaptBatchNorm: false,
};

Deno.test("IMPROVEMENTS change only the preprocessing steps (adaptBatchNorm, mixup: only their field), leaving the input alone", () => {
  const ops = (name: string) => IMPROVEMENTS[name].apply(BASE).preprocess.map((s) => s.op);
  assertEquals(ops("align"), ["resample", "zscore", "align", "window"]);
  assertEquals(ops("subjectZscore"), ["resample", "subjectZscore", "window"]);
  assertEquals(ops("augment"), ["resample", "zscore", "window", "augment"]);
  assertEquals(BASE.preprocess.map((s) => s.op), ["resample", "zscore", "window"]);
  const { preprocess: _, ...rest } = IMPROVEMENTS.align.apply(BASE);
  const { preprocess: __, ...baseRest } = BASE;
  assertEquals(rest, baseRest);
  assertEquals(IMPROVEMENTS.adaptBatchNorm.apply(BASE), { ...BASE, adaptBatchNorm: true });
  assertEquals(BASE.adaptBatchNorm, false);
  assertEquals(IMPROVEMENTS.mixup.apply(BASE), { ...BASE, mixupAlpha: 0.2 });
  assertEquals(BASE.mixupAlpha, 0);
  // The ensemble trains nothing: its runs would be the baseline's.
  assertEquals([IMPROVEMENTS.ensemble.kind, IMPROVEMENTS.ensemble.apply(BASE)], ["ensemble", BASE]);
  assertEquals(Object.values(IMPROVEMENTS).filter((i) => i.kind === "run").length, 5);
});

Deno.test("IMPROVEMENTS applied twice give the same steps", () => {
  for (const improvement of Object.values(IMPROVEMENTS)) {
    const once = improvement.apply(BASE);
    assertEquals(improvement.apply(once).preprocess, once.preprocess, improvement.name);
  }
});

Deno.test("IMPROVEMENTS compose: alignment after subject-wise z-scoring, augmentation before a grid", () => {
  const both = IMPROVEMENTS.align.apply(IMPROVEMENTS.subjectZscore.apply(BASE));
  assertEquals(both.preprocess.map((s) => s.op), ["resample", "subjectZscore", "align", "window"]);
  const grid = IMPROVEMENTS.augment.apply({ ...BASE, preprocess: [...BASE.preprocess, { op: "gridSensors" }] });
  assertEquals(grid.preprocess.map((s) => s.op), ["resample", "zscore", "window", "augment", "gridSensors"]);
});
