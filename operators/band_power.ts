/**
 * Spectral input: each sensor window `[nChans, nTimes]` to its log band powers
 * `[nChans, nBands]`, from a Welch power spectral density (Hann window, 50 %
 * overlapping segments, as `scipy.signal.welch` computes it) integrated over
 * named frequency bands.
 *
 * @module
 */
import { checkOptions } from "../core/check_options.ts";
import { OPERATOR_OPTIONS } from "./_option_rules.ts";
import FFT from "fft.js";
import { map, type OperatorFunction } from "rxjs";
import type { Window } from "../core/types.ts";

/** A named frequency band `[loHz, hiHz)`. */
export interface FrequencyBand {
  /** Name, e.g. `"alpha"`. */
  name: string;
  /** Lower edge in Hz (included). */
  loHz: number;
  /** Upper edge in Hz (excluded). */
  hiHz: number;
}

/** The default bands: delta 1-4, theta 4-8, alpha 8-13, beta 13-30, gamma 30-45 Hz. */
export const DEFAULT_BANDS: readonly FrequencyBand[] = Object.freeze([
  { name: "delta", loHz: 1, hiHz: 4 },
  { name: "theta", loHz: 4, hiHz: 8 },
  { name: "alpha", loHz: 8, hiHz: 13 },
  { name: "beta", loHz: 13, hiHz: 30 },
  { name: "gamma", loHz: 30, hiHz: 45 },
]);

/** Options of {@linkcode bandPowers} and {@linkcode bandPower}. */
export interface BandPowerOptions {
  /** Bands to integrate over, in output order (each `0 <= loHz < hiHz`). Default: {@linkcode DEFAULT_BANDS}. */
  bands?: readonly FrequencyBand[];
  /**
   * Samples per Welch segment (>= 2). Segments overlap by half (`floor(n / 2)`
   * samples), each is mean-removed and Hann-windowed (periodic), and zero-padded
   * to the next power of two for the FFT (scipy's `nfft`). Default:
   * {@linkcode defaultSegmentSamples}: the power of two nearest to one second,
   * at most the window: 128 samples (1.02 s, 0.98 Hz bins) at 125 Hz.
   */
  segmentSamples?: number;
  /** Divide each band's power by the sum over all bands of its channel. Default: false. */
  relative?: boolean;
  /** Output `log10(max(power, 1e-30))` instead of the power. Default: true. */
  log?: boolean;
}

/**
 * The default Welch segment length: the power of two nearest to `sfreq` (about
 * one second), lowered to the largest power of two that fits `nTimes`.
 *
 * @param sfreq Sampling rate in Hz.
 * @param nTimes Samples per window.
 * @returns The segment length in samples.
 *
 * @example
 * ```ts
 * import { defaultSegmentSamples } from "./band_power.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(defaultSegmentSamples(125, 250), 128);
 * assertEquals(defaultSegmentSamples(2034, 1017), 512);
 * ```
 */
export function defaultSegmentSamples(sfreq: number, nTimes: number): number {
  const nearest = 2 ** Math.round(Math.log2(sfreq));
  return Math.max(2, Math.min(nearest, 2 ** Math.floor(Math.log2(Math.max(2, nTimes)))));
}

/** Welch PSD of one channel: frequencies and density (`scaling="density"`, one-sided). */
export interface WelchSpectrum {
  /** Frequency of each bin in Hz: `k * sfreq / nfft`, `k = 0..nfft/2`. */
  freqs: Float64Array;
  /** Power spectral density of each bin (units^2 / Hz). */
  psd: Float64Array;
}

/** Reusable FFT plan, window and scratch arrays of one segment length. */
class WelchPlan {
  readonly nfft: number;
  readonly hann: Float64Array;
  readonly scale: number;
  readonly fft: FFT;
  readonly input: Float64Array;
  readonly output: number[];

  constructor(readonly segment: number, readonly sfreq: number) {
    this.nfft = 2 ** Math.ceil(Math.log2(segment));
    this.hann = Float64Array.from({ length: segment }, (_, n) => 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / segment));
    let sumSquares = 0;
    for (const w of this.hann) sumSquares += w * w;
    this.scale = 1 / (sfreq * sumSquares);
    this.fft = new FFT(this.nfft);
    this.input = new Float64Array(this.nfft);
    this.output = this.fft.createComplexArray();
  }

  /** Adds the one-sided density of the segment at `data[start..start+segment)` to `psd`. */
  accumulate(data: ArrayLike<number>, start: number, psd: Float64Array): void {
    const { segment, input, output, hann, scale, nfft } = this;
    let mean = 0;
    for (let i = 0; i < segment; i++) mean += data[start + i];
    mean /= segment;
    for (let i = 0; i < segment; i++) input[i] = (data[start + i] - mean) * hann[i];
    this.fft.realTransform(output, input);
    for (let k = 0; k <= nfft / 2; k++) {
      const re = output[2 * k], im = output[2 * k + 1];
      const double = k === 0 || (k === nfft / 2) ? 1 : 2;
      psd[k] += (re * re + im * im) * scale * double;
    }
  }
}

