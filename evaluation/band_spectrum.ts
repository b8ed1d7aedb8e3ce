/**
 * Per-band saliency of sensor windows: the inner product over time of two
 * signals (a gradient and an input), split exactly into frequency bands by
 * Parseval's theorem. For a real window of `T` samples with discrete Fourier
 * transforms `G_k` and `X_k`,
 *
 * `sum_t g(t) x(t) = sum_k w_k Re(G_k conj(X_k))`, `k = 0..floor(T/2)`,
 *
 * with `w_k = 1/T` for `k = 0` and (even `T`) `k = T/2`, `2/T` otherwise. The part
 * of the sum over the bins of one band is `sum_t g(t) x_b(t)`, where `x_b` is `x`
 * band-passed by masking its spectrum to that band (an ideal, zero-phase filter
 * over the window); the bins of no named band form up to three more bands, each
 * present when it holds a bin: `below` (under the lowest band: drifts and the
 * mean), `between` (in gaps between bands) and `above` (over the highest band, up
 * to Nyquist: e.g. 60 Hz line noise), so the bands' parts sum to
 * `sum_t g(t) x(t)` exactly.
 *
 * The transforms are matrix products with cosine and sine tables of the window's
 * own length (exact for any `T`, not only powers of two, and differentiable on
 * every tfjs backend), built once per `(T, sfreq, bands)`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { DEFAULT_BANDS, type FrequencyBand } from "../operators/band_power.ts";

/** Names of the bands that hold the bins of no named band: under the lowest, in gaps, over the highest. */
export const REMAINDER_BANDS = ["below", "between", "above"] as const;

/** The DFT tables of one window length and the bins of each band. */
export interface BandSpectrum {
  /** Band names: the named bands in order, then those of {@linkcode REMAINDER_BANDS} that hold a bin. */
  names: string[];
  /** Samples per window. */
  nTimes: number;
  /** Sampling rate of the windows, Hz. */
  sfreq: number;
  /** `cos(2 pi k t / T)`, `[nTimes, nBins]` row-major, `nBins = floor(T/2) + 1`. */
  cos: Float32Array;
  /** `sin(2 pi k t / T)`, `[nTimes, nBins]` row-major. */
  sin: Float32Array;
  /** `w_k` times the band indicator, `[nBins, names.length]` row-major. */
  weights: Float32Array;
}

/**
 * The tables of {@linkcode bandInnerProducts} for windows of `nTimes` samples at
 * `sfreq` Hz. Bin `k` lies at `k * sfreq / nTimes` Hz and belongs to the band
 * with `loHz <= f < hiHz` (the first such band), else to `below`, `between` or `above`.
 *
 * @param nTimes Samples per window (>= 2).
 * @param sfreq Sampling rate in Hz (> 0).
 * @param bands Named bands. Default: delta 1-4, theta 4-8, alpha 8-13, beta 13-30, gamma 30-45 Hz.
 * @returns The tables.
 * @throws {RangeError} for a bad length or rate, or a named band that holds no bin of this window.
 *
 * @example
 * ```ts
 * import { bandSpectrum } from "./band_spectrum.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const spectrum = bandSpectrum(250, 125); // 2 s at 125 Hz: bins every 0.5 Hz
 * assertEquals(spectrum.names, ["delta", "theta", "alpha", "beta", "gamma", "below", "above"]);
 * ```
 */
export function bandSpectrum(
  nTimes: number,
  sfreq: number,
  bands: readonly FrequencyBand[] = DEFAULT_BANDS,
): BandSpectrum {
  if (!Number.isInteger(nTimes) || nTimes < 2 || !(sfreq > 0)) {
    throw new RangeError(
      `Cannot split saliency into bands: windows need >= 2 samples and a positive rate, got ${nTimes} samples at ${sfreq} Hz`,
    );
  }
  const nBins = Math.floor(nTimes / 2) + 1;
  const bandOf = binBands(nTimes, sfreq, bands);
  const names = [...bands.map((b) => b.name), ...REMAINDER_BANDS.filter((_, r) => bandOf.includes(bands.length + r))];
  const cos = new Float32Array(nTimes * nBins), sin = new Float32Array(nTimes * nBins);
  for (let t = 0; t < nTimes; t++) {
    for (let k = 0; k < nBins; k++) {
      const phase = (2 * Math.PI * ((k * t) % nTimes)) / nTimes;
      cos[t * nBins + k] = Math.cos(phase);
      sin[t * nBins + k] = Math.sin(phase);
    }
  }
  const weights = new Float32Array(nBins * names.length);
  const column = (band: number) => (band < bands.length ? band : names.indexOf(REMAINDER_BANDS[band - bands.length]));
  for (let k = 0; k < nBins; k++) {
    const edge = k === 0 || 2 * k === nTimes;
    weights[k * names.length + column(bandOf[k])] = (edge ? 1 : 2) / nTimes;
  }
  const empty = bands.filter((_, b) => !bandOf.includes(b)).map((b) => `${b.name} ${b.loHz}-${b.hiHz} Hz`);
  if (empty.length > 0) {
    throw new RangeError(
      `Cannot split saliency into bands: no frequency bin of a ${nTimes}-sample window at ${sfreq} Hz (every ${
        sfreq / nTimes
      } Hz up to ${sfreq / 2} Hz) falls in ${empty.join(", ")}`,
    );
  }
  return { names, nTimes, sfreq, cos, sin, weights };
}

