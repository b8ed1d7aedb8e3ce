/**
 * Anti-aliased rational resampling (`scipy.signal.resample_poly` semantics),
 * all at once or streaming over blocks.
 *
 * @module
 */
import type { OperatorFunction } from "rxjs";
import type { Block } from "../core/types.ts";
import { channelLength } from "./_checks.ts";
import { perRecording } from "./_per_recording.ts";
import { KernelResampler } from "./_resample_wasm.ts";
import { checkOptions } from "../core/check_options.ts";
import { OPERATOR_OPTIONS } from "./_option_rules.ts";

/** Largest reduced up or down factor accepted (its filter has 2,000,001 taps). */
const MAX_FACTOR = 100_000;

/**
 * A polyphase low-pass FIR filter for resampling by `up / down`, as designed by
 * `scipy.signal.resample_poly` with its default window.
 */
export interface ResampleFilter {
  /** Upsampling factor, reduced by the greatest common divisor. */
  readonly up: number;
  /** Downsampling factor, reduced by the greatest common divisor. */
  readonly down: number;
  /** Taps on each side of the centre tap: `10 * max(up, down)` (0 when up = down = 1). */
  readonly halfLength: number;
  /** All `2 * halfLength + 1` taps (Kaiser-windowed sinc, gain `up`), centre at `halfLength`. */
  readonly taps: Float64Array;
  /** The taps of each phase `p` (`taps[p], taps[p + up], ...`), reversed, packed one phase after another. */
  readonly phaseTaps: Float64Array;
  /** Offset of phase `p` in `phaseTaps`. */
  readonly phaseOffsets: Int32Array;
  /** Number of taps of phase `p`. */
  readonly phaseLengths: Int32Array;
  /** Largest phase length: how many input samples one output sample depends on. */
  readonly maxPhaseLength: number;
}

/**
 * Designs the resampling filter of `scipy.signal.resample_poly(x, up, down)`:
 * `firwin(2 * h + 1, 1 / max(up, down), window=("kaiser", 5.0)) * up` with
 * `h = 10 * max(up, down)`, after reducing `up / down` by their gcd, split into
 * `up` polyphase components.
 *
 * @param up Upsampling factor (positive integer).
 * @param down Downsampling factor (positive integer).
 * @returns The filter, shareable between resamplers (it is never modified).
 * @throws {RangeError} when a factor is not a positive integer, or when the reduced
 *   factors exceed 100000 (the filter would not fit in memory sensibly).
 *
 * @example
 * ```ts
 * import { designResampleFilter } from "./resample.ts";
 * import { assertAlmostEquals, assertEquals } from "@std/assert";
 *
 * const filter = designResampleFilter(250, 375); // reduced to 2 / 3
 * assertEquals([filter.up, filter.down, filter.taps.length], [2, 3, 61]);
 * // DC gain of the whole filter is `up`
 * assertAlmostEquals(filter.taps.reduce((a, b) => a + b, 0), 2, 1e-12);
 * ```
 */
export function designResampleFilter(up: number, down: number): ResampleFilter {
  for (const [name, value] of [["up", up], ["down", down]] as const) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new RangeError(`Cannot design resample filter: ${name} must be a positive integer, got ${value}`);
    }
  }
  const g = gcd(up, down);
  up /= g;
  down /= g;
  const maxRate = Math.max(up, down);
  if (maxRate > MAX_FACTOR) {
    throw new RangeError(
      `Cannot design resample filter: reduced factors must be at most ${MAX_FACTOR}, got ${up}/${down}`,
    );
  }
  let taps: Float64Array;
  let halfLength: number;
  if (up === 1 && down === 1) {
    halfLength = 0;
    taps = Float64Array.of(1);
  } else {
    halfLength = 10 * maxRate;
    taps = firwinKaiser(2 * halfLength + 1, 1 / maxRate, 5.0);
    for (let i = 0; i < taps.length; i++) taps[i] *= up;
  }
  const phaseLengths = new Int32Array(up);
  const phaseOffsets = new Int32Array(up);
  const phaseTaps = new Float64Array(taps.length);
  let offset = 0;
  let maxPhaseLength = 0;
  for (let p = 0; p < up; p++) {
    const len = p < taps.length ? Math.floor((taps.length - 1 - p) / up) + 1 : 0;
    phaseLengths[p] = len;
    phaseOffsets[p] = offset;
    for (let j = 0; j < len; j++) phaseTaps[offset + j] = taps[p + (len - 1 - j) * up];
    offset += len;
    maxPhaseLength = Math.max(maxPhaseLength, len);
  }
  return { up, down, halfLength, taps, phaseTaps, phaseOffsets, phaseLengths, maxPhaseLength };
}

