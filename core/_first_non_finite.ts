/**
 * The index of the first NaN or infinite value of a typed array, or -1: the scan every
 * reader runs over samples before they enter a pipeline.
 *
 * @module
 */

/** Index of the first NaN or infinite value, or -1. `x * 0` is 0 for finite x and NaN otherwise. */
export function firstNonFinite(data: Float32Array | Float64Array): number {
  const n = data.length;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    if (data[i] * 0 + data[i + 1] * 0 + data[i + 2] * 0 + data[i + 3] * 0 !== 0) break;
  }
  for (; i < n; i++) {
    if (data[i] * 0 !== 0) return i;
  }
  return -1;
}
