/**
 * A random head movement of a sensor window: what a new subject's head placement does to the
 * field the sensors see. Used by `augment` (`headRotationStd`, `headShiftStd`).
 *
 * The sources move with the head and the sensors stay where they are, so each sensor reads the
 * field at a moved point: sensor `i` at `p_i` gets the value at `q_i = c + R(θ) (p_i - c) + t`
 * (`c` the layout's centre, `θ` a rotation, `t` a shift), interpolated from the 3 sensors nearest
 * to `q_i` among the 12 nearest to `p_i` (inverse squared distance weights; a sensor at `q_i`
 * itself takes the whole weight, so no movement is the identity). The generated data draw each
 * subject's placement with a rotation of sd 0.14 rad (8°) and shifts of sd 0.06-0.08 of the
 * helmet's half-width (`synth/_subject.ts`).
 *
 * @module
 */
import type { SensorLayout } from "../core/layout.ts";
import type { Random } from "../core/random.ts";

/** Candidate sensors per sensor (its nearest, itself included) and sensors interpolated from. */
const CANDIDATES = 12;
const NEIGHBOURS = 3;

/** A layout prepared for {@linkcode moveHead}: positions, centre, half-width and each sensor's candidates. */
export interface HeadMoveLayout {
  /** Number of sensors. */
  nChans: number;
  /** x, y of each sensor. */
  x: Float64Array;
  y: Float64Array;
  /** Centre of the layout (mean position). */
  cx: number;
  cy: number;
  /** Half the layout's left-right extent: the unit of a shift. */
  halfWidth: number;
  /** `candidates[i * CANDIDATES + k]`: the k-th nearest sensor to sensor i (k = 0 is i). */
  candidates: Int32Array;
}

const prepared = new WeakMap<SensorLayout, HeadMoveLayout>();

/** The {@linkcode HeadMoveLayout} of `layout`, made once per layout. */
export function headMoveLayout(layout: SensorLayout): HeadMoveLayout {
  let out = prepared.get(layout);
  if (out !== undefined) return out;
  const { x, y } = layout;
  const n = x.length;
  const k = Math.min(CANDIDATES, n);
  const candidates = new Int32Array(n * CANDIDATES).fill(-1);
  for (let i = 0; i < n; i++) {
    const order = Array.from({ length: n }, (_, j) => j)
      .sort((a, b) => ((x[a] - x[i]) ** 2 + (y[a] - y[i]) ** 2) - ((x[b] - x[i]) ** 2 + (y[b] - y[i]) ** 2) || a - b);
    // itself first, even where two sensors share a position
    order.splice(order.indexOf(i), 1);
    order.unshift(i);
    for (let j = 0; j < k; j++) candidates[i * CANDIDATES + j] = order[j];
  }
  let minX = Infinity, maxX = -Infinity;
  for (const v of x) [minX, maxX] = [Math.min(minX, v), Math.max(maxX, v)];
  out = {
    nChans: n,
    x,
    y,
    cx: x.reduce((s, v) => s + v, 0) / n,
    cy: y.reduce((s, v) => s + v, 0) / n,
    halfWidth: (maxX - minX) / 2 || 1,
    candidates,
  };
  prepared.set(layout, out);
  return out;
}

/**
 * Draws a head movement (`rotationStd * N(0, 1)` radians, then a shift of `shiftStd * N(0, 1)`
 * half-widths left-right and another back-front) and returns the sensor window `x`
 * (`[nChans, nTimes]`, row order the layout's) as the sensors would see the moved head.
 *
 * @param x The window's samples (not modified).
 * @param nTimes Samples per sensor.
 * @param layout The prepared layout of the window's sensors.
 * @param random Draws 3 normal numbers.
 * @param rotationStd Standard deviation of the rotation in radians.
 * @param shiftStd Standard deviation of each shift, in half-widths of the layout.
 * @returns A new array.
 */
export function moveHead(
  x: Float32Array,
  nTimes: number,
  layout: HeadMoveLayout,
  random: Random,
  rotationStd: number,
  shiftStd: number,
): Float32Array {
  const angle = rotationStd * random.normal();
  const tx = shiftStd * layout.halfWidth * random.normal();
  const ty = shiftStd * layout.halfWidth * random.normal();
  const cos = Math.cos(angle), sin = Math.sin(angle);
  const out = new Float32Array(x.length);
  const near = new Int32Array(NEIGHBOURS);
  const weight = new Float64Array(NEIGHBOURS);
  for (let i = 0; i < layout.nChans; i++) {
    const u = layout.x[i] - layout.cx, v = layout.y[i] - layout.cy;
    const qx = layout.cx + cos * u - sin * v + tx, qy = layout.cy + sin * u + cos * v + ty;
    // the NEIGHBOURS candidates nearest to q (insertion into a short sorted list)
    const dist = new Float64Array(NEIGHBOURS).fill(Infinity);
    near.fill(-1);
    for (let k = 0; k < CANDIDATES; k++) {
      const j = layout.candidates[i * CANDIDATES + k];
      if (j < 0) break;
      const d = (layout.x[j] - qx) ** 2 + (layout.y[j] - qy) ** 2;
      let at = NEIGHBOURS;
      while (at > 0 && d < dist[at - 1]) at--;
      if (at === NEIGHBOURS) continue;
      for (let m = NEIGHBOURS - 1; m > at; m--) [dist[m], near[m]] = [dist[m - 1], near[m - 1]];
      [dist[at], near[at]] = [d, j];
    }
    let total = 0;
    for (let m = 0; m < NEIGHBOURS; m++) {
      // a sensor (nearly) at q takes the whole weight: no movement is the identity
      weight[m] = near[m] < 0 ? 0 : dist[0] < 1e-12 ? (m === 0 ? 1 : 0) : 1 / dist[m];
      total += weight[m];
    }
    const row = out.subarray(i * nTimes, (i + 1) * nTimes);
    for (let m = 0; m < NEIGHBOURS; m++) {
      if (weight[m] === 0) continue;
      const w = weight[m] / total, source = near[m] * nTimes;
      for (let t = 0; t < nTimes; t++) row[t] += w * x[source + t];
    }
  }
  return out;
}
