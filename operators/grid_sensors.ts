/**
 * Sensor windows `[nChans, nTimes]` to image frames `[nTimes, rows, cols]` laid
 * out like the helmet seen from above, for video-like models (ViViT, 3-D CNNs).
 *
 * @module
 */
import { map, type OperatorFunction } from "rxjs";
import { magnes3600Layout, type SensorLayout } from "../core/layout.ts";
import type { Window } from "../core/types.ts";
import { checkOptions } from "../core/check_options.ts";
import { OPERATOR_OPTIONS } from "./_option_rules.ts";

/** Size of the sensor grid. */
export interface GridShape {
  /** Number of rows (row 0 = most anterior, largest layout y). Default: 20. */
  rows?: number;
  /** Number of columns (column 0 = leftmost, smallest layout x). Default: 20. */
  cols?: number;
}

/** Options of {@linkcode planSensorGrid} and {@linkcode gridSensors}. */
export interface GridSensorsOptions extends GridShape {
  /** Sensor positions, in the row order of the windows. Default: `magnes3600Layout()` (248 sensors). */
  layout?: SensorLayout;
  /**
   * Value of cells without a sensor: "zero", or "interpolate": inverse-distance
   * weighting (power 2) of the `neighbours` nearest sensors for empty cells inside
   * the convex hull of the occupied cells, zero outside it. Default: "zero".
   */
  fill?: "zero" | "interpolate";
  /** Number of sensors each interpolated cell averages (>= 1). Default: 4. */
  neighbours?: number;
}

/** Where each sensor goes and how empty cells are filled: the plan of {@linkcode sensorsToFrames}. */
export interface SensorGrid {
  /** Number of rows. */
  readonly rows: number;
  /** Number of columns. */
  readonly cols: number;
  /** Cell index `row * cols + col` of each sensor; all different. */
  readonly cellOfSensor: Int32Array;
  /** Empty cells that are interpolated. */
  readonly fillCells: Int32Array;
  /** `neighbours` sensor indices per entry of `fillCells`. */
  readonly fillSensors: Int32Array;
  /** Weight of each entry of `fillSensors` (each cell's weights sum to 1). */
  readonly fillWeights: Float64Array;
}

/**
 * Assigns every sensor its own grid cell. Sensor positions are scaled so that the
 * layout's bounding box spans the grid's cell centres (x to columns 0..cols-1, left
 * to right; y to rows 0..rows-1, front to back; each axis scaled on its own), then
 * the assignment that minimises the total squared distance between each sensor and
 * its cell is found exactly (Hungarian algorithm; ties go to the lower cell index,
 * so the result is deterministic). For the 248 Magnes sensors on the default 20 x 20
 * grid every sensor lies within 0.92 cells of its scaled position (mean 0.45); on
 * 16 x 16 within 2.4 cells (mean 1.26). Costs O(nSensors^2 * rows * cols) time:
 * ~30 ms for 248 sensors on 20 x 20, ~130 ms on 16 x 16.
 *
 * @param layout Sensor positions (`x` left to right, `y` back to front).
 * @param shape Grid rows and columns (default 20 x 20).
 * @returns The cell index `row * cols + col` of each sensor, in layout order.
 * @throws {RangeError} when rows or cols is not a positive integer, when the grid
 *   has fewer cells than there are sensors, or when the layout has no extent.
 *
 * @example
 * ```ts
 * import { assignSensorsToGrid } from "./grid_sensors.ts";
 * import { assertEquals } from "@std/assert";
 *
 * // three sensors, two of them closest to the same cell of a 2 x 2 grid
 * const layout = { channels: ["a", "b", "c"], x: Float64Array.of(0, 0.1, 1), y: Float64Array.of(1, 0.8, 0) };
 * assertEquals(Array.from(assignSensorsToGrid(layout, { rows: 2, cols: 2 })), [0, 2, 3]);
 * ```
 */
export function assignSensorsToGrid(layout: SensorLayout, shape: GridShape = {}): Int32Array {
  checkOptions("gridShape", shape, OPERATOR_OPTIONS.gridShape);
  const { rows, cols } = checkShape(shape, layout.x.length);
  const { r, c } = gridPositions(layout, rows, cols);
  return hungarian(r, c, rows, cols);
}

