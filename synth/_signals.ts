/**
 * Time-course building blocks of the synthetic generator. Every function
 * writes into a caller-owned Float64Array, so one file needs no per-sample
 * allocation.
 *
 * @module
 */
import type { GaussianStream } from "./_gauss.ts";

/**
 * Narrowband oscillation: white noise through a two-pole resonator at `freqHz`
 * with -3 dB bandwidth about `bandwidthHz`. The amplitude waxes and wanes with
 * a correlation time of about 1 / (pi * bandwidthHz). Unit variance on average
 * (analytic normalization, so chunk-to-chunk power fluctuates naturally).
 */
export function resonator(
  out: Float64Array,
  freqHz: number,
  bandwidthHz: number,
  sfreq: number,
  noise: GaussianStream,
): Float64Array {
  const r = Math.exp((-Math.PI * bandwidthHz) / sfreq);
  const a1 = 2 * r * Math.cos((2 * Math.PI * freqHz) / sfreq);
  const a2 = -r * r;
  const variance = (1 - a2) / ((1 + a2) * ((1 - a2) ** 2 - a1 * a1));
  const gain = 1 / Math.sqrt(variance);
  // Warm-up so that the output starts in the stationary regime.
  const warm = new Float64Array(Math.min(40000, Math.ceil((4 * sfreq) / (Math.PI * bandwidthHz))));
  noise.fill(warm);
  let y1 = 0, y2 = 0;
  for (let i = 0; i < warm.length; i++) {
    const y = a1 * y1 + a2 * y2 + warm[i];
    y2 = y1;
    y1 = y;
  }
  noise.fill(out);
  for (let i = 0; i < out.length; i++) {
    const y = a1 * y1 + a2 * y2 + out[i];
    y2 = y1;
    y1 = y;
    out[i] = y * gain;
  }
  return out;
}

/**
 * Broadband 1/f^exponent noise (exponent 1..2.2 gives local slopes of about
 * -0.9..-1.8 between 1 and 100 Hz): one white input through a parallel bank
 * of one-pole low-pass filters with corners 0.1 * 4^k Hz. Scaled to unit
 * variance (estimated over the output and the second half of the warm-up).
 */
export function pinkNoise(out: Float64Array, exponent: number, sfreq: number, noise: GaussianStream): Float64Array {
  const poles: number[] = [];
  const gains: number[] = [];
  for (let fc = 0.1; fc < 0.4 * sfreq; fc *= 4) {
    const a = Math.exp((-2 * Math.PI * fc) / sfreq);
    poles.push(a);
    gains.push((1 - a) * fc ** (-exponent / 2));
  }
  const states = new Float64Array(poles.length);
  const nStages = poles.length;
  // Warm-up: the slowest stage needs a few time constants (0.1 Hz: 1.6 s each).
  // The scale comes from warm-up and output together, so even a very short
  // output gets a sensible amplitude.
  const warm = new Float64Array(Math.ceil(3 * sfreq));
  noise.fill(warm);
  let sum = 0, sumSquares = 0;
  for (let i = 0; i < warm.length; i++) {
    const x = warm[i];
    let y = 0;
    for (let k = 0; k < nStages; k++) {
      states[k] = poles[k] * states[k] + gains[k] * x;
      y += states[k];
    }
    if (i >= warm.length / 2) {
      sum += y;
      sumSquares += y * y;
    }
  }
  noise.fill(out);
  for (let i = 0; i < out.length; i++) {
    const x = out[i];
    let y = 0;
    for (let k = 0; k < nStages; k++) {
      states[k] = poles[k] * states[k] + gains[k] * x;
      y += states[k];
    }
    out[i] = y;
    sum += y;
    sumSquares += y * y;
  }
  const n = out.length + warm.length - Math.ceil(warm.length / 2);
  const mean = sum / n;
  const sd = Math.sqrt(Math.max(sumSquares / n - mean * mean, 1e-300));
  for (let i = 0; i < out.length; i++) out[i] /= sd;
  return out;
}

/** Slow Gaussian noise: white noise through one one-pole low-pass at `cornerHz`, unit variance (analytic). */
export function lowpassNoise(out: Float64Array, cornerHz: number, sfreq: number, noise: GaussianStream): Float64Array {
  const a = Math.exp((-2 * Math.PI * cornerHz) / sfreq);
  const gain = Math.sqrt(1 - a * a);
  noise.fill(out);
  // out[0] is already a draw from the stationary distribution N(0, 1).
  let y = out[0];
  for (let i = 1; i < out.length; i++) {
    y = a * y + gain * out[i];
    out[i] = y;
  }
  return out;
}

