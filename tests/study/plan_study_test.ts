import { assertEquals, assertNotEquals, assertRejects } from "@std/assert";
import { planStudy } from "../../study/plan_study.ts";
import { defaultStudySettings } from "../../study/study_settings.ts";

const SETTINGS = defaultStudySettings("/data", null);

Deno.test("planStudy() runs every model in both settings and every improvement with the same seeds", async () => {
  const runs = await planStudy(SETTINGS);
  const labels = runs.map((r) => `${r.values.task}/${r.values.model}/${r.values.variant}/${r.values.seed}`);
  assertEquals(labels.length, 6 * 2 * 3 + 4 * 3); // 6 models; the ensemble trains nothing of its own
  assertEquals(labels.slice(0, 6), [
    "intra/cnn/baseline/1",
    "intra/cnn/baseline/2",
    "intra/cnn/baseline/3",
    "cross/cnn/baseline/1",
    "cross/cnn/baseline/2",
    "cross/cnn/baseline/3",
  ]);
  assertEquals(labels.slice(-12), [
    "cross/cnn/align/1",
    "cross/cnn/align/2",
    "cross/cnn/align/3",
    "cross/cnn/augment/1",
    "cross/cnn/augment/2",
    "cross/cnn/augment/3",
    "cross/cnn/adaptBatchNorm/1",
    "cross/cnn/adaptBatchNorm/2",
    "cross/cnn/adaptBatchNorm/3",
    "cross/cnn/mixup/1",
    "cross/cnn/mixup/2",
    "cross/cnn/mixup/3",
  ]);
  assertEquals(runs.map((r) => r.index), [...runs.keys()]);
  const align = runs.find((r) => r.values.variant === "align" && r.values.seed === 2)!;
  const baseline = runs.find((r) =>
    r.values.task === "cross" && r.values.model === "cnn" && r.values.variant === "baseline" && r.values.seed === 2
  )!;
  assertEquals({ ...align.config, preprocess: [] }, { ...baseline.config, preprocess: [] }); // only the steps differ
  assertEquals(new Set(runs.map((r) => r.trialId)).size, runs.length);
  const intra = runs.find((r) => r.values.task === "intra")!.config.preprocess.find((s) => s.op === "window");
  const cross = baseline.config.preprocess.find((s) => s.op === "window");
  assertEquals([intra, cross], [
    { op: "window", windowSeconds: 2, strideSeconds: 0.5 },
    { op: "window", windowSeconds: 2, strideSeconds: 1 },
  ]);
});

Deno.test("planStudy() adds only cross-subject baselines for an improvement model outside the models", async () => {
  const runs = await planStudy({ ...SETTINGS, models: ["gru"], seeds: [7], improvements: ["augment"] });
  assertEquals(runs.map((r) => `${r.values.task}/${r.values.model}/${r.values.variant}`), [
    "intra/gru/baseline",
    "cross/gru/baseline",
    "cross/cnn/baseline",
    "cross/cnn/augment",
  ]);
});

Deno.test("planStudy() ids are stable and change with the settings", async () => {
  const [a] = await planStudy(SETTINGS);
  const [b] = await planStudy(SETTINGS);
  const [c] = await planStudy({ ...SETTINGS, epochs: 2 });
  assertEquals(a.trialId, b.trialId);
  assertNotEquals(a.trialId, c.trialId);
  assertEquals(a.trialId.split("-").slice(0, 4).join("-"), c.trialId.split("-").slice(0, 4).join("-"));
});

Deno.test("planStudy() rejects an unknown improvement", async () => {
  await assertRejects(
    () => planStudy({ ...SETTINGS, improvements: ["dropout"] }),
    RangeError,
    "Unknown improvement dropout",
  );
});

Deno.test("planStudy() with recipes trains each model as train-* would and skips improvements the recipe has", async () => {
  const runs = await planStudy({ ...SETTINGS, models: ["cnn"], recipes: true });
  const variants = [...new Set(runs.map((r) => r.values.variant))];
  // The defaults already augment and adapt BatchNorm: only align and mixup train runs of their own.
  assertEquals(variants, ["baseline", "align", "mixup"]);
  const cross = runs.find((r) => r.values.task === "cross" && r.values.variant === "baseline")!;
  assertEquals([cross.config.epochs, cross.config.adaptBatchNorm], [30, true]);
  assertEquals(cross.config.preprocess.map((s) => s.op), ["resample", "zscore", "window", "augment"]);
  const intra = runs.find((r) => r.values.task === "intra")!;
  assertEquals(intra.config.preprocess.find((s) => s.op === "window"), {
    op: "window",
    windowSeconds: 2,
    strideSeconds: 0.5,
  });
});