/**
 * Number of output samples of resampling `nTimes` samples by `up / down`:
 * `ceil(nTimes * up / down)`, as `scipy.signal.resample_poly`.
 *
 * @param nTimes Number of input samples.
 * @param filter The resampling filter (its reduced `up` and `down` are used).
 * @returns The output length.
 *
 * @example
 * ```ts
 * import { designResampleFilter, resampledLength } from "./resample.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(resampledLength(35624, designResampleFilter(125, 2034)), 2190);
 * ```
 */
export function resampledLength(nTimes: number, filter: ResampleFilter): number {
  return Math.ceil((nTimes * filter.up) / filter.down);
}

/** Options of {@linkcode resamplePoly}. */
export interface ResamplePolyOptions {
  /** Number of channels (rows) of the channel-major input. Default: 1. */
  nChans?: number;
}

/**
 * Resamples a whole channel-major signal at once, like
 * `scipy.signal.resample_poly(x, up, down, axis=1)` with the default Kaiser
 * window (beta 5) and zero padding at both edges. The filter is centred (zero
 * phase): output sample `m` is at input time `m * down / up`.
 *
 * @param data Samples, channel-major `[nChans, nTimes]` (not modified).
 * @param filter The filter from {@linkcode designResampleFilter}.
 * @param options Number of channels.
 * @returns Float64 samples, channel-major `[nChans, ceil(nTimes * up / down)]`.
 * @throws {RangeError} when `nChans` is not a positive integer.
 * @throws {TypeError} when `data.length` is not a multiple of `nChans`.
 *
 * @example
 * ```ts
 * import { designResampleFilter, resamplePoly } from "./resample.ts";
 * import { assertAlmostEquals, assertEquals } from "@std/assert";
 *
 * // 1 Hz sine sampled at 100 Hz, 2 channels, resampled to 40 Hz
 * const x = new Float64Array(2 * 300).map((_, i) => Math.sin((2 * Math.PI * (i % 300)) / 100));
 * const y = resamplePoly(x, designResampleFilter(40, 100), { nChans: 2 });
 * assertEquals(y.length, 2 * 120);
 * assertAlmostEquals(y[70], Math.sin((2 * Math.PI * 70) / 40), 1e-3); // channel 0 at t = 1.75 s
 * ```
 */
export function resamplePoly(
  data: Float32Array | Float64Array,
  filter: ResampleFilter,
  options: ResamplePolyOptions = {},
): Float64Array {
  checkOptions("resamplePoly", options, OPERATOR_OPTIONS.resamplePoly);
  const nChans = options.nChans ?? 1;
  const nTimes = channelLength("resamplePoly", data.length, nChans);
  const nOut = resampledLength(nTimes, filter);
  const out = new Float64Array(nChans * nOut);
  if (nOut === 0) return out;
  const pad = filter.maxPhaseLength;
  const width = pad + Math.max(nTimes, lastInputIndex(filter, nOut - 1) + 1);
  // four zero-padded channels at a time: [4, width], sample i of a channel at column pad + i
  const x = new Float64Array(4 * width);
  for (let c = 0; c < nChans; c += 4) {
    const group = Math.min(4, nChans - c);
    for (let g = 0; g < group; g++) {
      x.set(data.subarray((c + g) * nTimes, (c + g + 1) * nTimes), g * width + pad);
    }
    convolvePhases(filter, x, width, -pad, group, 0, nOut, out.subarray(c * nOut), nOut);
  }
  return out;
}

