import { assert, assertEquals, assertFalse, assertMatch, assertStringIncludes } from "@std/assert";
import { CHART_CONFIG, renderChart, renderVegaLite, type VegaLiteSpec } from "../../reports/render_vega_lite.ts";
import { rootTag, texts, tooltips } from "./_svg_content.ts";

const BARS: VegaLiteSpec = {
  title: "Bars & <things>",
  data: { values: [{ name: "a<b", value: 2, tip: "a<b: 2 & more" }, { name: "c", value: 5, tip: "c: 5" }] },
  mark: "bar",
  encoding: {
    x: { field: "name", type: "nominal", axis: { title: "name" } },
    y: { field: "value", type: "quantitative" },
    color: { field: "name", type: "nominal" },
    description: { field: "tip" },
  },
};

Deno.test("renderVegaLite() writes an inline <svg> with class, data attributes, title and size", async () => {
  const svg = await renderVegaLite(BARS, { title: "Two <bars>", data: { plot: "bars", split: "Cross/test1" } });
  const root = rootTag(svg);
  assertMatch(root, /^<svg class="plot" data-plot="bars" data-split="Cross\/test1" width="\d+" height="\d+" viewBox="/);
  assertStringIncludes(root, 'role="img"');
  assertStringIncludes(svg, "<title>Two &lt;bars&gt;</title>");
  assert(svg.endsWith("</svg>"));
  const none = await renderVegaLite(BARS, { title: "", data: { plot: "bars", split: undefined } });
  assertFalse(rootTag(none).includes("data-split"), "an undefined attribute is left out");
});

Deno.test("renderVegaLite() draws the spec: axis labels, title, and each bar's description as its tooltip", async () => {
  const svg = await renderVegaLite(BARS, { title: "", data: { plot: "bars" } });
  const shown = texts(svg);
  for (const label of ["a<b", "c", "name", "Bars & <things>"]) assert(shown.includes(label), label);
  assertEquals(tooltips(svg), ["a<b: 2 & more", "c: 5"]);
  assertStringIncludes(svg, "a&lt;b: 2 &amp; more", "text stays escaped");
});

Deno.test("renderVegaLite() needs nothing from outside and sets the reports' font once", async () => {
  const svg = await renderVegaLite(BARS, { title: "", data: { plot: "bars" } });
  assertFalse(/https?:\/\/|xmlns|url\(|<script|\bhref=/.test(svg));
  assertEquals(svg.match(/font-family=/g)?.length, 1);
  assertStringIncludes(rootTag(svg), `font-family="${CHART_CONFIG.font}"`);
  assertFalse(svg.includes('d="M0,0h0v0h0Z"'), "no empty group backgrounds");
});

Deno.test("renderVegaLite() gives the same SVG for the same spec, whatever was rendered before", async () => {
  const first = await renderVegaLite(BARS, { title: "t", data: { plot: "bars" } });
  await renderVegaLite({ ...BARS, mark: "point" }, { title: "other", data: { plot: "points" } });
  assertEquals(await renderVegaLite(BARS, { title: "t", data: { plot: "bars" } }), first);
});

Deno.test("renderVegaLite() lays a spec's own config over the reports' look, group by group", async () => {
  const spec = { ...BARS, config: { axis: { labelFontSize: 17 } } };
  const svg = await renderVegaLite(spec, { title: "", data: { plot: "bars" } });
  assertStringIncludes(svg, 'font-size="17px"');
  assertStringIncludes(svg, `fill="${CHART_CONFIG.axis?.labelColor}"`, "the other axis settings stay");
});

Deno.test("renderChart() follows the SVG with the spec, theme included, as escaped JSON in a closed <details>", async () => {
  const html = await renderChart(BARS, { title: "bars", data: { plot: "bars" } });
  assertMatch(html, /^<figure class="chart"><svg class="plot" data-plot="bars"[\s\S]*<\/svg><details class="spec">/);
  assertStringIncludes(html, "<summary>Vega-Lite spec</summary>");
  assert(html.endsWith("</pre></details></figure>"));
  const json = html.match(/<pre>([\s\S]*)<\/pre>/)![1].replaceAll("&lt;", "<").replaceAll("&gt;", ">")
    .replaceAll("&amp;", "&");
  const spec = JSON.parse(json);
  assertEquals(spec.data, BARS.data);
  assertEquals(spec.config.font, CHART_CONFIG.font);
  assertFalse(html.slice(html.indexOf("<pre>")).includes("<b"), "no markup from the data");
});

Deno.test("renderVegaLite() leaves the spec it is given as it was", async () => {
  const spec = structuredClone(BARS);
  await renderVegaLite(spec, { title: "", data: { plot: "bars" } });
  assertEquals(spec, BARS);
  const row = (spec.data as { values: object[] }).values[0];
  assertEquals(Object.getOwnPropertySymbols(row), []);
});
