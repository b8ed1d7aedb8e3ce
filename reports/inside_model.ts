/**
 * The "Inside the model" section of a run report: saliency topomaps per class
 * and the model's spatial filters, from `deno task explain`.
 *
 * @module
 */
import { escapeXml } from "./_svg.ts";
import type { SourceOcclusion } from "../evaluation/source_occlusion.ts";

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
  /**
   * Saliency per frequency band: band names and, per class, each band's share of the class's
   * band saliency and one small topomap per band (or none). Absent: no band row.
   */
  bands?: { names: string[]; classes: { name: string; shares: number[]; svgs: string[] }[] };
  /**
   * On generated data: Pearson r of each class's saliency with its sources' field, `all` and
   * per band of its sources (`own`), at `subject`, and of the other classes' maps with the same
   * sources (`cross[sourceClass][band][mapClass]`). Absent: no table.
   */
  sourceMatch?: {
    subject: string;
    own: Record<string, Record<string, number>>;
    cross: Record<string, Record<string, Record<string, number>>>;
  };
  /**
   * On generated data: each class's recall and mean own-class probability with its sources
   * projected out of the windows, against as many random fields (`evaluation/source_occlusion.ts`).
   * Absent: no table.
   */
  sourceOcclusion?: SourceOcclusion;
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
${inside.bands ? bandSection(inside.bands) : ""}${inside.sourceMatch ? sourceSection(inside.sourceMatch) : ""}${
    inside.sourceOcclusion ? occlusionSection(inside.sourceOcclusion) : ""
  }
${filters}
</section>`;
}

/** The per-band maps: a table of classes by bands, each class's strongest band in bold. */
function bandSection(bands: NonNullable<InsideModel["bands"]>): string {
  const head = bands.names.map((b) => `<th>${escapeXml(b)}</th>`).join("");
  const rows = bands.classes.map((c) => {
    const top = c.shares.indexOf(Math.max(...c.shares));
    const cells = bands.names.map((_, b) => {
      const share = `${(100 * c.shares[b]).toFixed(0)} %`;
      const text = b === top ? `<b>${share}</b>` : share;
      return `<td>${c.svgs[b] ? `<div class="band-map">${c.svgs[b]}</div>` : ""}${text}</td>`;
    }).join("");
    return `<tr><th>${escapeXml(c.name)}</th>${cells}</tr>`;
  }).join("\n");
  return `<h3>Per frequency band</h3>
<p class="note">Each band's attribution: |sum over time of the path-averaged gradient times the band-passed input|
per sensor (an exact split of the gradient-input product by frequency), averaged over the class's windows; "below" and
"above" are the spectrum under and over the named bands (drifts; line noise). The percentage is the band's share of the class's total; each map has its own colour scale.</p>
<table class="bands"><tr><th></th>${head}</tr>
${rows}</table>
`;
}

/** Where the generator put each class's sources, against the saliency: Pearson r per class and band. */
function sourceSection(match: NonNullable<InsideModel["sourceMatch"]>): string {
  const others = (name: string, band: string) => {
    const rs = Object.entries(match.cross[name]?.[band] ?? {}).filter(([m]) => m !== name).map(([, v]) => v);
    return rs.length === 0 ? "" : ` (others ${Math.min(...rs).toFixed(2)} to ${Math.max(...rs).toFixed(2)})`;
  };
  const rows = Object.entries(match.own).map(([name, r]) =>
    `<tr><th>${escapeXml(name)}</th><td>${
      Object.entries(r).map(([band, v]) => `${escapeXml(band)} ${v.toFixed(2)}${others(name, band)}`).join(", ")
    }</td></tr>`
  ).join("");
  return `<h3>Saliency against the generator's sources</h3>
<p class="note">Pearson r over the 248 sensors of each class's saliency (all bands, and the band of each group of its
sources) with the summed |field| of the sources the generator put in that class, at subject ${
    escapeXml(match.subject)
  }'s own source geometry; in brackets, the same for the other classes' maps: a map on its own class's sources scores
above them.</p>
<table class="sources">${rows}</table>
`;
}

/** What removing each class's sources does: its recall and probability, intact, removed, and random fields removed. */
function occlusionSection(occlusion: SourceOcclusion): string {
  const f = (v: number) => v.toFixed(2);
  const rows = occlusion.conditions.map((c) => {
    const [base, own, random] = [occlusion.baseline[c.class], c.perClass[c.class], c.random[c.class]];
    const others = Object.keys(c.perClass).filter((m) => m !== c.class)
      .map((m) => c.perClass[m].recall - occlusion.baseline[m].recall);
    const range = others.length === 0 ? "" : `${f(Math.min(...others))} to ${f(Math.max(...others))}`;
    return `<tr><th>${escapeXml(c.class)}</th><td>${escapeXml(c.band)}</td><td>${
      escapeXml(c.sources.join(", "))
    }</td>` +
      `<td>${f(base.recall)} &rarr; <b>${f(own.recall)}</b> (${f(random.recall)})</td>` +
      `<td>${f(base.meanProbability)} &rarr; <b>${f(own.meanProbability)}</b> (${f(random.meanProbability)})</td>` +
      `<td>${f(base.share)} &rarr; <b>${f(own.share)}</b> (${f(random.share)})</td>` +
      `<td>${range}</td></tr>`;
  }).join("\n");
  return `<h3>Removing each class's sources</h3>
<p class="note">Source occlusion, a check that needs no gradients: the span of the sensor fields of a class's sources
(the generator's own, at each recording's head position) is projected out of every time sample of every window, in all
frequencies ("all"), only in the band of the group, or in every band but its sources' bands ("outside"), and the model
is run again. Bold: the class's recall and mean probability
of its own class with its sources removed; in brackets, with as many random dipole fields removed in the same band
(mean of ${occlusion.randomDraws} draws). "Share called so": the share of all windows the model assigns to the class
(it rises when a removal makes other classes' windows look like this one). The last column: how the other classes'
recall changed.</p>
<table class="occlusion"><tr><th>class</th><th>band</th><th>sources removed</th><th>recall</th><th>probability</th>
<th>share called so</th><th>other classes' recall</th></tr>
${rows}</table>
`;
}
