/**
 * Topographic maps: one value per sensor, interpolated over the 2-D sensor layout
 * inside a head outline (nose up), with filled contour bands, contour lines,
 * the sensors as dots and a colour bar, as a self-contained SVG (as MNE's
 * `plot_topomap` draws them).
 *
 * @module
 */
import { Delaunay } from "d3-delaunay";
import { contours } from "d3-contour";
import { magnes3600Layout, type SensorLayout } from "../core/layout.ts";
import { escapeXml, FONT, INK, MUTED, niceTicks } from "./_svg.ts";

/** Options of {@linkcode topomapSvg}. */
export interface TopomapOptions {
  /** Sensor positions, in the order of the values. Default: the Magnes 3600 WH layout (248 sensors). */
  layout?: SensorLayout;
  /** Title above the head. Default: none. */
  title?: string;
  /** Label of the colour bar (e.g. units). Default: none. */
  label?: string;
  /**
   * Colours: "diverging" (blue - white - red, centred on 0, for signed values such as
   * spatial filters) or "sequential" (white - yellow - red - dark red, from the minimum,
   * for magnitudes such as saliency). Default: "diverging" when values of both signs
   * are present, else "sequential".
   */
  colours?: "diverging" | "sequential";
  /** Number of contour levels (filled bands and lines). Default: 8. */
  levels?: number;
  /** Interpolation grid cells per side. Default: 96. */
  resolution?: number;
  /** Width of the head in pixels (the SVG adds the colour bar and the title). Default: 300. */
  size?: number;
  /** Draw the sensors as dots. Default: true. */
  sensors?: boolean;
}

/** The head circle of a layout: centre and radius in layout units. */
export interface HeadCircle {
  /** x of the centre. */
  cx: number;
  /** y of the centre. */
  cy: number;
  /** Radius: 1.08 times the farthest sensor's distance from the centre. */
  r: number;
}

/**
 * The head circle around a layout: centred on the middle of the sensors' bounding
 * box, 8 % wider than the farthest sensor.
 *
 * @param layout Sensor positions.
 * @returns The circle.
 *
 * @example
 * ```ts
 * import { headCircle } from "./topomap.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const layout = { channels: ["a", "b"], x: Float64Array.of(-1, 1), y: Float64Array.of(0, 0) };
 * assertEquals(headCircle(layout), { cx: 0, cy: 0, r: 1.08 });
 * ```
 */
export function headCircle(layout: SensorLayout): HeadCircle {
  const { x, y } = layout;
  const cx = (Math.min(...x) + Math.max(...x)) / 2;
  const cy = (Math.min(...y) + Math.max(...y)) / 2;
  let far = 0;
  for (let i = 0; i < x.length; i++) far = Math.max(far, Math.hypot(x[i] - cx, y[i] - cy));
  return { cx, cy, r: far * 1.08 };
}

/**
 * Interpolates sensor values on a square grid over the head circle: linear
 * (barycentric) inside the Delaunay triangulation of the sensors plus 32 points
 * on the head circle, each of which takes the mean of its 3 nearest sensors
 * (so the map reaches the outline, as MNE's "head" extrapolation); grid cells
 * outside the circle take their nearest sensor's value (they are clipped away
 * when drawn).
 *
 * @param values One value per sensor.
 * @param layout Sensor positions.
 * @param resolution Cells per side.
 * @returns Row-major `[resolution, resolution]` values, row 0 at the front (top).
 * @throws {RangeError} when the values and the layout differ in length or a value is not finite.
 *
 * @example
 * ```ts
 * import { interpolateTopography } from "./topomap.ts";
 * import { assertAlmostEquals } from "@std/assert";
 *
 * const layout = { channels: ["a", "b", "c", "d"], x: Float64Array.of(-1, 1, -1, 1), y: Float64Array.of(-1, -1, 1, 1) };
 * const grid = interpolateTopography([0, 2, 0, 2], layout, 9); // rises from left to right
 * assertAlmostEquals(grid[4 * 9 + 4], 1, 1e-9); // the centre is the mean
 * ```
 */
