import { assert, assertEquals, assertFalse, assertStringIncludes } from "@std/assert";
import { formatSeconds, timingPlot } from "../../reports/timing_plot.ts";
import { rootTag, texts, tooltips } from "./_svg_content.ts";

Deno.test("timingPlot() draws a bar per stage in the given order with its duration and share of the total", async () => {
  const svg = await timingPlot({ ingest: 12, train: 300, evaluate: 8, broken: NaN });
  assertStringIncludes(rootTag(svg), 'data-plot="timings"');
  assertEquals(tooltips(svg), ["ingest: 12.0 s", "train: 300.0 s", "evaluate: 8.0 s"]);
  const shown = texts(svg);
  for (const text of ["Time per stage (total 5 min 20 s)", "ingest", "12.0 s (4%)", "5 min 00 s (94%)", "seconds"]) {
    assert(shown.includes(text), text);
  }
  assertFalse(shown.includes("broken"));
});

Deno.test("timingPlot() says when no timing was recorded", async () => {
  const shown = texts(await timingPlot({}, { title: "Time" }));
  assert(shown.includes("no timings recorded"));
  assert(shown.includes("Time (total 0.0 s)"));
});

Deno.test("formatSeconds() writes seconds, minutes or hours, and a dash for no number", () => {
  assertEquals([formatSeconds(59.94), formatSeconds(60), formatSeconds(3599), formatSeconds(NaN)], [
    "59.9 s",
    "1 min 00 s",
    "59 min 59 s",
    "–",
  ]);
});