/**
 * Builds the sensor-to-cell plan used by {@linkcode sensorsToFrames}: the cell
 * of each sensor (from {@linkcode assignSensorsToGrid}) and, with
 * `fill: "interpolate"`, the interpolation weights of the empty cells inside the
 * convex hull of the occupied cells. Plans are cached per layout object and
 * options, so calling this (or `gridSensors`) once per recording is cheap.
 *
 * @param options Layout, grid shape, fill.
 * @returns The plan (shared from the cache; do not modify).
 * @throws {RangeError} as {@linkcode assignSensorsToGrid}, and when `fill` or
 *   `neighbours` is invalid.
 *
 * @example
 * ```ts
 * import { planSensorGrid } from "./grid_sensors.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const grid = planSensorGrid({ rows: 20, cols: 20, fill: "interpolate" });
 * assertEquals(new Set(grid.cellOfSensor).size, 248);
 * assertEquals(grid.fillSensors.length, grid.fillCells.length * 4);
 * ```
 */
export function planSensorGrid(options: GridSensorsOptions = {}): SensorGrid {
  checkOptions("gridSensors", options, OPERATOR_OPTIONS.gridSensors);
  const layout = options.layout ?? magnes3600Layout();
  const { rows, cols } = checkShape(options, layout.x.length);
  const fill = options.fill ?? "zero";
  if (fill !== "zero" && fill !== "interpolate") {
    throw new RangeError(`Cannot grid sensors: fill must be "zero" or "interpolate", got ${JSON.stringify(fill)}`);
  }
  const k = fill === "zero" ? 0 : options.neighbours ?? 4;
  if (!Number.isSafeInteger(k) || k < 0 || (fill === "interpolate" && (k < 1 || k > layout.x.length))) {
    throw new RangeError(
      `Cannot grid sensors: neighbours must be an integer in [1, ${layout.x.length}], got ${options.neighbours}`,
    );
  }
  const key = `${rows}x${cols}:${k}`;
  let cached = planCache.get(layout);
  if (cached === undefined) planCache.set(layout, cached = new Map());
  let grid = cached.get(key);
  if (grid === undefined) {
    grid = buildGrid(layout, rows, cols, k);
    cached.set(key, grid);
  }
  return grid;
}

const planCache = new WeakMap<SensorLayout, Map<string, SensorGrid>>();

/**
 * Rearranges a sensor window `[nSensors, nTimes]` into frames
 * `[nTimes, rows, cols]` following a {@linkcode SensorGrid} plan.
 *
 * @param data Channel-major samples, `nSensors = grid.cellOfSensor.length` rows.
 * @param grid The plan from {@linkcode planSensorGrid}.
 * @returns Time-major frames as a new Float32Array of `nTimes * rows * cols`.
 * @throws {TypeError} when `data.length` is not a multiple of the number of sensors.
 *
 * @example
 * ```ts
 * import { planSensorGrid, sensorsToFrames } from "./grid_sensors.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const layout = { channels: ["front", "back"], x: Float64Array.of(0, 0), y: Float64Array.of(1, -1) };
 * const grid = planSensorGrid({ layout, rows: 2, cols: 1 });
 * // two sensors, three samples: frames [3, 2, 1]
 * const frames = sensorsToFrames(Float32Array.of(1, 2, 3, 10, 20, 30), grid);
 * assertEquals(Array.from(frames), [1, 10, 2, 20, 3, 30]);
 * ```
 */
export function sensorsToFrames(data: Float32Array | Float64Array, grid: SensorGrid): Float32Array {
  const { rows, cols, cellOfSensor, fillCells, fillSensors, fillWeights } = grid;
  const nSensors = cellOfSensor.length;
  if (data.length % nSensors !== 0) {
    throw new TypeError(`Cannot grid sensors: expected a multiple of ${nSensors} samples, got ${data.length}`);
  }
  const nTimes = data.length / nSensors;
  const frame = rows * cols;
  const out = new Float32Array(nTimes * frame);
  for (let s = 0; s < nSensors; s++) {
    const cell = cellOfSensor[s];
    const offset = s * nTimes;
    for (let t = 0; t < nTimes; t++) out[t * frame + cell] = data[offset + t];
  }
  const k = fillCells.length === 0 ? 0 : fillSensors.length / fillCells.length;
  for (let f = 0; f < fillCells.length; f++) {
    const cell = fillCells[f];
    for (let t = 0; t < nTimes; t++) {
      let v = 0;
      for (let j = f * k; j < (f + 1) * k; j++) v += fillWeights[j] * data[fillSensors[j] * nTimes + t];
      out[t * frame + cell] = v;
    }
  }
  return out;
}