export function interpolateTopography(
  values: ArrayLike<number>,
  layout: SensorLayout,
  resolution: number,
): Float64Array {
  const n = layout.x.length;
  if (values.length !== n) {
    throw new RangeError(`Cannot draw topomap: expected ${n} values (one per sensor), got ${values.length}`);
  }
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(values[i])) {
      throw new RangeError(`Cannot draw topomap: value of sensor ${layout.channels[i]} is not finite: ${values[i]}`);
    }
  }
  const head = headCircle(layout);
  const { px, py, pv } = withRing(values, layout, head);
  const delaunay = new Delaunay(interleave(px, py));
  const grid = new Float64Array(resolution * resolution).fill(NaN);
  const toX = (col: number) => head.cx - head.r + ((col + 0.5) / resolution) * 2 * head.r;
  const toY = (row: number) => head.cy + head.r - ((row + 0.5) / resolution) * 2 * head.r;
  const t = delaunay.triangles as Uint32Array;
  for (let k = 0; k < t.length; k += 3) fillTriangle(grid, resolution, head, [t[k], t[k + 1], t[k + 2]], px, py, pv);
  for (let row = 0; row < resolution; row++) {
    for (let col = 0; col < resolution; col++) {
      const cell = row * resolution + col;
      if (Number.isNaN(grid[cell])) grid[cell] = pv[delaunay.find(toX(col), toY(row))];
    }
  }
  return grid;
}

/** Sensor positions and values plus 32 points on the head circle (mean of their 3 nearest sensors). */
function withRing(values: ArrayLike<number>, layout: SensorLayout, head: HeadCircle) {
  const n = layout.x.length, ring = 32;
  const px = new Float64Array(n + ring), py = new Float64Array(n + ring), pv = new Float64Array(n + ring);
  for (let i = 0; i < n; i++) [px[i], py[i], pv[i]] = [layout.x[i], layout.y[i], values[i]];
  for (let j = 0; j < ring; j++) {
    const angle = (2 * Math.PI * j) / ring;
    const x = head.cx + head.r * Math.cos(angle), y = head.cy + head.r * Math.sin(angle);
    const nearest = Array.from({ length: n }, (_, i) => i)
      .sort((a, b) => Math.hypot(layout.x[a] - x, layout.y[a] - y) - Math.hypot(layout.x[b] - x, layout.y[b] - y))
      .slice(0, Math.min(3, n));
    [px[n + j], py[n + j]] = [x, y];
    pv[n + j] = nearest.reduce((sum, i) => sum + values[i], 0) / nearest.length;
  }
  return { px, py, pv };
}

function interleave(x: Float64Array, y: Float64Array): Float64Array {
  const points = new Float64Array(2 * x.length);
  for (let i = 0; i < x.length; i++) [points[2 * i], points[2 * i + 1]] = [x[i], y[i]];
  return points;
}

/** Sets the grid cells whose centres lie in triangle `[a, b, c]` to the barycentric mix of its corners. */
function fillTriangle(
  grid: Float64Array,
  resolution: number,
  head: HeadCircle,
  [a, b, c]: number[],
  px: Float64Array,
  py: Float64Array,
  pv: Float64Array,
): void {
  const cell = (2 * head.r) / resolution;
  const colOf = (x: number) => (x - (head.cx - head.r)) / cell - 0.5;
  const rowOf = (y: number) => (head.cy + head.r - y) / cell - 0.5;
  const det = (py[b] - py[c]) * (px[a] - px[c]) + (px[c] - px[b]) * (py[a] - py[c]);
  if (Math.abs(det) < 1e-12) return;
  const cols = [px[a], px[b], px[c]].map(colOf), rows = [py[a], py[b], py[c]].map(rowOf);
  const c0 = Math.max(0, Math.ceil(Math.min(...cols))), c1 = Math.min(resolution - 1, Math.floor(Math.max(...cols)));
  const r0 = Math.max(0, Math.ceil(Math.min(...rows))), r1 = Math.min(resolution - 1, Math.floor(Math.max(...rows)));
  for (let row = r0; row <= r1; row++) {
    const y = head.cy + head.r - (row + 0.5) * cell;
    for (let col = c0; col <= c1; col++) {
      const x = head.cx - head.r + (col + 0.5) * cell;
      const wa = ((py[b] - py[c]) * (x - px[c]) + (px[c] - px[b]) * (y - py[c])) / det;
      const wb = ((py[c] - py[a]) * (x - px[c]) + (px[a] - px[c]) * (y - py[c])) / det;
      const wc = 1 - wa - wb;
      if (wa < -1e-9 || wb < -1e-9 || wc < -1e-9) continue;
      grid[row * resolution + col] = wa * pv[a] + wb * pv[b] + wc * pv[c];
    }
  }
}