/**
 * A slowly fluctuating positive gain, `exp(sigma * g - sigma^2 / 2)` with `g`
 * unit-variance low-pass noise: mean about 1, for state and burst fluctuations.
 */
export function logNormalEnvelope(
  out: Float64Array,
  cornerHz: number,
  sigma: number,
  sfreq: number,
  noise: GaussianStream,
): Float64Array {
  lowpassNoise(out, cornerHz, sfreq, noise);
  const offset = (sigma * sigma) / 2;
  for (let i = 0; i < out.length; i++) out[i] = Math.exp(sigma * out[i] - offset);
  return out;
}

/** One Gaussian component of an evoked waveform: amplitude, latency and sd in seconds. */
export type Component = readonly [amplitude: number, latencySeconds: number, sdSeconds: number];

/** An evoked waveform sampled at `sfreq`: `kernel[j]` is the value at `(j - zero) / sfreq` seconds. */
export interface Kernel {
  kernel: Float64Array;
  zero: number;
}

/** Samples a sum of Gaussian components (each cut at ±4 sd) into a kernel. */
export function renderKernel(components: readonly Component[], sfreq: number): Kernel {
  let first = Infinity, last = -Infinity;
  for (const [, latency, sd] of components) {
    first = Math.min(first, latency - 4 * sd);
    last = Math.max(last, latency + 4 * sd);
  }
  const zero = Math.max(0, Math.ceil(-first * sfreq));
  const length = zero + Math.ceil(last * sfreq) + 1;
  const kernel = new Float64Array(Math.max(1, length));
  for (let j = 0; j < kernel.length; j++) {
    const t = (j - zero) / sfreq;
    let value = 0;
    for (const [amplitude, latency, sd] of components) value += amplitude * Math.exp(-0.5 * ((t - latency) / sd) ** 2);
    kernel[j] = value;
  }
  return { kernel, zero };
}

/** Adds `amplitude * kernel` with its time zero at `timeSeconds` (clipped to `out`). */
export function addKernel(
  out: Float64Array,
  { kernel, zero }: Kernel,
  timeSeconds: number,
  amplitude: number,
  sfreq: number,
): void {
  const start = Math.round(timeSeconds * sfreq) - zero;
  const from = Math.max(0, -start);
  const to = Math.min(kernel.length, out.length - start);
  for (let j = from; j < to; j++) out[start + j] += amplitude * kernel[j];
}

/** Adds a Gaussian bump `amplitude * exp(-(t - centre)^2 / (2 sd^2))`, evaluated within ±4 sd. */
export function addBump(
  out: Float64Array,
  centreSeconds: number,
  sdSeconds: number,
  amplitude: number,
  sfreq: number,
): void {
  const from = Math.max(0, Math.floor((centreSeconds - 4 * sdSeconds) * sfreq));
  const to = Math.min(out.length, Math.ceil((centreSeconds + 4 * sdSeconds) * sfreq));
  const k = 1 / (2 * sdSeconds * sdSeconds);
  for (let i = from; i < to; i++) {
    const d = i / sfreq - centreSeconds;
    out[i] += amplitude * Math.exp(-d * d * k);
  }
}

/** Adds `amplitude` over [start, end) seconds with raised-cosine edges of `rampSeconds` (centred on the edges). */
export function addSmoothBox(
  out: Float64Array,
  startSeconds: number,
  endSeconds: number,
  rampSeconds: number,
  amplitude: number,
  sfreq: number,
): void {
  const half = rampSeconds / 2;
  const from = Math.max(0, Math.floor((startSeconds - half) * sfreq));
  const to = Math.min(out.length, Math.ceil((endSeconds + half) * sfreq));
  for (let i = from; i < to; i++) {
    const t = i / sfreq;
    let w = 1;
    if (t < startSeconds + half) w = 0.5 - 0.5 * Math.cos((Math.PI * (t - startSeconds + half)) / rampSeconds);
    else if (t > endSeconds - half) w = 0.5 + 0.5 * Math.cos((Math.PI * (t - endSeconds + half)) / rampSeconds);
    out[i] += amplitude * Math.max(0, Math.min(1, w));
  }
}

/** Multiplies `out` by `gain` element-wise. */
export function multiplyInPlace(out: Float64Array, gain: Float64Array): Float64Array {
  for (let i = 0; i < out.length; i++) out[i] *= gain[i];
  return out;
}
