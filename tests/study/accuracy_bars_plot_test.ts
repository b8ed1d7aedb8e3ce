import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { accuracyBarsPlot } from "../../study/accuracy_bars_plot.ts";
import { stat } from "../../study/summarise_study.ts";
import { rootTag, texts, tooltips } from "../reports/_svg_content.ts";

const GROUPS = [
  {
    label: "cnn",
    bars: [{ label: "intra", stat: stat([0.8, 0.9]) }, { label: "cross", stat: stat([0.4, 0.5, 0.45]) }],
  },
  { label: "eegnet", bars: [{ label: "intra", stat: stat([0.7]) }, { label: "cross", stat: stat([]) }] },
];

Deno.test("accuracyBarsPlot() draws a bar per statistic with mean, sd, n and values in its tooltip", async () => {
  const svg = await accuracyBarsPlot(GROUPS, { title: "Accuracy", yLabel: "window accuracy", reference: 0.25 });
  assertStringIncludes(rootTag(svg), 'data-plot="accuracy-bars"');
  assertEquals(tooltips(svg), [
    "cnn intra: 0.85 ± 0.07 (n = 2; 0.80, 0.90)",
    "cnn cross: 0.45 ± 0.05 (n = 3; 0.40, 0.50, 0.45)",
    "eegnet intra: 0.70 (n = 1; 0.70)",
  ]);
  const shown = texts(svg);
  for (const text of ["Accuracy", "window accuracy", "cnn", "eegnet", "intra", "cross", "–", "0.00", "1.00"]) {
    assert(shown.includes(text), text);
  }
});

Deno.test("accuracyBarsPlot() adds an error bar per bar with a spread, a dot per seed and the reference line", async () => {
  const svg = await accuracyBarsPlot(GROUPS, { title: "Accuracy", reference: 0.25 });
  const group = (name: string) =>
    svg.match(new RegExp(`<g class="mark-${name} role-mark[^"]*"[^>]*>([\\s\\S]*?)</g>`, "g")) ?? [];
  assertEquals(
    group("rule").join("").match(/<line/g)?.length,
    2 + 2,
    "two error bars, the zero and the reference line",
  );
  assertEquals(group("symbol").join("").match(/<path/g)?.length, 2 + 3 + 1, "one dot per seed");
  assertEquals(svg.match(/stroke-dasharray="5,4"/g)?.length, 1);
});

Deno.test("accuracyBarsPlot() of differences spans both signs around zero", async () => {
  const shown = texts(
    await accuracyBarsPlot([{ label: "align", bars: [{ label: "Δ window", stat: stat([0.1, -0.02]) }] }], {
      title: "Δ",
      differences: true,
      reference: 0,
    }),
  );
  for (const tick of ["−0.10", "0.00", "0.10"]) assert(shown.includes(tick), tick); // with a true minus sign
});
