import { assert, assertEquals, assertFalse, assertStringIncludes } from "@std/assert";
import { subjectAccuracyPlot } from "../../reports/subject_accuracy_plot.ts";
import { rootTag, texts, tooltips } from "./_svg_content.ts";

const SUBJECTS = [
  { subject: "162935", windows: 80, windowAccuracy: 0.6, recordings: 8, recordingAccuracy: 0.75 },
  { subject: "707749", windows: 40, windowAccuracy: 0.35, recordings: 4, recordingAccuracy: NaN },
];

Deno.test("subjectAccuracyPlot() draws a window and a recording bar per subject, each with its value", async () => {
  const svg = await subjectAccuracyPlot(SUBJECTS, { split: "Cross/test1" });
  assertStringIncludes(rootTag(svg), 'data-plot="subjects" data-split="Cross/test1"');
  assertEquals(tooltips(svg), [
    "subject 162935: 0.60 over 80 windows",
    "subject 162935: 0.75 over 8 recordings",
    "subject 707749: 0.35 over 40 windows",
    "subject 707749: – over 4 recordings",
  ]);
  const shown = texts(svg);
  for (
    const text of ["0.60", "0.75", "0.35", "–", "Accuracy per subject", "accuracy", "windows", "recordings (vote)"]
  ) {
    assert(shown.includes(text), text);
  }
});

Deno.test("subjectAccuracyPlot() names each subject with its numbers of windows and recordings, and shows chance", async () => {
  const shown = texts(await subjectAccuracyPlot(SUBJECTS, { chance: 0.25 }));
  for (const text of ["162935", "80 win · 8 rec", "707749", "40 win · 4 rec", "chance 0.25"]) {
    assert(shown.includes(text), text);
  }
  assertFalse(texts(await subjectAccuracyPlot(SUBJECTS)).includes("chance 0.25"));
  assert(texts(await subjectAccuracyPlot([])).includes("no subjects"));
});
