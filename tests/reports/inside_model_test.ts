import { assert, assertStringIncludes } from "@std/assert";
import { type InsideModel, insideModelSection } from "../../reports/inside_model.ts";
import { renderReport } from "../../reports/report.ts";
import { evaluatePredictions } from "../../evaluation/metrics.ts";

const INSIDE: InsideModel = {
  method: "integrated-gradients",
  split: "test3",
  steps: 16,
  baseline: "zero <mean>",
  score: "logit",
  classes: [{ name: "rest", windows: 32, svg: `<svg data-map="rest"></svg>` }, {
    name: "math",
    windows: 30,
    svg: `<svg data-map="math"></svg>`,
  }],
  filters: [{ name: "1_1", svg: `<svg data-map="f11"></svg>` }],
};

Deno.test("insideModelSection() shows a topomap per class and the spatial filters, and escapes the texts", () => {
  const html = insideModelSection(INSIDE);
  assertStringIncludes(html, `<h2>Inside the model</h2>`);
  assertStringIncludes(html, `<svg data-map="rest"></svg><figcaption>rest (32 windows)</figcaption>`);
  assertStringIncludes(html, `<svg data-map="math"></svg>`);
  assertStringIncludes(html, `<h3>Spatial filters</h3>`);
  assertStringIncludes(html, `filter 1_1`);
  assertStringIncludes(html, "zero &lt;mean&gt;");
  assertStringIncludes(insideModelSection({ ...INSIDE, filters: [] }), "no spatial filters");
});

Deno.test("renderReport() has the Inside the model section only when an explanation is given", async () => {
  const splits = evaluatePredictions([0, 1, 2, 3].map((label) => ({
    split: "Cross/test3",
    subject: "7",
    recording: `r${label}.h5`,
    startSample: 0,
    label,
    predicted: label,
    probs: [0, 1, 2, 3].map((k) => (k === label ? 0.7 : 0.1)),
  })));
  const results = {
    task: "cross",
    model: "cnn",
    backend: "wasm",
    splits,
    seconds: { ingest: 1, train: 2, evaluate: 1 },
    trainWindowsPerSecond: 50,
    peakRssMB: 300,
  };
  assert(!(await renderReport({ results })).includes("Inside the model"));
  assertStringIncludes(await renderReport({ results, inside: INSIDE }), `<section id="inside">`);
});

Deno.test("insideModelSection() shows the per-band maps with each band's share, the top band bold, and the source match", () => {
  const html = insideModelSection({
    ...INSIDE,
    bands: {
      names: ["theta", "alpha"],
      classes: [{
        name: "rest",
        shares: [0.25, 0.75],
        svgs: [`<svg data-map="rest-theta"></svg>`, `<svg data-map="rest-alpha"></svg>`],
      }],
    },
    sourceMatch: {
      subject: "725751",
      own: { rest: { all: 0.123, alpha: 0.456 } },
      cross: { rest: { all: { rest: 0.123 }, alpha: { rest: 0.456, math: 0.2, motor: -0.1 } } },
    },
  });
  assertStringIncludes(html, "<h3>Per frequency band</h3>");
  assertStringIncludes(html, `<th>theta</th><th>alpha</th>`);
  assertStringIncludes(html, `<div class="band-map"><svg data-map="rest-theta"></svg></div>25 %`);
  assertStringIncludes(html, `<div class="band-map"><svg data-map="rest-alpha"></svg></div><b>75 %</b>`);
  assertStringIncludes(html, "subject 725751");
  assertStringIncludes(html, "all 0.12, alpha 0.46 (others -0.10 to 0.20)");
  assert(!insideModelSection(INSIDE).includes("Per frequency band"));
});

Deno.test("insideModelSection() tabulates the source occlusion: recall, probability and share, removed and random", () => {
  const outcome = (recall: number, meanProbability: number, share: number) => ({ recall, meanProbability, share });
  const html = insideModelSection({
    ...INSIDE,
    sourceOcclusion: {
      method: "projection",
      randomDraws: 3,
      seconds: 1,
      baseline: { rest: { ...outcome(0.9, 0.6, 0.5), windows: 10 }, motor: { ...outcome(0.8, 0.5, 0.5), windows: 10 } },
      conditions: [{
        name: "motor:alpha",
        class: "motor",
        band: "alpha",
        sources: ["muL", "muR"],
        perClass: { rest: outcome(0.7, 0.5, 0.6), motor: outcome(0.1, 0.2, 0.4) },
        random: { rest: outcome(0.9, 0.6, 0.5), motor: outcome(0.75, 0.45, 0.5) },
      }],
    },
  });
  assertStringIncludes(html, "Removing each class's sources");
  assertStringIncludes(html, "mean of 3 draws");
  assertStringIncludes(
    html,
    "<tr><th>motor</th><td>alpha</td><td>muL, muR</td><td>0.80 &rarr; <b>0.10</b> (0.75)</td>" +
      "<td>0.50 &rarr; <b>0.20</b> (0.45)</td><td>0.50 &rarr; <b>0.40</b> (0.50)</td><td>-0.20 to -0.20</td></tr>",
  );
  assert(!insideModelSection(INSIDE).includes("Removing each class's sources"));
});
