/**
 * Spatial field patterns over the 248 Magnes 3600 WH sensors, in normalized
 * head coordinates: `u` left (-) to right (+), `v` back (-) to front (+), the
 * sensor array spanning roughly -1..1 in `u` and -0.8..0.8 in `v`.
 *
 * @module
 */
import { magnes3600Layout } from "../core/layout.ts";

/** Sensor positions in normalized head coordinates. */
export interface NormalizedLayout {
  u: Float64Array;
  v: Float64Array;
}

let normalized: NormalizedLayout | undefined;

/** The Magnes layout centred on its bounding box and divided by its half-width. */
export function normalizedLayout(): NormalizedLayout {
  if (normalized) return normalized;
  const { x, y } = magnes3600Layout();
  let xMin = Infinity, xMax = -Infinity, yMin = Infinity, yMax = -Infinity;
  for (let i = 0; i < x.length; i++) {
    xMin = Math.min(xMin, x[i]);
    xMax = Math.max(xMax, x[i]);
    yMin = Math.min(yMin, y[i]);
    yMax = Math.max(yMax, y[i]);
  }
  const cx = (xMin + xMax) / 2, cy = (yMin + yMax) / 2;
  const scale = Math.max(xMax - xMin, yMax - yMin) / 2;
  const u = new Float64Array(x.length), v = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    u[i] = (x[i] - cx) / scale;
    v[i] = (y[i] - cy) / scale;
  }
  normalized = { u, v };
  return normalized;
}

/** A current dipole seen from above: position, lobe axis, depth-dependent spread. */
export interface Dipole {
  /** Position, normalized head coordinates. */
  u: number;
  v: number;
  /** Direction of the line through the two field lobes, radians. */
  angle: number;
  /** Distance from the source to each lobe centre (grows with depth). */
  halfSeparation: number;
  /** Gaussian width of each lobe (grows with depth). */
  width: number;
}

/** Scales `pattern` in place so that its largest absolute value is 1; returns it. */
export function normalizePeak(pattern: Float64Array): Float64Array {
  let peak = 0;
  for (let i = 0; i < pattern.length; i++) peak = Math.max(peak, Math.abs(pattern[i]));
  if (peak > 0) { for (let i = 0; i < pattern.length; i++) pattern[i] /= peak; }
  return pattern;
}

/**
 * The field of a tangential dipole: two Gaussian lobes of opposite sign either
 * side of the source along `angle`, peak-normalized to 1.
 */
export function dipolePattern(dipole: Dipole): Float64Array {
  const { u, v } = normalizedLayout();
  const du = Math.cos(dipole.angle) * dipole.halfSeparation;
  const dv = Math.sin(dipole.angle) * dipole.halfSeparation;
  const k = 1 / (2 * dipole.width * dipole.width);
  const pattern = new Float64Array(u.length);
  for (let i = 0; i < u.length; i++) {
    const ap = (u[i] - dipole.u - du) ** 2 + (v[i] - dipole.v - dv) ** 2;
    const am = (u[i] - dipole.u + du) ** 2 + (v[i] - dipole.v + dv) ** 2;
    pattern[i] = Math.exp(-ap * k) - Math.exp(-am * k);
  }
  return normalizePeak(pattern);
}

/** A smooth environmental pattern `a + b*u + c*v + d*u*v + e*v^2`, peak-normalized. */
export function polynomialPattern(coefficients: readonly number[]): Float64Array {
  const { u, v } = normalizedLayout();
  const [a = 0, b = 0, c = 0, d = 0, e = 0] = coefficients;
  const pattern = new Float64Array(u.length);
  for (let i = 0; i < u.length; i++) pattern[i] = a + b * u[i] + c * v[i] + d * u[i] * v[i] + e * v[i] * v[i];
  return normalizePeak(pattern);
}

/** A rigid head placement: rotation (radians), scale, then shift. */
export interface HeadPlacement {
  rotation: number;
  scale: number;
  shiftU: number;
  shiftV: number;
}

/** Moves a dipole by a head placement (rotating its lobe axis with the head). */
export function placeDipole(dipole: Dipole, head: HeadPlacement): Dipole {
  const cos = Math.cos(head.rotation), sin = Math.sin(head.rotation);
  return {
    u: head.scale * (cos * dipole.u - sin * dipole.v) + head.shiftU,
    v: head.scale * (sin * dipole.u + cos * dipole.v) + head.shiftV,
    angle: dipole.angle + head.rotation,
    halfSeparation: dipole.halfSeparation * head.scale,
    width: dipole.width * head.scale,
  };
}