/**
 * Streaming form of {@linkcode resamplePoly}: feed blocks of any length with
 * {@linkcode PolyphaseResampler.push}, get every output sample as soon as all
 * the input it depends on has arrived, and the rest from
 * {@linkcode PolyphaseResampler.flush} at the end. The concatenated outputs equal
 * `resamplePoly` of the concatenated input exactly (same operations, same order),
 * whatever the block sizes. Keeps about `maxPhaseLength` input samples per
 * channel between calls.
 *
 * @example
 * ```ts
 * import { designResampleFilter, PolyphaseResampler, resamplePoly } from "./resample.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const filter = designResampleFilter(2, 3);
 * const x = Float64Array.from({ length: 100 }, (_, i) => Math.cos(i / 7));
 * const resampler = new PolyphaseResampler(filter, 1);
 * const parts = [resampler.push(x.subarray(0, 33)), resampler.push(x.subarray(33)), resampler.flush()];
 * const streamed = parts.flatMap((part) => Array.from(part));
 * assertEquals(streamed, Array.from(resamplePoly(x, filter)));
 * ```
 */
export class PolyphaseResampler {
  /** The filter in use. */
  readonly filter: ResampleFilter;
  /** Number of channels of every block. */
  readonly nChans: number;
  #buffer = new Float64Array(0);
  #capacity = 0;
  #bufferStart = 0;
  #bufferLength = 0;
  #samplesIn = 0;
  #samplesOut = 0;

  /**
   * Creates a resampler for signals of `nChans` channels, at the start of a signal.
   *
   * @param filter The filter from {@linkcode designResampleFilter}.
   * @param nChans Number of channels of every block.
   * @throws {RangeError} when `nChans` is not a positive integer.
   */
  constructor(filter: ResampleFilter, nChans: number) {
    if (!Number.isSafeInteger(nChans) || nChans < 1) {
      throw new RangeError(`Cannot create PolyphaseResampler: nChans must be a positive integer, got ${nChans}`);
    }
    this.filter = filter;
    this.nChans = nChans;
    this.#reset();
  }

  /** Input samples per channel pushed since the start (or the last flush). */
  get samplesIn(): number {
    return this.#samplesIn;
  }

  /** Output samples per channel returned since the start (or the last flush). */
  get samplesOut(): number {
    return this.#samplesOut;
  }

