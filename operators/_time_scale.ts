/**
 * A random time scale of a window, shared by all its sensors: every frequency in the window is
 * multiplied by the same factor, as a subject's own rhythm frequencies differ from another's
 * (the generated data draw each subject's alpha frequency with a standard deviation of 0.9 Hz
 * around 10 Hz, about 9 %, and mu and the temporal rhythm follow it). Used by `augment`
 * (`timeScaleStd`).
 *
 * Row `c` becomes `out[t] = x[(t * factor) mod nTimes]`, linearly interpolated between
 * samples and read circularly (a factor above 1 reads past the end and wraps to the start, as
 * the circular time shift does).
 *
 * @module
 */

/**
 * Rescales every row of a channel-major `[nChans, nTimes]` window in time by `factor`
 * (see the module doc).
 *
 * @param data The window (not modified).
 * @param nChans Rows.
 * @param nTimes Samples per row.
 * @param factor Frequency factor, > 0 (1: a copy).
 * @returns A new array of the same shape.
 *
 * @example
 * ```ts
 * import { timeScale } from "./_time_scale.ts";
 * import { assertAlmostEquals } from "@std/assert";
 *
 * const x = Float32Array.of(0, 1, 2, 3); // one row
 * const out = timeScale(x, 1, 4, 0.5); // half the speed: every sample read at t / 2
 * assertAlmostEquals(out[1], 0.5);
 * assertAlmostEquals(out[3], 1.5);
 * ```
 */
export function timeScale(data: Float32Array, nChans: number, nTimes: number, factor: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let t = 0; t < nTimes; t++) {
    const at = (t * factor) % nTimes;
    const i = Math.floor(at), frac = at - i, j = i + 1 === nTimes ? 0 : i + 1;
    for (let c = 0; c < nChans; c++) {
      const offset = c * nTimes;
      out[offset + t] = (1 - frac) * data[offset + i] + frac * data[offset + j];
    }
  }
  return out;
}
