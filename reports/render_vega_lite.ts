/**
 * Renders Vega-Lite specs headless to inline SVG for the reports: the spec is
 * compiled with `vega-lite`, run by a `vega` View without a renderer and
 * written with `view.toSVG()`. No canvas is needed (Vega then estimates text
 * widths generously, so labels get room rather than being clipped).
 *
 * The SVG is adapted to live inside a self-contained HTML page: the root
 * element gets `class="plot"`, `data-*` attributes (so tests and styles can
 * find a plot), a `<title>` and no namespace URLs; each mark item with a
 * `description` gets it as a `<title>` too, so hovering shows it without any
 * script. Specs must not clip marks or use gradient legends: Vega numbers
 * those definitions with a global counter, which would make the output depend
 * on what was rendered before and make ids clash between plots of one page.
 *
 * Every chart of the run, search and study reports is such a spec (gauge,
 * confusion heatmap, learning curves, accuracy per subject and per recording,
 * time per stage, influence of a hyper-parameter, bars over seeds); no
 * hand-drawn SVG is left. Where Vega-Lite has no option for a detail, the spec
 * carries it as data or plain marks: the labels of the best and
 * early-stopping epochs and of the gauge's ticks are placed in TypeScript so
 * that they do not overlap, the gauge has fixed pixel margins to fit its card,
 * and a wrong vote is a custom symbol path (a ring with a cross).
 *
 * @module
 */
import { compile, type Config, type TopLevelSpec } from "vega-lite";
import { parse, View } from "vega";
import { escapeXml, FONT, GRID, INK, MUTED } from "./_svg.ts";

/** The look shared by every chart: fonts, colours and axis styles of the reports. */
export const CHART_CONFIG: Config = {
  font: FONT,
  background: "transparent",
  padding: 4,
  view: { stroke: null },
  title: { anchor: "start", frame: "bounds", fontSize: 14, fontWeight: "bold", color: INK, offset: 10 },
  axis: {
    labelColor: MUTED,
    labelFontSize: 11,
    titleColor: MUTED,
    titleFontSize: 12,
    titleFontWeight: "normal",
    gridColor: GRID,
    domainColor: MUTED,
    tickColor: MUTED,
  },
  legend: {
    orient: "top",
    direction: "horizontal",
    labelFontSize: 12,
    labelColor: INK,
    labelLimit: 0,
    title: null,
    offset: 22,
    symbolStrokeWidth: 0,
  },
  text: { color: INK, fontSize: 11 },
};

/**
 * A Vega-Lite spec as the plain JSON object the chart modules build. TypeScript does not check it
 * against Vega-Lite's types (layers built by helpers do not narrow to them); `vega-lite`'s
 * `compile` reads it when the chart is rendered, and warns about what it does not understand.
 */
export type VegaLiteSpec = Record<string, unknown>;

/** What the root `<svg>` of a chart says about itself. */
export interface ChartFrame {
  /** Accessible title, written as the first `<title>` (the tooltip of the whole chart). */
  title: string;
  /** Written as `data-KEY="VALUE"` attributes in this order, e.g. `{ plot: "confusion", split: "test" }`. */
  data: Readonly<Record<string, string | undefined>>;
}

/**
 * The spec with {@linkcode CHART_CONFIG} under its own `config`: each group of settings
 * (`axis`, `legend`, ...) of the spec's config is laid over the same group of the reports' look.
 */
function themed(spec: VegaLiteSpec): VegaLiteSpec {
  const config: Record<string, unknown> = { ...CHART_CONFIG };
  for (const [key, value] of Object.entries(spec.config ?? {})) {
    const base = config[key];
    const bothObjects = [base, value].every((v) => typeof v === "object" && v !== null && !Array.isArray(v));
    config[key] = bothObjects ? { ...base as object, ...value } : value;
  }
  return { ...spec, config };
}

/**
 * Turns Vega's SVG document into an inline element: `class="plot"`, the
 * frame's `data-*` attributes and title on the root, no namespace URLs, and
 * each described mark item's description as its `<title>`. The font, which
 * Vega repeats on every text, is set once on the root, and the empty
 * background and foreground paths of groups are left out.
 */
function inlineSvg(svg: string, frame: ChartFrame): string {
  const root = svg.match(/^<svg\b[^>]*>/)?.[0] ?? "";
  const size = ["width", "height", "viewBox"].map((name) => {
    const value = root.match(new RegExp(`\\b${name}="([^"]*)"`))?.[1];
    return value === undefined ? "" : ` ${name}="${value}"`;
  }).join("");
  const data = Object.entries(frame.data).filter(([, value]) => value !== undefined)
    .map(([key, value]) => ` data-${key}="${escapeXml(value)}"`).join("");
  const font = ` font-family="${FONT}"`;
  const body = svg.slice(root.length)
    .replaceAll(font, "")
    .replace(/<path class="(background|foreground)" aria-hidden="true" d="(M0,0h0v0h0Z)?"[^>]*\/>/g, "")
    .replace(
      /<(path|line|rect|circle)\b([^>]*?) aria-label="([^"]*)"([^>]*?)\/>/g,
      `<$1$2 aria-label="$3"$4><title>$3</title></$1>`,
    );
  return `<svg class="plot"${data}${size}${font} role="img"><title>${escapeXml(frame.title)}</title>${body}`;
}