const plans = new Map<string, WelchPlan>();

function planOf(segment: number, sfreq: number): WelchPlan {
  const key = `${segment}/${sfreq}`;
  let plan = plans.get(key);
  if (plan === undefined) plans.set(key, plan = new WelchPlan(segment, sfreq));
  return plan;
}

/**
 * Welch power spectral density of one channel, as
 * `scipy.signal.welch(x, fs, window="hann", nperseg=n, noverlap=n // 2, nfft=nextpow2(n))`
 * (constant detrend, density scaling, one-sided, mean over segments).
 *
 * @param x The channel's samples (at least `segmentSamples`).
 * @param sfreq Sampling rate in Hz.
 * @param segmentSamples Samples per segment (>= 2). Default: {@linkcode defaultSegmentSamples}.
 * @returns Frequencies and densities of the `nfft / 2 + 1` bins.
 * @throws {RangeError} when the segment is shorter than 2 samples or longer than `x`.
 *
 * @example
 * ```ts
 * import { welch } from "./band_power.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const x = Float64Array.from({ length: 256 }, (_, t) => Math.sin(2 * Math.PI * 10 * t / 128));
 * const { freqs, psd } = welch(x, 128, 128);
 * assertEquals(freqs[psd.indexOf(Math.max(...psd))], 10); // the peak sits at 10 Hz
 * ```
 */
export function welch(
  x: ArrayLike<number>,
  sfreq: number,
  segmentSamples: number = defaultSegmentSamples(sfreq, x.length),
): WelchSpectrum {
  checkSegment(segmentSamples, x.length);
  const plan = planOf(segmentSamples, sfreq);
  const psd = new Float64Array(plan.nfft / 2 + 1);
  const count = accumulateChannel(plan, x, 0, x.length, psd);
  for (let k = 0; k < psd.length; k++) psd[k] /= count;
  const freqs = Float64Array.from(psd, (_, k) => (k * sfreq) / plan.nfft);
  return { freqs, psd };
}

/** Adds every segment of `data[offset..offset+nTimes)` to `psd`; returns the number of segments. */
function accumulateChannel(
  plan: WelchPlan,
  data: ArrayLike<number>,
  offset: number,
  nTimes: number,
  psd: Float64Array,
): number {
  const step = plan.segment - Math.floor(plan.segment / 2);
  let count = 0;
  for (let start = 0; start + plan.segment <= nTimes; start += step, count++) {
    plan.accumulate(data, offset + start, psd);
  }
  return count;
}

/**
 * Band powers of every channel of a window: the Welch PSD (see {@linkcode welch})
 * summed over the bins `loHz <= f < hiHz` of each band times the bin width
 * `sfreq / nfft` (rectangle rule), optionally relative to the channel's total
 * over the bands, and by default as `log10`.
 *
 * @param data Samples, channel-major `[nChans, nTimes]`.
 * @param shape `[nChans, nTimes]`.
 * @param sfreq Sampling rate in Hz.
 * @param options Bands, segment length, relative and log.
 * @returns Channel-major `[nChans, nBands]`.
 * @throws {TypeError} for a shape that is not `[nChans, nTimes]` or malformed bands.
 * @throws {RangeError} for a band without any frequency bin or a bad segment length.
 *
 * @example
 * ```ts
 * import { bandPowers } from "./band_power.ts";
 * import { assertEquals } from "@std/assert";
 *
 * // a 10 Hz sine: alpha (8-13 Hz) is the strongest band
 * const x = Float32Array.from({ length: 250 }, (_, t) => Math.sin(2 * Math.PI * 10 * t / 125));
 * const powers = bandPowers(x, [1, 250], 125);
 * assertEquals(powers.indexOf(Math.max(...powers)), 2);
 * ```
 */