/** The band of every bin: a named band's index, or `bands.length + r` for remainder band `r`. */
function binBands(nTimes: number, sfreq: number, bands: readonly FrequencyBand[]): number[] {
  const lowest = Math.min(...bands.map((b) => b.loHz)), highest = Math.max(...bands.map((b) => b.hiHz));
  return Array.from({ length: Math.floor(nTimes / 2) + 1 }, (_, k) => {
    const f = (k * sfreq) / nTimes;
    const found = bands.findIndex((b) => b.loHz <= f && f < b.hiHz);
    if (found >= 0) return found;
    return bands.length + (f < lowest ? 0 : f >= highest ? 2 : 1);
  });
}

/**
 * The inner products over time of `a` and `b` per band: `sum_t a(t) b_band(t)` for
 * every window and sensor, exact (see the module). Summed over the bands they
 * give `sum_t a(t) b(t)`.
 *
 * @param a `[batch, nChans, nTimes]`, e.g. a gradient.
 * @param b Same shape, e.g. the input minus its baseline.
 * @param spectrum Tables of the windows' length.
 * @returns `[batch, nChans, nBands]`, bands in the order of `spectrum.names`.
 * @throws {RangeError} when the shapes differ or the windows are not `spectrum.nTimes` long.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { bandInnerProducts, bandSpectrum } from "./band_spectrum.ts";
 * import { assertAlmostEquals } from "@std/assert";
 *
 * await tf.setBackend("cpu");
 * const t = Array.from({ length: 250 }, (_, i) => i / 125);
 * const x = tf.tensor3d([[t.map((s) => Math.sin(2 * Math.PI * 10 * s) + Math.sin(2 * Math.PI * 20 * s))]]);
 * const g = tf.tensor3d([[t.map((s) => Math.sin(2 * Math.PI * 10 * s))]]); // sees only the 10 Hz part
 * const [delta, theta, alpha, beta] = bandInnerProducts(g, x, bandSpectrum(250, 125)).dataSync();
 * assertAlmostEquals(alpha, 125, 1e-2); // sum of sin^2 over 250 samples
 * assertAlmostEquals(beta, 0, 1e-3); // the 20 Hz part is orthogonal to the gradient
 * ```
 */
export function bandInnerProducts(a: tf.Tensor, b: tf.Tensor, spectrum: BandSpectrum): tf.Tensor3D {
  const { nTimes, names } = spectrum;
  if (a.rank !== 3 || a.shape.join() !== b.shape.join() || a.shape[2] !== nTimes) {
    throw new RangeError(
      `Cannot split saliency into bands: expected two [batch, nChans, ${nTimes}] tensors, got [${a.shape}] and [${b.shape}]`,
    );
  }
  const [batch, nChans] = a.shape;
  const nBins = Math.floor(nTimes / 2) + 1;
  return tf.tidy(() => {
    const cos = tf.tensor2d(spectrum.cos, [nTimes, nBins]), sin = tf.tensor2d(spectrum.sin, [nTimes, nBins]);
    const [a2, b2] = [a, b].map((t) => tf.reshape(t, [batch * nChans, nTimes]) as tf.Tensor2D);
    const cross = tf.add(
      tf.mul(tf.matMul(a2, cos), tf.matMul(b2, cos)),
      tf.mul(tf.matMul(a2, sin), tf.matMul(b2, sin)),
    );
    const perBand = tf.matMul(cross as tf.Tensor2D, tf.tensor2d(spectrum.weights, [nBins, names.length]));
    return tf.reshape(perBand, [batch, nChans, names.length]) as tf.Tensor3D;
  });
}
