/**
 * Source occlusion: a causal check of what a model uses that needs no
 * gradients. The span of a group of sensor fields `F = [f_1 .. f_k]` is
 * projected out of every time sample of a window, `x' = (I - F (F^T F)^-1 F^T) x`
 * (through an orthonormal basis of the span, so near-collinear fields are
 * handled), optionally only in some frequency bands (the removed part is
 * band-passed first, see `band_spectrum.ts`: the projection acts on sensors and
 * the band-pass on time, so they commute); the model is run on the occluded
 * windows, and each class's mean own-class probability and recall are compared
 * with those on the intact windows.
 *
 * @module
 */
import type { BandSpectrum } from "./band_spectrum.ts";

/**
 * An orthonormal basis of the span of `vectors` (modified Gram-Schmidt, applied twice),
 * each vector first multiplied element-wise by `scale` when given. A vector that adds less
 * than `1e-9` of its own norm to the span of the ones before it is dropped.
 *
 * @param vectors Equally long vectors (e.g. sensor fields).
 * @param scale Per-element factors (e.g. `1 / sd` per sensor, for z-scored windows). Default: none.
 * @returns The basis, at most `vectors.length` unit vectors.
 * @throws {RangeError} when the vectors (or `scale`) differ in length.
 *
 * @example
 * ```ts
 * import { orthonormalBasis } from "./source_occlusion.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const basis = orthonormalBasis([[3, 0, 0], [3, 4, 0], [6, 4, 0]]); // the third is in the span
 * assertEquals(basis.map((b) => Array.from(b)), [[1, 0, 0], [0, 1, 0]]);
 * ```
 */
export function orthonormalBasis(vectors: ArrayLike<number>[], scale?: ArrayLike<number>): Float64Array[] {
  const n = vectors[0]?.length ?? 0;
  if (vectors.some((v) => v.length !== n) || (scale !== undefined && scale.length !== n)) {
    throw new RangeError(
      `Cannot build a basis: expected vectors (and scale) of one length, got ${vectors.map((v) => v.length)}${
        scale ? ` and scale ${scale.length}` : ""
      }`,
    );
  }
  const basis: Float64Array[] = [];
  const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, v, i) => s + v * b[i], 0);
  for (const vector of vectors) {
    const v = Float64Array.from(vector, (x, i) => x * (scale ? scale[i] : 1));
    const norm = Math.sqrt(dot(v, v));
    for (let pass = 0; pass < 2; pass++) {
      for (const b of basis) {
        const p = dot(v, b);
        for (let i = 0; i < n; i++) v[i] -= p * b[i];
      }
    }
    const rest = Math.sqrt(dot(v, v));
    if (norm > 0 && rest > 1e-9 * norm) basis.push(v.map((x) => x / rest));
  }
  return basis;
}

/** Restricts an occlusion to some frequency bands of the windows. */
export interface OcclusionBand {
  /** DFT tables of the windows' length (`bandSpectrum(nTimes, sfreq)`). */
  spectrum: BandSpectrum;
  /** Name of the band, one of `spectrum.names`, or several (their union). */
  band: string | readonly string[];
}

/**
 * Projects the span of `basis` out of every time sample of every window:
 * `x' = x - U U^T x` (`U` the orthonormal basis, `[nChans, k]`), or with `band` only the
 * band-passed part of `U U^T x` (an ideal zero-phase filter over the window: its DFT bins
 * in the band kept, the others zeroed; the `k` coefficient series `U^T x` are filtered,
 * since filtering in time and projecting over sensors commute).
 *
 * @param xs Windows `[batch, nChans, nTimes]`, row-major.
 * @param shape `[batch, nChans, nTimes]`.
 * @param basis Orthonormal vectors of `nChans` values ({@linkcode orthonormalBasis}); none: a copy of `xs`.
 * @param band Band restriction. Default: all frequencies.
 * @returns The occluded windows, a new array.
 * @throws {RangeError} when `xs` does not hold `shape`, the basis vectors are not `nChans`
 *   long, the windows are not `spectrum.nTimes` long, or the band is not one of the spectrum's.
 *
 * @example
 * ```ts
 * import { orthonormalBasis, projectOut } from "./source_occlusion.ts";
 * import { assertAlmostEquals } from "@std/assert";
 *
 * const field = [1, 1, 0];
 * const x = Float32Array.of(2, -2, 2, -2, 5, 1); // the field times (2, -2), plus sensor 3's (5, 1)
 * const y = projectOut(x, [1, 3, 2], orthonormalBasis([field]));
 * [0, 0, 0, 0, 5, 1].forEach((v, i) => assertAlmostEquals(y[i], v, 1e-6));
 * ```
 */
