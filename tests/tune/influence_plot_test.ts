import { assert, assertEquals, assertFalse, assertStringIncludes } from "@std/assert";
import { influencePlot, influenceSpec } from "../../tune/influence_plot.ts";
import { rootTag, texts, tooltips } from "../reports/_svg_content.ts";

const POINTS = [
  { value: 1e-4, score: 0.4, trial: "a", stage: 0 },
  { value: 3e-3, score: 0.62, trial: "b", stage: 1, best: true },
  { value: 5e-4, score: NaN, trial: "c", stage: 0 },
  { value: 1e-2, score: 0.45, trial: "d", stage: 1 },
];

Deno.test("influencePlot() draws one dot per finished trial, the best one ringed last", async () => {
  const svg = await influencePlot("learningRate", POINTS, { kind: "logUniform" });
  assertStringIncludes(rootTag(svg), 'data-plot="influence" data-param="learningRate"');
  assertEquals(tooltips(svg), [
    "a: learningRate = 0.0001, accuracy 0.400",
    "d: learningRate = 0.01, accuracy 0.450",
    "b: learningRate = 0.003, accuracy 0.620 (best)",
  ]);
  assertStringIncludes(svg, 'stroke="#D55E00" stroke-width="3"');
  const shown = texts(svg);
  for (const text of ["learningRate", "learningRate (log scale)", "1e-4", "0.001", "0.01", "best"]) {
    assert(shown.includes(text), text);
  }
});

Deno.test("influencePlot() shows a stage legend only for several stages, and chance only inside the y range", async () => {
  const staged = texts(await influencePlot("lr", POINTS, { kind: "uniform", stageLabels: ["stage 0", "stage 1"] }));
  assert(staged.includes("stage 0") && staged.includes("stage 1"));
  assert(staged.includes("lr (linear scale)"));
  assertFalse(
    texts(await influencePlot("lr", POINTS, { kind: "uniform", stageLabels: ["stage 0"] })).includes("stage 0"),
  );
  const low = await influencePlot("lr", POINTS, { kind: "uniform", chance: 0.25 });
  const inside = await influencePlot("lr", POINTS, { kind: "uniform", chance: 0.5 });
  assertEquals(low.match(/stroke-dasharray="5,4"/g), null);
  assertEquals(inside.match(/stroke-dasharray="5,4"/g)?.length, 1);
});

Deno.test("influencePlot() puts choices side by side, shortens long ones, and says when nothing finished", async () => {
  const shown = texts(
    await influencePlot("model", [{ value: "a-very-long-model-name", score: 0.5, trial: "x" }], {
      kind: "choice",
      categories: ["cnn", "a-very-long-model-name"],
    }),
  );
  for (const text of ["cnn", "a-very-long-m…", "model (choice, jittered sideways)"]) assert(shown.includes(text), text);
  assert(texts(await influencePlot("lr", [], { kind: "uniform" })).includes("no finished trial"));
});

Deno.test("influenceSpec() jitters a trial's dot the same way every time", () => {
  const points = [{ value: 1, score: 0.5, trial: "t1" }, { value: 1, score: 0.6, trial: "t2" }];
  const jitter = () =>
    (influenceSpec("w", points, { kind: "choice" }).data as { values: { jitter: number }[] }).values.map((v) =>
      v.jitter
    );
  assertEquals(jitter(), jitter());
  assert(jitter()[0] !== jitter()[1]);
});