const DIVERGING = ["#2166ac", "#67a9cf", "#d1e5f0", "#f7f7f7", "#fddbc7", "#ef8a62", "#b2182b"];
const SEQUENTIAL = ["#ffffcc", "#ffeda0", "#fed976", "#feb24c", "#fd8d3c", "#f03b20", "#bd0026", "#800026"];

/** The colour at `t` in [0, 1] of a list of stops, interpolated in RGB. */
function colourAt(stops: readonly string[], t: number): string {
  const u = Math.min(1, Math.max(0, t)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(u));
  const [p, q] = [stops[i], stops[i + 1]].map((hex) => [1, 3, 5].map((k) => parseInt(hex.slice(k, k + 2), 16)));
  const mix = p.map((v, k) => Math.round(v + (q[k] - v) * (u - i)));
  return `#${mix.map((v) => v.toString(16).padStart(2, "0")).join("")}`;
}

/** The value range and colour stops of a map. */
function scaleOf(values: ArrayLike<number>, colours: TopomapOptions["colours"]) {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < values.length; i++) [lo, hi] = [Math.min(lo, values[i]), Math.max(hi, values[i])];
  const kind = colours ?? (lo < 0 && hi > 0 ? "diverging" : "sequential");
  if (kind === "diverging") {
    const m = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
    return { lo: -m, hi: m, stops: DIVERGING };
  }
  return { lo, hi: hi > lo ? hi : lo + 1, stops: SEQUENTIAL };
}

/**
 * Draws a topographic map of one value per sensor as a self-contained SVG: the
 * values interpolated over the head (see {@linkcode interpolateTopography}),
 * filled contour bands and contour lines (`d3-contour`), the head outline with
 * nose (up) and ears, the sensors as dots, and a colour bar with ticks.
 *
 * @param values One value per sensor, in the layout's order (A1..A248 by default).
 * @param options Layout, title, colours, levels, size.
 * @returns The SVG text.
 * @throws {RangeError} when the number of values differs from the layout's sensors or a value is not finite.
 *
 * @example
 * ```ts
 * import { topomapSvg } from "./topomap.ts";
 * import { magnes3600Layout } from "../core/layout.ts";
 * import { assertStringIncludes } from "@std/assert";
 *
 * const layout = magnes3600Layout();
 * const svg = topomapSvg(Array.from(layout.y), { title: "front to back", label: "y" });
 * assertStringIncludes(svg, "<svg");
 * assertStringIncludes(svg, "front to back");
 * ```
 */
export function topomapSvg(values: ArrayLike<number>, options: TopomapOptions = {}): string {
  const layout = options.layout ?? magnes3600Layout();
  const resolution = options.resolution ?? 96;
  const size = options.size ?? 300;
  const grid = interpolateTopography(values, layout, resolution);
  const head = headCircle(layout);
  const { lo, hi, stops } = scaleOf(values, options.colours);
  const levels = Math.max(2, options.levels ?? 8);
  const thresholds = Array.from({ length: levels }, (_, k) => lo + ((hi - lo) * k) / levels);
  const pad = 24, top = options.title ? 30 : 10;
  const scale = size / (2 * head.r * 1.15);
  const ox = pad + size / 2, oy = top + size / 2;
  const gridScale = (2 * head.r * scale) / resolution;
  const toSvg = ([gx, gy]: number[]) =>
    `${(ox - head.r * scale + gx * gridScale).toFixed(1)},${(oy - head.r * scale + gy * gridScale).toFixed(1)}`;
  const generator = contours().size([resolution, resolution]).thresholds(thresholds);
  const bands = generator(Array.from(grid)) as { value: number; coordinates: number[][][][] }[];
  const pathOf = (band: { coordinates: number[][][][] }) =>
    band.coordinates.map((polygon) => polygon.map((ring) => `M${ring.map(toSvg).join("L")}Z`).join("")).join("");
  const colourOf = (k: number) => colourAt(stops, (k + 0.5) / levels);
  const fills = bands.map((band, k) => `<path d="${pathOf(band)}" fill="${colourOf(k)}" stroke="none"/>`);
  const lines = bands.slice(1).map((band) =>
    `<path d="${pathOf(band)}" fill="none" stroke="#000" stroke-opacity="0.45" stroke-width="0.6"/>`
  );
  const rPx = head.r * scale;
  const dots = options.sensors === false ? [] : Array.from(layout.x, (x, i) => {
    const sx = ox + (x - head.cx) * scale, sy = oy - (layout.y[i] - head.cy) * scale;
    return `<circle cx="${sx.toFixed(1)}" cy="${sy.toFixed(1)}" r="1.1" fill="${INK}" fill-opacity="0.55"/>`;
  });
  const width = pad + size + pad + 70, height = top + size + 12;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}">`,
    `<defs><clipPath id="head-${idOf(values)}"><circle cx="${ox}" cy="${oy}" r="${rPx.toFixed(1)}"/></clipPath></defs>`,
    options.title
      ? `<text x="${ox}" y="20" text-anchor="middle" font-size="14" fill="${INK}">${escapeXml(options.title)}</text>`
      : "",
    `<g clip-path="url(#head-${idOf(values)})">${fills.join("")}${lines.join("")}</g>`,
    headOutline(ox, oy, rPx),
    ...dots,
    colourBar(pad + size + pad, top + size * 0.1, size * 0.8, lo, hi, stops, options.label),
    `</svg>`,
  ].join("\n");
}

