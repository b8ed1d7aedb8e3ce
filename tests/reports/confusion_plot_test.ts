import { assert, assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { confusionPlot, confusionSpec } from "../../reports/confusion_plot.ts";
import { rootTag, texts, tooltips } from "./_svg_content.ts";

const LABELS = ["rest", "math", "memory", "motor"];
const COUNTS = [[8, 1, 1, 2], [2, 9, 1, 0], [2, 2, 7, 1], [1, 1, 5, 5]];

Deno.test("confusionPlot() draws one cell per pair of classes with its count and share of the row", async () => {
  const svg = await confusionPlot(COUNTS, LABELS, { title: "Windows: true vs predicted", split: "test" });
  assertStringIncludes(rootTag(svg), 'data-plot="confusion" data-split="test"');
  const tips = tooltips(svg);
  assertEquals(tips.length, 16);
  assertEquals(tips[0], "true rest, predicted rest: 8 of 12 windows (66.7%)");
  assert(tips.includes("true motor, predicted memory: 5 of 12 windows (41.7%)"));
  const shown = texts(svg);
  for (const count of COUNTS.flat()) assert(shown.includes(String(count)), String(count));
  for (const share of ["67%", "75%", "58%", "42%", "17%", "8%", "0%"]) assert(shown.includes(share), share);
  assertEquals(shown.filter((t) => t === "n=12").length, 4);
});

Deno.test("confusionPlot() names every class on both axes, with the axis titles, the unit and the key", async () => {
  const shown = texts(await confusionPlot(COUNTS, LABELS, { title: "Recordings", unit: "recordings" }));
  for (const label of LABELS) assertEquals(shown.filter((t) => t === label).length, 2, label);
  for (
    const text of [
      "Recordings",
      "predicted class",
      "true class",
      "recordings",
      "outlined = correct; % = share of the row",
    ]
  ) {
    assert(shown.includes(text), text);
  }
});

Deno.test("confusionPlot() outlines the diagonal and says which rows have no examples", async () => {
  const svg = await confusionPlot([[0, 0], [1, 3]], ["rest", "motor"]);
  assertEquals(svg.match(/stroke="#222222" stroke-width="1.5"/g)?.length, 1 + 1); // one correct cell, one key box
  assert(texts(svg).includes("no windows of this class"));
  assert(tooltips(svg).includes("no windows of true class rest"));
  assertEquals(texts(svg).filter((t) => t === "n=0").length, 1);
});

Deno.test("confusionSpec() keeps the classes in the given order and rejects a matrix that does not fit them", () => {
  const spec = confusionSpec(COUNTS, LABELS) as { layer: { encoding?: { x?: { sort: string[] } } }[] };
  assertEquals(spec.layer[0].encoding?.x?.sort, LABELS);
  assertThrows(() => confusionSpec([[1, 2]], ["a", "b"]), TypeError, "expected 2 x 2 counts for 2 labels, got 1 x 2");
});