export function projectOut(
  xs: Float32Array,
  shape: readonly number[],
  basis: Float64Array[],
  band?: OcclusionBand,
): Float32Array {
  const [batch, nChans, nTimes] = shape;
  if (shape.length !== 3 || xs.length !== batch * nChans * nTimes) {
    throw new RangeError(
      `Cannot occlude: expected windows [batch, nChans, nTimes], got ${xs.length} values for [${shape}]`,
    );
  }
  if (basis.some((b) => b.length !== nChans)) {
    throw new RangeError(`Cannot occlude: basis vectors of ${basis[0].length} values for windows of ${nChans} sensors`);
  }
  const out = Float32Array.from(xs);
  const filter = band === undefined ? undefined : bandFilter(band, nTimes);
  const coefficients = new Float64Array(nTimes);
  for (let w = 0; w < batch; w++) {
    const offset = w * nChans * nTimes;
    for (const u of basis) {
      coefficients.fill(0);
      for (let c = 0; c < nChans; c++) {
        const row = offset + c * nTimes;
        for (let t = 0; t < nTimes; t++) coefficients[t] += u[c] * xs[row + t];
      }
      const removed = filter ? filter(coefficients) : coefficients;
      for (let c = 0; c < nChans; c++) {
        const row = offset + c * nTimes;
        for (let t = 0; t < nTimes; t++) out[row + t] -= u[c] * removed[t];
      }
    }
  }
  return out;
}

/** The band-pass of one series of `nTimes` samples: its DFT bins outside the band(s) zeroed. */
function bandFilter({ spectrum, band }: OcclusionBand, nTimes: number): (y: Float64Array) => Float64Array {
  const { names } = spectrum;
  const wanted = typeof band === "string" ? [band] : band;
  const columns = wanted.map((name) => names.indexOf(name));
  if (columns.some((b) => b < 0) || spectrum.nTimes !== nTimes) {
    throw new RangeError(
      `Cannot occlude in band "${wanted.join(", ")}": expected some of ${
        names.join(", ")
      } and windows of ${spectrum.nTimes} samples, got ${nTimes}`,
    );
  }
  const nBins = Math.floor(nTimes / 2) + 1;
  const weightOf = (k: number) => columns.reduce((sum, b) => sum + spectrum.weights[k * names.length + b], 0);
  const bins = Array.from({ length: nBins }, (_, k) => k).filter((k) => weightOf(k) > 0);
  const { cos, sin } = spectrum;
  const out = new Float64Array(nTimes);
  return (y) => {
    out.fill(0);
    for (const k of bins) {
      let [re, im] = [0, 0];
      for (let t = 0; t < nTimes; t++) [re, im] = [re + y[t] * cos[t * nBins + k], im + y[t] * sin[t * nBins + k]];
      const w = weightOf(k);
      for (let t = 0; t < nTimes; t++) out[t] += w * (re * cos[t * nBins + k] + im * sin[t * nBins + k]);
    }
    return out;
  };
}

/** Mean own-class probability and recall of one class's windows. */
export interface ClassOutcome {
  /** Mean over the class's windows of the probability the model gives the class. */
  meanProbability: number;
  /** Share of the class's windows the model assigns to the class (arg max). */
  recall: number;
  /**
   * Share of all windows (of every class) the model assigns to the class: rises when an
   * occlusion makes other classes' windows look like this one (e.g. removing a rhythm that
   * this class is recognised by the absence of).
   */
  share: number;
}