  /**
   * Appends a block and returns the output samples that became computable.
   *
   * @param data Channel-major `[nChans, nTimes]` samples (not modified, not kept).
   * @returns Channel-major `[nChans, nReady]` output samples (`nReady` may be 0).
   * @throws {TypeError} when `data.length` is not a multiple of `nChans`.
   */
  push(data: Float32Array | Float64Array): Float64Array {
    const nChans = this.nChans;
    const nNew = channelLength("PolyphaseResampler.push", data.length, nChans);
    this.#reserve(this.#bufferLength + nNew);
    const cap = this.#capacity;
    for (let c = 0; c < nChans; c++) {
      this.#buffer.set(data.subarray(c * nNew, (c + 1) * nNew), c * cap + this.#bufferLength);
    }
    this.#bufferLength += nNew;
    this.#samplesIn += nNew;
    // output m is ready when its last input sample, floor((m * down + h) / up), has arrived
    const { up, down, halfLength } = this.filter;
    const mEnd = Math.max(this.#samplesOut, Math.floor((this.#samplesIn * up - 1 - halfLength) / down) + 1);
    return this.#emit(mEnd);
  }

  /**
   * Ends the signal: returns the remaining output samples (zero padding after the
   * last input sample) and resets the resampler for a new signal.
   *
   * @returns Channel-major `[nChans, nRest]` output samples.
   */
  flush(): Float64Array {
    const nOut = resampledLength(this.#samplesIn, this.filter);
    if (nOut > this.#samplesOut) {
      const lastIndex = lastInputIndex(this.filter, nOut - 1);
      const nZeros = lastIndex + 1 - this.#samplesIn;
      if (nZeros > 0) {
        this.#reserve(this.#bufferLength + nZeros);
        const cap = this.#capacity;
        for (let c = 0; c < this.nChans; c++) {
          const start = c * cap + this.#bufferLength;
          this.#buffer.fill(0, start, start + nZeros);
        }
        this.#bufferLength += nZeros;
      }
    }
    const out = this.#emit(Math.max(nOut, this.#samplesOut));
    this.#reset();
    return out;
  }

  #reset(): void {
    const pad = this.filter.maxPhaseLength;
    this.#capacity = 0;
    this.#buffer = new Float64Array(0);
    this.#reserve(2 * pad);
    this.#buffer.fill(0);
    this.#bufferStart = -pad;
    this.#bufferLength = pad;
    this.#samplesIn = 0;
    this.#samplesOut = 0;
  }

  /** Makes room for `columns` columns per channel, compacting or growing the buffer. */
  #reserve(columns: number): void {
    if (columns <= this.#capacity) return;
    const capacity = Math.max(columns, 2 * this.#capacity);
    const buffer = new Float64Array(this.nChans * capacity);
    for (let c = 0; c < this.nChans; c++) {
      const from = c * this.#capacity;
      buffer.set(this.#buffer.subarray(from, from + this.#bufferLength), c * capacity);
    }
    this.#buffer = buffer;
    this.#capacity = capacity;
  }

  /** Computes outputs `samplesOut .. mEnd - 1`, then drops input no longer needed. */
  #emit(mEnd: number): Float64Array {
    const nChans = this.nChans;
    const mStart = this.#samplesOut;
    const n = mEnd - mStart;
    const out = new Float64Array(nChans * n);
    const cap = this.#capacity;
    const len = this.#bufferLength;
    if (n > 0) convolvePhases(this.filter, this.#buffer, cap, this.#bufferStart, nChans, mStart, mEnd, out, n);
    this.#samplesOut = mEnd;
    // the next output needs inputs from lastInputIndex(mEnd) - maxPhaseLength + 1 on
    const keepFrom = lastInputIndex(this.filter, mEnd) - this.filter.maxPhaseLength + 1;
    const shift = Math.min(keepFrom - this.#bufferStart, len);
    if (shift > 0) {
      for (let c = 0; c < nChans; c++) this.#buffer.copyWithin(c * cap, c * cap + shift, c * cap + len);
      this.#bufferStart += shift;
      this.#bufferLength -= shift;
    }
    return out;
  }
}

/** Options of {@linkcode resample}. */
export interface ResampleOptions {
  /**
   * Sampling rate of the incoming blocks in Hz (a positive integer). Blocks at
   * another rate are an error. Default: the `sfreq` of the first block (2034 for
   * raw recordings), which must then be an integer.
   */
  fromHz?: number;
  /** Target sampling rate in Hz (a positive integer). Default: 125. */
  toHz?: number;
}

/**
 * Resamples the blocks of each recording from `fromHz` to `toHz` with the sums of
 * {@linkcode PolyphaseResampler} (scipy `resample_poly` semantics: Kaiser-windowed
 * sinc, zero-phase, zero padding at both ends of the recording), computed by a
 * WebAssembly SIMD kernel eight channels at a time: every output is
 * `PolyphaseResampler`'s float64 sum, bit for bit, rounded to float32. Emits a block as
 * soon as output samples are computable and the last one when the recording ends
 * (source completion or a block of another recording); the output blocks together
 * hold exactly `ceil(nIn * up / down)` samples per channel. Output blocks have
 * Float32Array data, `sfreq = toHz` and `startSample` counted at `toHz` (a
 * recording whose first block starts at sample `s` is resampled as a signal that
 * starts there; its output starts at `round(s * toHz / fromHz)`). State lives per
 * subscription and per recording: about 330 samples per channel for 2034 -> 125 Hz,
 * in a kernel memory of about 17 MB for 248 channels and 4096-sample blocks, which
 * is reused by the next recording once a recording has ended.
 *
 * Rates must be integers: 2034.51 Hz recordings are resampled as 2034 Hz, as
 * everywhere in megflow (`RAW_SFREQ`), which shifts frequencies by 0.025 %.
 *
 * @param options Source and target rates.
 * @returns An operator from blocks to resampled blocks.
 * @throws {RangeError} when a rate is not a positive integer (at once), and, as an
 *   error notification, when a block's `sfreq` differs from `fromHz` or blocks are
 *   not consecutive.
 * @throws {TypeError} as an error notification, when a block's data does not match its shape.
 *
 * @example
 * ```ts
 * import { lastValueFrom, of, toArray } from "rxjs";
 * import { resample } from "./resample.ts";
 * import type { Block, Recording } from "../core/types.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const recording = { path: "rest_1_1.h5", label: "rest" } as Recording;
 * const block = (startSample: number): Block => ({
 *   recording, startSample, sfreq: 2034, nChans: 1, nTimes: 1017, data: new Float64Array(1017).fill(1),
 * });
 * const out = await lastValueFrom(of(block(0), block(1017)).pipe(resample({ toHz: 125 }), toArray()));
 * assertEquals(out.reduce((n, b) => n + b.nTimes, 0), 125); // 2 s at 125 Hz
 * assertEquals(out.map((b) => b.sfreq), out.map(() => 125));
 * ```
 */
export function resample(options: ResampleOptions = {}): OperatorFunction<Block, Block> {
  checkOptions("resample", options, OPERATOR_OPTIONS.resample);
  const toHz = options.toHz ?? 125;
  checkRate("target", toHz);
  const fromHz = options.fromHz;
  if (fromHz !== undefined) checkRate("source", fromHz);
  interface State {
    resampler: KernelResampler;
    recording: Block["recording"];
    outStart: number;
  }
  const emit = (state: State, data: Float32Array, startSample: number, out: Block[]): void => {
    const nChans = state.resampler.nChans;
    const nTimes = data.length / nChans;
    if (nTimes > 0) out.push({ recording: state.recording, startSample, sfreq: toHz, nChans, nTimes, data });
  };
  return perRecording<State, Block>("resample", {
    open(first) {
      const sfreq = fromHz ?? first.sfreq;
      if (fromHz !== undefined && first.sfreq !== fromHz) {
        throw new RangeError(`Cannot resample: expected blocks at fromHz = ${fromHz} Hz, got ${first.sfreq} Hz`);
      }
      if (fromHz === undefined) checkRate("block", sfreq);
      const resampler = KernelResampler.acquire(sharedFilter(toHz, sfreq), first.nChans);
      const outStart = Math.round((first.startSample * toHz) / sfreq);
      return { resampler, recording: first.recording, outStart };
    },
    push(state, block, out) {
      const data = state.resampler.push(block.data);
      emit(state, data, state.outStart + state.resampler.samplesOut - data.length / block.nChans, out);
    },
    close(state, out) {
      const startSample = state.outStart + state.resampler.samplesOut;
      const data = state.resampler.flush();
      state.resampler.release();
      emit(state, data, startSample, out);
    },
  });
}

const designed = new Map<string, ResampleFilter>();

/** The filter of `up / down`, designed once per thread (2034 -> 125 Hz takes a few ms) and shared. */
function sharedFilter(up: number, down: number): ResampleFilter {
  const key = `${up}/${down}`;
  let filter = designed.get(key);
  if (filter === undefined) designed.set(key, filter = designResampleFilter(up, down));
  return filter;
}

/**
 * The shared inner loop: outputs `mStart .. mEnd - 1` of `nChans` channels. Input
 * channel `c` is `x[c * xStride + i - x0]` for absolute sample index `i`; output
 * sample `m` of channel `c` goes to `out[c * outStride + m - mStart]`. Channels
 * are processed four at a time to load each tap once for four channels; every
 * channel's sum runs over the taps in the same order whatever the grouping, so a
 * channel's result does not depend on how many channels there are.
 */
function convolvePhases(
  filter: ResampleFilter,
  x: Float64Array,
  xStride: number,
  x0: number,
  nChans: number,
  mStart: number,
  mEnd: number,
  out: Float64Array,
  outStride: number,
): void {
  const { up, down, halfLength, phaseTaps, phaseOffsets, phaseLengths } = filter;
  let c = 0;
  for (; c + 3 < nChans; c += 4) {
    const r0 = c * xStride - x0, r1 = r0 + xStride, r2 = r1 + xStride, r3 = r2 + xStride;
    const o = c * outStride - mStart;
    let t = mStart * down + halfLength;
    for (let m = mStart; m < mEnd; m++, t += down) {
      const nMax = Math.floor(t / up);
      const p = t - nMax * up;
      const len = phaseLengths[p];
      const off = phaseOffsets[p];
      const base = nMax - len + 1;
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
      for (let j = 0; j < len; j++) {
        const h = phaseTaps[off + j];
        const i = base + j;
        a0 += h * x[r0 + i];
        a1 += h * x[r1 + i];
        a2 += h * x[r2 + i];
        a3 += h * x[r3 + i];
      }
      out[o + m] = a0;
      out[o + outStride + m] = a1;
      out[o + 2 * outStride + m] = a2;
      out[o + 3 * outStride + m] = a3;
    }
  }
  for (; c < nChans; c++) {
    const r = c * xStride - x0;
    const o = c * outStride - mStart;
    let t = mStart * down + halfLength;
    for (let m = mStart; m < mEnd; m++, t += down) {
      const nMax = Math.floor(t / up);
      const p = t - nMax * up;
      const len = phaseLengths[p];
      const off = phaseOffsets[p];
      const base = r + nMax - len + 1;
      let a = 0;
      for (let j = 0; j < len; j++) a += phaseTaps[off + j] * x[base + j];
      out[o + m] = a;
    }
  }
}

/** Index of the last input sample that output `m` depends on. */
function lastInputIndex(filter: ResampleFilter, m: number): number {
  return Math.floor((m * filter.down + filter.halfLength) / filter.up);
}

/** `scipy.signal.firwin(numTaps, cutoff, window=("kaiser", beta))` for a low-pass, scaled to unit DC gain. */
function firwinKaiser(numTaps: number, cutoff: number, beta: number): Float64Array {
  const h = new Float64Array(numTaps);
  const alpha = 0.5 * (numTaps - 1);
  const i0Beta = besselI0(beta);
  let sum = 0;
  for (let n = 0; n < numTaps; n++) {
    const m = n - alpha;
    const u = cutoff * m;
    const sinc = u === 0 ? 1 : Math.sin(Math.PI * u) / (Math.PI * u);
    const r = alpha === 0 ? 0 : (n - alpha) / alpha;
    const window = besselI0(beta * Math.sqrt(Math.max(0, 1 - r * r))) / i0Beta;
    h[n] = cutoff * sinc * window;
    sum += h[n];
  }
  for (let n = 0; n < numTaps; n++) h[n] /= sum;
  return h;
}

/** Modified Bessel function of the first kind, order 0 (power series; accurate to double precision for x <= 30). */
function besselI0(x: number): number {
  const q = (x * x) / 4;
  let term = 1;
  let sum = 1;
  for (let k = 1; k < 500; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

function checkRate(which: string, hz: number): void {
  if (!Number.isSafeInteger(hz) || hz < 1) {
    throw new RangeError(`Cannot resample: ${which} rate must be a positive integer in Hz, got ${hz}`);
  }
}
