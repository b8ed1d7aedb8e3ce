import { assert, assertEquals, assertFalse, assertStringIncludes } from "@std/assert";
import { accuracyGauge } from "../../reports/accuracy_gauge.ts";
import { rootTag, texts, tooltips } from "./_svg_content.ts";

Deno.test("accuracyGauge() draws both accuracies as bars with their values, 250 by 74 pixels", async () => {
  const svg = await accuracyGauge(0.62, 0.75, { chance: 0.25, split: "Cross/test1" });
  const root = rootTag(svg);
  assertStringIncludes(root, 'data-plot="gauge" data-split="Cross/test1" width="250" height="74"');
  assertStringIncludes(svg, "<title>window accuracy 0.62, recording accuracy 0.75, chance 0.25</title>");
  assertEquals(tooltips(svg), ["windows: 0.62", "recordings: 0.75"]);
  for (const text of ["windows", "recordings", "0.62", "0.75", "chance"]) assert(texts(svg).includes(text), text);
});

Deno.test("accuracyGauge() labels the majority tick only when it is apart from chance, and shows a dash for NaN", async () => {
  const near = texts(await accuracyGauge(0.5, 0.5, { chance: 0.25, majority: 0.3 }));
  assert(near.includes("chance"));
  assertFalse(near.includes("majority"));
  const apart = await accuracyGauge(NaN, 0.5, { chance: 0.25, majority: 0.75 });
  assert(texts(apart).includes("majority"));
  assert(texts(apart).includes("–"));
  assertEquals(apart.match(/stroke-dasharray/g)?.length, 2, "two ticks");
  assertFalse(texts(await accuracyGauge(0.5, 0.5)).includes("chance"));
});
