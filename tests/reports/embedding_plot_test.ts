import { assert, assertStringIncludes } from "@std/assert";
import { embeddingScatterSvg, renderEmbedPage } from "../../reports/embedding_plot.ts";

Deno.test("embeddingScatterSvg() colours each group and names it in the legend, also for a single point", () => {
  const svg = embeddingScatterSvg([{ x: 1, y: 1, group: 1 }], ["a <1>", "b"], "t");
  assertStringIncludes(svg, "a &lt;1&gt;");
  assertStringIncludes(svg, `fill="#E69F00" fill-opacity`); // group 1's colour
  assert(!svg.includes("NaN"));
});

Deno.test("renderEmbedPage() has no scripts and escapes its texts", () => {
  const html = renderEmbedPage("E", "<b>", [["x", "1"]], ["<svg></svg>"]);
  assertStringIncludes(html, "&lt;b&gt;");
  assert(!html.includes("<script"));
});