/**
 * Turns sensor windows `[nChans, nTimes]` into frame windows `[nTimes, rows, cols]`
 * (time-major; row 0 = most anterior, column 0 = leftmost), with each sensor in its
 * own cell ({@linkcode assignSensorsToGrid}) and empty cells zero or interpolated.
 * The default 20 x 20 grid (400 cells for 248 sensors) keeps every Magnes sensor
 * within one cell of its true scaled position; 16 x 16 (256 cells) fits too but
 * moves sensors up to 2.4 cells. Stateless: other fields of the window are kept.
 *
 * @param options Grid shape, layout, fill.
 * @returns An operator from sensor windows to frame windows.
 * @throws {RangeError} at once when `rows * cols` is smaller than the number of
 *   sensors or another option is invalid.
 * @throws {TypeError} as an error notification, when a window's shape is not
 *   `[nSensors, nTimes]` of the layout's sensors.
 *
 * @example
 * ```ts
 * import { lastValueFrom, of } from "rxjs";
 * import { gridSensors } from "./grid_sensors.ts";
 * import type { Recording, Window } from "../core/types.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const input: Window = {
 *   recording: { path: "rest_1_1.h5" } as Recording, startSample: 0, sfreq: 125,
 *   shape: [248, 10], data: new Float32Array(2480).fill(1), label: 0,
 * };
 * const out = await lastValueFrom(of(input).pipe(gridSensors({ rows: 16, cols: 16 })));
 * assertEquals(out.shape, [10, 16, 16]);
 * assertEquals(out.data.reduce((a, b) => a + b, 0), 2480); // each sensor in one cell
 * ```
 */
export function gridSensors(options: GridSensorsOptions = {}): OperatorFunction<Window, Window> {
  const grid = planSensorGrid(options);
  const nSensors = grid.cellOfSensor.length;
  return map((w: Window) => {
    if (w.shape.length !== 2 || w.shape[0] !== nSensors || w.data.length !== w.shape[0] * w.shape[1]) {
      throw new TypeError(
        `Cannot grid sensors: expected a window of shape [${nSensors}, nTimes] holding its data, got shape [${w.shape}] ` +
          `with ${w.data.length} samples`,
      );
    }
    return { ...w, shape: [w.shape[1], grid.rows, grid.cols], data: sensorsToFrames(w.data, grid) };
  });
}

function checkShape(shape: GridShape, nSensors: number): { rows: number; cols: number } {
  const rows = shape.rows ?? 20, cols = shape.cols ?? 20;
  for (const [name, value] of [["rows", rows], ["cols", cols]] as const) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new RangeError(`Cannot grid sensors: ${name} must be a positive integer, got ${value}`);
    }
  }
  if (rows * cols < nSensors) {
    throw new RangeError(
      `Cannot grid sensors: a ${rows} x ${cols} grid has ${rows * cols} cells, fewer than the ${nSensors} sensors`,
    );
  }
  return { rows, cols };
}

/** Sensor positions in (fractional) grid coordinates. */
function gridPositions(layout: SensorLayout, rows: number, cols: number): { r: Float64Array; c: Float64Array } {
  const n = layout.x.length;
  let xMin = Infinity, xMax = -Infinity, yMin = Infinity, yMax = -Infinity;
  for (let i = 0; i < n; i++) {
    xMin = Math.min(xMin, layout.x[i]);
    xMax = Math.max(xMax, layout.x[i]);
    yMin = Math.min(yMin, layout.y[i]);
    yMax = Math.max(yMax, layout.y[i]);
  }
  if (n > 1 && !(xMax > xMin) && !(yMax > yMin)) {
    throw new RangeError(`Cannot grid sensors: all ${n} sensors are at the same position`);
  }
  const r = new Float64Array(n), c = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    c[i] = xMax > xMin ? ((layout.x[i] - xMin) / (xMax - xMin)) * (cols - 1) : (cols - 1) / 2;
    r[i] = yMax > yMin ? ((yMax - layout.y[i]) / (yMax - yMin)) * (rows - 1) : (rows - 1) / 2;
  }
  return { r, c };
}

/**
 * Minimum-cost assignment of n sensors to m >= n cells, cost = squared distance
 * (shortest augmenting paths with potentials, O(n^2 m)).
 */