/** Counts, per class, the own-class probabilities and correct arg maxes of windows. */
export class OutcomeTally {
  /** Sum of own-class probabilities per class. */
  readonly probabilities: Float64Array;
  /** Windows assigned to their own class, per class. */
  readonly correct: Int32Array;
  /** Windows per class. */
  readonly counts: Int32Array;
  /** Windows assigned to each class (arg max), whatever their own class. */
  readonly assigned: Int32Array;

  /** @param nClasses Number of classes. */
  constructor(readonly nClasses: number) {
    this.probabilities = new Float64Array(nClasses);
    this.correct = new Int32Array(nClasses);
    this.counts = new Int32Array(nClasses);
    this.assigned = new Int32Array(nClasses);
  }

  /**
   * Adds a batch of class probabilities.
   *
   * @param probabilities `[batch, nClasses]` row-major.
   * @param labels The class of each window.
   */
  add(probabilities: ArrayLike<number>, labels: ArrayLike<number>): void {
    const n = this.nClasses;
    for (let i = 0; i < labels.length; i++) {
      const row = Array.from({ length: n }, (_, k) => probabilities[i * n + k]);
      const k = labels[i];
      this.counts[k]++;
      this.probabilities[k] += row[k];
      const predicted = row.indexOf(Math.max(...row));
      this.assigned[predicted]++;
      if (predicted === k) this.correct[k]++;
    }
  }

  /**
   * The outcome of each class (zeros for a class without windows).
   *
   * @param names Class names, in index order.
   * @returns `{name: {meanProbability, recall, share}}`.
   *
   * @example
   * ```ts
   * import { OutcomeTally } from "./source_occlusion.ts";
   * import { assertEquals } from "@std/assert";
   *
   * const tally = new OutcomeTally(2);
   * tally.add([0.75, 0.25, 0.5, 0.5, 0.25, 0.75], [0, 0, 1]);
   * assertEquals(tally.outcomes(["a", "b"]), {
   *   a: { meanProbability: 0.625, recall: 1, share: 2 / 3 },
   *   b: { meanProbability: 0.75, recall: 1, share: 1 / 3 },
   * });
   * ```
   */
  outcomes(names: readonly string[]): Record<string, ClassOutcome> {
    const total = this.counts.reduce((a, b) => a + b, 0);
    return Object.fromEntries(names.map((name, k) => {
      const n = this.counts[k];
      return [name, {
        meanProbability: n > 0 ? this.probabilities[k] / n : 0,
        recall: n > 0 ? this.correct[k] / n : 0,
        share: total > 0 ? this.assigned[k] / total : 0,
      }];
    }));
  }
}

/** One occluded group of sources and what removing it did. */
export interface OcclusionCondition {
  /**
   * `<class>:<band>`: `all` for every source of the class in every band, a band name for the
   * class's sources in that band, `outside` for every source of the class in every band but
   * the bands of its sources (what the class's sources' span carries at other frequencies).
   */
  name: string;
  /** The class whose sources were removed. */
  class: string;
  /** The band removed (`all`: no band restriction; `outside`: every band but the sources' bands). */
  band: string;
  /** The sources removed. */
  sources: string[];
  /** Per class, after removing the group. */
  perClass: Record<string, ClassOutcome>;
  /** Per class, after removing as many random dipole fields in the same band, mean over the draws. */
  random: Record<string, ClassOutcome>;
}

/** `explain.json`'s `sourceOcclusion`. */
export interface SourceOcclusion {
  /** What was done, in words. */
  method: string;
  /** Random draws per condition. */
  randomDraws: number;
  /** Seconds the occlusion pass took. */
  seconds: number;
  /** Per class, on the intact windows. */
  baseline: Record<string, ClassOutcome & { windows: number }>;
  /** One entry per occluded group. */
  conditions: OcclusionCondition[];
}