/** A short id from the values, so that several maps on one page keep their own clip paths. */
function idOf(values: ArrayLike<number>): string {
  let h = 2166136261;
  for (let i = 0; i < values.length; i++) h = Math.imul(h ^ Math.round(values[i] * 1e6), 16777619);
  return (h >>> 0).toString(36);
}

/** Head circle, nose (up) and ears. */
function headOutline(ox: number, oy: number, r: number): string {
  const style = `fill="none" stroke="${INK}" stroke-width="1.5"`;
  const nose = `M${ox - r * 0.12},${oy - r * 0.99} L${ox},${oy - r * 1.12} L${ox + r * 0.12},${oy - r * 0.99}`;
  const ear = (side: number) =>
    `M${ox + side * r * 0.99},${oy - r * 0.12} C${ox + side * r * 1.09},${oy - r * 0.16} ${ox + side * r * 1.1},${
      oy + r * 0.16
    } ${ox + side * r * 0.99},${oy + r * 0.14}`;
  return `<circle cx="${ox}" cy="${oy}" r="${r.toFixed(1)}" ${style}/><path d="${nose} ${ear(-1)} ${
    ear(1)
  }" ${style}/>`;
}

/** A vertical colour bar with a gradient and ticks. */
function colourBar(
  x: number,
  y: number,
  h: number,
  lo: number,
  hi: number,
  stops: readonly string[],
  label?: string,
): string {
  const id = `bar-${Math.round(x)}-${stops.length}`;
  const gradient = [...stops].reverse().map((colour, k) =>
    `<stop offset="${(100 * k / (stops.length - 1)).toFixed(1)}%" stop-color="${colour}"/>`
  );
  const ticks = niceTicks(lo, hi, 5).filter((t) => t >= lo && t <= hi).map((t) => {
    const ty = y + h * (1 - (t - lo) / (hi - lo));
    return `<line x1="${x + 12}" x2="${x + 15}" y1="${ty.toFixed(1)}" y2="${ty.toFixed(1)}" stroke="${INK}"/>` +
      `<text x="${x + 17}" y="${(ty + 3.5).toFixed(1)}" font-size="10" fill="${MUTED}">${formatTick(t)}</text>`;
  });
  return [
    `<defs><linearGradient id="${id}" x1="0" x2="0" y1="0" y2="1">${gradient.join("")}</linearGradient></defs>`,
    `<rect x="${x}" y="${y}" width="12" height="${h}" fill="url(#${id})" stroke="${INK}" stroke-width="0.5"/>`,
    ...ticks,
    label
      ? `<text x="${x + 6}" y="${y - 6}" text-anchor="middle" font-size="10" fill="${MUTED}">${escapeXml(label)}</text>`
      : "",
  ].join("");
}

function formatTick(t: number): string {
  if (t === 0) return "0";
  const a = Math.abs(t);
  return a >= 1e4 || a < 1e-2 ? t.toExponential(1) : String(Number(t.toPrecision(3)));
}