function hungarian(r: Float64Array, c: Float64Array, rows: number, cols: number): Int32Array {
  const n = r.length, m = rows * cols;
  const cellRow = new Float64Array(m + 1), cellCol = new Float64Array(m + 1);
  for (let j = 1; j <= m; j++) {
    cellRow[j] = Math.floor((j - 1) / cols);
    cellCol[j] = (j - 1) % cols;
  }
  const u = new Float64Array(n + 1), v = new Float64Array(m + 1);
  const owner = new Int32Array(m + 1), way = new Int32Array(m + 1);
  const minv = new Float64Array(m + 1), used = new Uint8Array(m + 1);
  for (let i = 1; i <= n; i++) {
    owner[0] = i;
    let j0 = 0;
    minv.fill(Infinity);
    used.fill(0);
    do {
      used[j0] = 1;
      const i0 = owner[j0];
      const ri = r[i0 - 1], ci = c[i0 - 1], ui = u[i0];
      let delta = Infinity, j1 = 0;
      for (let j = 1; j <= m; j++) {
        if (used[j]) continue;
        const dr = ri - cellRow[j], dc = ci - cellCol[j];
        const cur = dr * dr + dc * dc - ui - v[j];
        if (cur < minv[j]) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      for (let j = 0; j <= m; j++) {
        if (used[j]) {
          u[owner[j]] += delta;
          v[j] -= delta;
        } else {
          minv[j] -= delta;
        }
      }
      j0 = j1;
    } while (owner[j0] !== 0);
    do {
      const j1 = way[j0];
      owner[j0] = owner[j1];
      j0 = j1;
    } while (j0 !== 0);
  }
  const cellOfSensor = new Int32Array(n);
  for (let j = 1; j <= m; j++) if (owner[j] !== 0) cellOfSensor[owner[j] - 1] = j - 1;
  return cellOfSensor;
}

function buildGrid(layout: SensorLayout, rows: number, cols: number, k: number): SensorGrid {
  const cellOfSensor = assignSensorsToGrid(layout, { rows, cols });
  const n = cellOfSensor.length;
  const fillCells: number[] = [], fillSensors: number[] = [], fillWeights: number[] = [];
  if (k > 0) {
    const occupied = new Uint8Array(rows * cols);
    const points = Array.from(cellOfSensor, (cell) => {
      occupied[cell] = 1;
      return [Math.floor(cell / cols), cell % cols] as [number, number];
    });
    const hull = convexHull(points);
    for (let cell = 0; cell < rows * cols; cell++) {
      if (occupied[cell]) continue;
      const row = Math.floor(cell / cols), col = cell % cols;
      if (!insideHull(hull, row, col)) continue;
      const nearest = Array.from({ length: n }, (_, s) => [(points[s][0] - row) ** 2 + (points[s][1] - col) ** 2, s])
        .sort((a, b) => a[0] - b[0] || a[1] - b[1])
        .slice(0, k);
      const weights = nearest.map(([d2]) => 1 / d2);
      const total = weights.reduce((a, b) => a + b, 0);
      fillCells.push(cell);
      for (let j = 0; j < k; j++) {
        fillSensors.push(nearest[j][1]);
        fillWeights.push(weights[j] / total);
      }
    }
  }
  return {
    rows,
    cols,
    cellOfSensor,
    fillCells: Int32Array.from(fillCells),
    fillSensors: Int32Array.from(fillSensors),
    fillWeights: Float64Array.from(fillWeights),
  };
}

/** Convex hull of integer points, counter-clockwise, without collinear points (monotone chain). */
function convexHull(points: Array<[number, number]>): Array<[number, number]> {
  const sorted = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (sorted.length < 3) return sorted;
  const cross = (o: [number, number], a: [number, number], b: [number, number]) =>
    (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const lower: Array<[number, number]> = [], upper: Array<[number, number]> = [];
  for (const p of sorted) {
    while (lower.length >= 2 && cross(lower[lower.length - 2], lower[lower.length - 1], p) <= 0) lower.pop();
    lower.push(p);
  }
  for (let i = sorted.length - 1; i >= 0; i--) {
    const p = sorted[i];
    while (upper.length >= 2 && cross(upper[upper.length - 2], upper[upper.length - 1], p) <= 0) upper.pop();
    upper.push(p);
  }
  return lower.slice(0, -1).concat(upper.slice(0, -1));
}

/** Whether (row, col) lies inside or on a counter-clockwise convex hull (exact, integer arithmetic). */
function insideHull(hull: Array<[number, number]>, row: number, col: number): boolean {
  if (hull.length < 3) return false;
  for (let i = 0; i < hull.length; i++) {
    const a = hull[i], b = hull[(i + 1) % hull.length];
    if ((b[0] - a[0]) * (col - a[1]) - (b[1] - a[1]) * (row - a[0]) < 0) return false;
  }
  return true;
}
