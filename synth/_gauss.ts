/**
 * Fast seeded Gaussian noise for the synthetic generator: mulberry32 bits
 * mapped through a 65536-entry table of normal quantiles (two values per
 * 32-bit draw). Values are truncated at about ±4.3 sd; the table is scaled to
 * unit variance. Far faster than Box-Muller and good enough for noise.
 *
 * @module
 */

let table: Float64Array | undefined;

/** Acklam's rational approximation of the inverse normal CDF (relative error < 1.2e-9). */
function inverseNormalCdf(p: number): number {
  const a = [
    -39.69683028665376,
    220.9460984245205,
    -275.9285104469687,
    138.357751867269,
    -30.66479806614716,
    2.506628277459239,
  ];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [
    -0.007784894002430293,
    -0.3223964580411365,
    -2.400758277161838,
    -2.549732539343734,
    4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - low) return -inverseNormalCdf(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

function normalTable(): Float64Array {
  if (table) return table;
  const n = 1 << 16;
  const values = new Float64Array(n);
  let sumSquares = 0;
  for (let i = 0; i < n; i++) {
    values[i] = inverseNormalCdf((i + 0.5) / n);
    sumSquares += values[i] * values[i];
  }
  const scale = Math.sqrt(n / sumSquares);
  for (let i = 0; i < n; i++) values[i] *= scale;
  table = values;
  return values;
}

/** A seeded stream of standard normal numbers, filled into arrays in bulk. */
export class GaussianStream {
  #state: number;
  #table: Float64Array;

  /** @param seed 32-bit integer seed (e.g. from `hashSeed`). */
  constructor(seed: number) {
    this.#state = seed | 0;
    this.#table = normalTable();
  }

  /** Writes `scale` * N(0, 1) into `out[start..end)`, or adds it when `add` is true. */
  fill(out: Float64Array, scale = 1, start = 0, end = out.length, add = false): void {
    const t = this.#table;
    let state = this.#state;
    let i = start;
    while (i < end) {
      state = (state + 0x6d2b79f5) | 0;
      let z = Math.imul(state ^ (state >>> 15), state | 1);
      z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
      z ^= z >>> 14;
      const first = t[z & 0xffff] * scale;
      const second = t[(z >>> 16) & 0xffff] * scale;
      if (add) {
        out[i] += first;
        if (i + 1 < end) out[i + 1] += second;
      } else {
        out[i] = first;
        if (i + 1 < end) out[i + 1] = second;
      }
      i += 2;
    }
    this.#state = state;
  }
}