/**
 * The spec as JSON for people: indented, but each object or array without
 * nested ones (a data row, a list of ticks) on one line.
 */
function specJson(spec: VegaLiteSpec): string {
  return JSON.stringify(spec, null, 1).replace(/[{[]\n[^{}[\]]*\n\s*[}\]]/g, (leaf) => leaf.replace(/\n\s*/g, " "));
}

/**
 * Renders a Vega-Lite spec to an inline `<svg>` element, with the reports'
 * look ({@linkcode CHART_CONFIG}) under the spec's own `config`. The same
 * input gives the same text.
 *
 * @param spec A Vega-Lite spec with inline data.
 * @param frame Title and `data-*` attributes of the root element.
 * @returns The `<svg class="plot" data-...>` element.
 *
 * @example
 * ```ts
 * import { renderVegaLite } from "./render_vega_lite.ts";
 * import { assertEquals, assertStringIncludes } from "@std/assert";
 *
 * const spec = {
 *   data: { values: [{ stage: "train", seconds: 90 }, { stage: "evaluate", seconds: 30 }] },
 *   mark: "bar",
 *   encoding: {
 *     x: { field: "seconds", type: "quantitative" },
 *     y: { field: "stage", type: "nominal" },
 *     description: { field: "stage" },
 *   },
 * };
 * const svg = await renderVegaLite(spec, { title: "Time <per> stage", data: { plot: "timings" } });
 * assertStringIncludes(svg, '<svg class="plot" data-plot="timings"');
 * assertStringIncludes(svg, "<title>Time &lt;per&gt; stage</title>");
 * assertStringIncludes(svg, ">evaluate</text>");
 * assertStringIncludes(svg, "<title>train</title>"); // a bar's tooltip
 * assertEquals(await renderVegaLite(spec, { title: "", data: {} }), await renderVegaLite(spec, { title: "", data: {} }));
 * ```
 */
export async function renderVegaLite(spec: VegaLiteSpec, frame: ChartFrame): Promise<string> {
  // A copy, as Vega tags the data rows it is given; compile() checks what the types cannot (see VegaLiteSpec).
  const copy = structuredClone(themed(spec)) as unknown as TopLevelSpec;
  const view = new View(parse(compile(copy).spec), { renderer: "none" });
  try {
    return inlineSvg(await view.toSVG(), frame);
  } finally {
    view.finalize();
  }
}

/**
 * Renders a chart for a report page: the inline SVG of {@linkcode renderVegaLite}
 * followed by its Vega-Lite spec (with the reports' config) as JSON in a closed
 * `<details>`, to copy into the Vega editor or any Vega-Lite tool.
 *
 * @param spec A Vega-Lite spec with inline data.
 * @param frame Title and `data-*` attributes of the root element.
 * @returns `<figure class="chart"><svg ...>...</svg><details class="spec">...</details></figure>`.
 *
 * @example
 * ```ts
 * import { renderChart } from "./render_vega_lite.ts";
 * import { assertStringIncludes } from "@std/assert";
 *
 * const spec = { data: { values: [{ a: "x<y", b: 1 }] }, mark: "bar", encoding: {
 *   x: { field: "a", type: "nominal" }, y: { field: "b", type: "quantitative" },
 * } };
 * const html = await renderChart(spec, { title: "demo", data: { plot: "demo" } });
 * assertStringIncludes(html, '<figure class="chart"><svg class="plot" data-plot="demo"');
 * assertStringIncludes(html, "<summary>Vega-Lite spec</summary>");
 * assertStringIncludes(html, '{ "a": "x&lt;y", "b": 1 }');
 * ```
 */
export async function renderChart(spec: VegaLiteSpec, frame: ChartFrame): Promise<string> {
  const svg = await renderVegaLite(spec, frame);
  // Quotes need no escaping in text content; & < > do.
  const json = specJson(themed(spec)).replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
  return `<figure class="chart">${svg}<details class="spec"><summary>Vega-Lite spec</summary><pre>${json}</pre></details></figure>`;
}

/** CSS for {@linkcode renderChart}'s figures, for the `<style>` of a page that shows charts. */
export const CHART_CSS = `
figure.chart{margin:0;max-width:100%}
details.spec{font-size:11px;color:#777;margin:2px 0 0}
details.spec summary{cursor:pointer;width:max-content}
details.spec pre{max-height:320px;max-width:560px;overflow:auto;background:#f7f7f9;border:1px solid #e3e3e3;border-radius:4px;padding:6px;font-size:11px;white-space:pre}
`;