export function bandPowers(
  data: ArrayLike<number>,
  shape: readonly number[],
  sfreq: number,
  options: BandPowerOptions = {},
): Float32Array {
  if (shape.length !== 2 || shape[0] * shape[1] !== data.length) {
    throw new TypeError(
      `Cannot compute band power: expected a sensor window [nChans, nTimes] of ${data.length} values, got shape ${
        JSON.stringify(shape)
      }`,
    );
  }
  checkOptions("bandPower", options, OPERATOR_OPTIONS.bandPower);
  const [nChans, nTimes] = shape;
  const bands = checkBands(options.bands ?? DEFAULT_BANDS);
  const segment = options.segmentSamples ?? defaultSegmentSamples(sfreq, nTimes);
  checkSegment(segment, nTimes);
  const plan = planOf(segment, sfreq);
  const bins = binRanges(bands, sfreq, plan.nfft);
  const df = sfreq / plan.nfft;
  const out = new Float32Array(nChans * bands.length);
  const psd = new Float64Array(plan.nfft / 2 + 1);
  const powers = new Float64Array(bands.length);
  for (let c = 0; c < nChans; c++) {
    psd.fill(0);
    const count = accumulateChannel(plan, data, c * nTimes, nTimes, psd);
    let total = 0;
    for (let b = 0; b < bands.length; b++) {
      let sum = 0;
      for (let k = bins[b][0]; k < bins[b][1]; k++) sum += psd[k];
      powers[b] = (sum * df) / count;
      total += powers[b];
    }
    for (let b = 0; b < bands.length; b++) {
      const power = options.relative ? powers[b] / total : powers[b];
      out[c * bands.length + b] = options.log === false ? power : Math.log10(Math.max(power, 1e-30));
    }
  }
  return out;
}

/** The FFT bins `[first, end)` of each band; throws for a band that holds none. */
function binRanges(bands: readonly FrequencyBand[], sfreq: number, nfft: number): [number, number][] {
  const df = sfreq / nfft;
  const last = nfft / 2;
  return bands.map((band) => {
    const first = Math.max(0, Math.ceil(band.loHz / df - 1e-9));
    const end = Math.min(last + 1, Math.ceil(band.hiHz / df - 1e-9));
    if (end <= first) {
      throw new RangeError(
        `Cannot compute band power: band ${band.name} (${band.loHz}-${band.hiHz} Hz) holds no frequency bin at ${sfreq} Hz with ${nfft}-point segments (bins every ${
          df.toFixed(3)
        } Hz up to ${sfreq / 2} Hz)`,
      );
    }
    return [first, end];
  });
}

function checkBands(bands: readonly FrequencyBand[]): readonly FrequencyBand[] {
  if (!Array.isArray(bands) || bands.length === 0) {
    throw new TypeError(`Cannot compute band power: bands must be a non-empty array, got ${JSON.stringify(bands)}`);
  }
  for (const band of bands) {
    const { name, loHz, hiHz } = band ?? {};
    if (typeof name !== "string" || !(loHz >= 0) || !(hiHz > loHz) || !Number.isFinite(hiHz)) {
      throw new TypeError(
        `Cannot compute band power: expected bands like {"name": "alpha", "loHz": 8, "hiHz": 13} with 0 <= loHz < hiHz, got ${
          JSON.stringify(band)
        }`,
      );
    }
  }
  return bands;
}

function checkSegment(segment: number, nTimes: number): void {
  if (!Number.isSafeInteger(segment) || segment < 2 || segment > nTimes) {
    throw new RangeError(
      `Cannot compute band power: segmentSamples must be an integer from 2 to the window length ${nTimes}, got ${segment}`,
    );
  }
}

/**
 * Replaces each sensor window `[nChans, nTimes]` by its band powers
 * `[nChans, nBands]` (see {@linkcode bandPowers}); recording, start, sfreq and
 * label are kept. Stateless: windows of any recording, in any order.
 *
 * @param options Bands, segment length, relative and log.
 * @returns An operator from sensor windows to band-power windows.
 * @throws {TypeError} at once for malformed bands; as an error notification for
 *   a window that is not `[nChans, nTimes]` or a band without frequency bins.
 *
 * @example
 * ```ts
 * import { lastValueFrom, of } from "rxjs";
 * import { bandPower } from "./band_power.ts";
 * import type { Recording, Window } from "../core/types.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const recording = { path: "rest_1_1.h5", label: "rest" } as Recording;
 * const data = Float32Array.from({ length: 2 * 250 }, (_, i) => Math.sin(i));
 * const window: Window = { recording, startSample: 0, sfreq: 125, shape: [2, 250], data, label: 0 };
 * const out = await lastValueFrom(of(window).pipe(bandPower({ relative: true })));
 * assertEquals(out.shape, [2, 5]);
 * ```
 */
export function bandPower(options: BandPowerOptions = {}): OperatorFunction<Window, Window> {
  checkOptions("bandPower", options, OPERATOR_OPTIONS.bandPower);
  checkBands(options.bands ?? DEFAULT_BANDS);
  const nBands = (options.bands ?? DEFAULT_BANDS).length;
  return map((window) => ({
    ...window,
    shape: [window.shape[0], nBands],
    data: bandPowers(window.data, window.shape, window.sfreq, options),
  }));
}
