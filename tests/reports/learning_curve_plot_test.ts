import { assert, assertEquals, assertFalse, assertStringIncludes, assertThrows } from "@std/assert";
import { type LearningCurveEpoch, learningCurvePlot, learningCurveSpec } from "../../reports/learning_curve_plot.ts";
import { rootTag, texts, tooltips } from "./_svg_content.ts";

function history(n: number, validation: boolean): LearningCurveEpoch[] {
  return Array.from({ length: n }, (_, i) => ({
    epoch: i + 1,
    trainLoss: 1.4 / (i + 1),
    trainAccuracy: Math.min(0.95, 0.3 + 0.1 * i),
    ...(validation ? { valLoss: 1.2 + 0.05 * i, valAccuracy: 0.5 } : {}),
    learningRate: 1e-3,
    seconds: 20,
  }));
}

Deno.test("learningCurvePlot() draws a dot per epoch and series with its value, and a legend of both series", async () => {
  const svg = await learningCurvePlot(history(8, true), "loss");
  assertStringIncludes(rootTag(svg), 'data-plot="learning-loss"');
  const tips = tooltips(svg);
  assertEquals(tips.length, 16);
  assert(tips.includes("train, epoch 2: 0.700"));
  assert(tips.includes("validation, epoch 8: 1.550"));
  const shown = texts(svg);
  for (const text of ["Loss per epoch", "train", "validation", "epoch", "loss", "1", "7"]) {
    assert(shown.includes(text), text);
  }
  assertFalse(shown.includes("no validation recorded"));
});

Deno.test("learningCurvePlot() marks the best and early-stopping epochs and, for accuracy, chance", async () => {
  const shown = texts(
    await learningCurvePlot(history(8, true), "accuracy", { bestEpoch: 4, stoppedEpoch: 8, chance: 0.25 }),
  );
  for (const text of ["Accuracy per epoch", "best: epoch 4", "early stop: epoch 8", "chance 0.25", "0.0", "1.0"]) {
    assert(shown.includes(text), text);
  }
  const loss = texts(
    await learningCurvePlot(history(8, true), "loss", { chance: 0.25, bestEpoch: 4, stoppedEpoch: 4 }),
  );
  assertFalse(loss.includes("chance 0.25"), "no chance line on the loss plot");
  assertEquals(loss.filter((t) => t.startsWith("early stop")), [], "stopping at the best epoch is not marked twice");
});

Deno.test("learningCurvePlot() says when there is no validation and leaves out dots beyond 60 epochs", async () => {
  const svg = await learningCurvePlot(history(5, false), "accuracy");
  assert(texts(svg).includes("no validation recorded"));
  assertFalse(texts(svg).includes("validation"));
  assertEquals(tooltips(svg).length, 5);
  assertEquals(tooltips(await learningCurvePlot(history(61, false), "loss")).length, 0);
  assert(texts(await learningCurvePlot([], "loss")).includes("no epochs recorded"));
});

Deno.test("learningCurveSpec() sorts epochs, skips missing values and rejects an unknown metric", () => {
  const entries = [...history(3, true)].reverse();
  entries[1] = { ...entries[1], valLoss: undefined };
  const values = (learningCurveSpec(entries, "loss").data as { values: { epoch: number; series: string }[] }).values;
  assertEquals(values.map((v) => `${v.series} ${v.epoch}`), [
    "train 1",
    "train 2",
    "train 3",
    "validation 1",
    "validation 3",
  ]);
  assertThrows(() => learningCurveSpec(entries, "f1" as "loss"), RangeError, 'metric must be "loss" or "accuracy"');
});
