/**
 * The "Inside the model" section of a run report: saliency topomaps per class
 * and the model's spatial filters, from `deno task explain`.
 *
 * @module
 */
import { escapeXml } from "./_svg.ts";

/** What the section shows: the explanation's settings and its topomaps as SVG text. */
export interface InsideModel {
  /** Attribution method, e.g. `integrated-gradients`. */
  method: string;
  /** Split explained, e.g. `test3`. */
  split: string;
  /** Riemann steps of integrated gradients. */
  steps: number;
  /** Baseline, in words. */
  baseline: string;
  /** Score differentiated (`logit` or `log-probability`). */
  score: string;
  /** One topomap per class, with the number of windows it averages. */
  classes: { name: string; windows: number; svg: string }[];
  /** Spatial filter topomaps (may be empty). */
  filters: { name: string; svg: string }[];
}

/**
 * Renders the section: one saliency topomap per class, then the spatial filters,
 * with a sentence on how they were computed. The SVGs are inlined as given
 * (they come from `topomapSvg`); every other text is escaped.
 *
 * @param inside The explanation.
 * @returns The `<section id="inside">` HTML.
 *
 * @example
 * ```ts
 * import { insideModelSection } from "./inside_model.ts";
 * import { assertStringIncludes } from "@std/assert";
 *
 * const html = insideModelSection({
 *   method: "integrated-gradients", split: "test3", steps: 16, baseline: "zero", score: "logit",
 *   classes: [{ name: "rest", windows: 32, svg: "<svg></svg>" }], filters: [],
 * });
 * assertStringIncludes(html, "Inside the model");
 * assertStringIncludes(html, "rest (32 windows)");
 * ```
 */
export function insideModelSection(inside: InsideModel): string {
  const figure = (svg: string, caption: string) =>
    `<figure class="topomap">${svg}<figcaption>${escapeXml(caption)}</figcaption></figure>`;
  const classes = inside.classes.map((c) => figure(c.svg, `${c.name} (${c.windows} windows)`)).join("");
  const filters = inside.filters.length === 0
    ? `<p class="muted">This model has no spatial filters to draw.</p>`
    : `<h3>Spatial filters</h3>
<p class="note">The weights of each spatial (depthwise) filter over the sensors, as in the EEGNet paper: red and blue
are opposite signs; a filter that weighs two regions with opposite signs contrasts them.</p>
<div class="topomaps">${inside.filters.map((f) => figure(f.svg, `filter ${f.name}`)).join("")}</div>`;
  return `<section id="inside"><h2>Inside the model</h2>
<p class="note">Saliency on ${escapeXml(inside.split)}: ${escapeXml(inside.method)} of each class's own ${
    escapeXml(inside.score)
  } over that class's windows (${inside.steps} steps from the baseline: ${
    escapeXml(inside.baseline)
  }), |attribution| summed over time per sensor and averaged over the windows. Darker red: the class's score depends
more on that sensor. Nose up, left on the left. Files: explain/ in the run folder.</p>
<div class="topomaps">${classes}</div>
${filters}
</section>`;
}
