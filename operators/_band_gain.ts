/**
 * A random gain on one frequency band of a window, shared by all its sensors: what a
 * recording's own vigilance or rhythm strength does to the spectrum (the generated data
 * draw alpha, mu, beta and theta amplitudes per chunk). Used by `augment` (`bandGainStd`).
 *
 * The gain is `exp(a * g(f))`, `g` a Gaussian of {@linkcode BAND_GAIN_WIDTH_HZ} around a centre
 * drawn in {@linkcode BAND_GAIN_RANGE_HZ}: the centre is scaled by `exp(a)`, frequencies far
 * from it are kept, phases are kept (zero phase). Rows are zero-padded to twice their length
 * (no end wraps onto the other) and filtered two at a time, as the real and imaginary part
 * of one complex FFT (a real, even gain keeps them apart).
 *
 * @module
 */
import FFT from "fft.js";
import type { Random } from "../core/random.ts";

/** Lowest and highest band centre in Hz (theta to beta). */
export const BAND_GAIN_RANGE_HZ: readonly [number, number] = [4, 30];
/** Standard deviation of the Gaussian band around its centre, in Hz. */
export const BAND_GAIN_WIDTH_HZ = 2;

const ffts = new Map<number, FFT>();

/** The FFT size for rows of `nTimes` samples: the power of two at least `2 * nTimes`. */
export function bandGainSize(nTimes: number): number {
  let size = 2;
  while (size < 2 * nTimes) size *= 2;
  return size;
}

/**
 * One window's gain per FFT bin `0..size - 1` (even: bin `k` and `size - k` alike), with a
 * centre drawn uniformly in {@linkcode BAND_GAIN_RANGE_HZ} and `a = std * N(0, 1)`.
 */
export function drawBandGain(random: Random, std: number, sfreq: number, size: number): Float64Array {
  const [low, high] = BAND_GAIN_RANGE_HZ;
  const centre = low + (high - low) * random.next();
  const a = std * random.normal();
  return Float64Array.from({ length: size }, (_, k) => {
    const f = Math.min(k, size - k) * sfreq / size;
    return Math.exp(a * Math.exp(-0.5 * ((f - centre) / BAND_GAIN_WIDTH_HZ) ** 2));
  });
}

/** Filters every row of `data` (`[nChans, nTimes]`, in place) with `gain` (see the module doc). */
export function applyBandGain(data: Float32Array, nChans: number, nTimes: number, gain: Float64Array): void {
  const size = gain.length;
  let fft = ffts.get(size);
  if (fft === undefined) ffts.set(size, fft = new FFT(size));
  const input = fft.createComplexArray() as number[];
  const spectrum = fft.createComplexArray() as number[];
  const back = fft.createComplexArray() as number[];
  for (let c = 0; c < nChans; c += 2) {
    const a = c * nTimes, b = (c + 1) * nTimes, pair = c + 1 < nChans;
    input.fill(0);
    for (let t = 0; t < nTimes; t++) {
      input[2 * t] = data[a + t];
      if (pair) input[2 * t + 1] = data[b + t];
    }
    fft.transform(spectrum, input);
    for (let k = 0; k < size; k++) {
      spectrum[2 * k] *= gain[k];
      spectrum[2 * k + 1] *= gain[k];
    }
    fft.inverseTransform(back, spectrum);
    for (let t = 0; t < nTimes; t++) {
      data[a + t] = back[2 * t];
      if (pair) data[b + t] = back[2 * t + 1];
    }
  }
}
