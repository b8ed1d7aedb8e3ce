/**
 * A random (semi-)orthogonal matrix, computed in plain JavaScript. tfjs-layers' own
 * `orthogonal` initializer needs tfjs-core's chained tensor methods, which megflow does
 * not load (it imports `@tensorflow/tfjs-core`, not the umbrella package).
 *
 * @module
 */

import type { Random } from "../core/random.ts";

/**
 * A `[rows, cols]` row-major matrix whose rows (if rows <= cols) or columns (otherwise)
 * are orthonormal, drawn like Keras' `Orthogonal` initializer (Gram-Schmidt on a
 * Gaussian matrix).
 */
export function orthogonalMatrix(rows: number, cols: number, random: Random): Float32Array {
  // Orthonormalise `k` vectors of length `n`, then lay them out as rows or columns.
  const k = Math.min(rows, cols);
  const n = Math.max(rows, cols);
  const vectors: Float64Array[] = [];
  while (vectors.length < k) {
    const v = Float64Array.from({ length: n }, () => random.normal());
    for (const u of vectors) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += u[i] * v[i];
      for (let i = 0; i < n; i++) v[i] -= dot * u[i];
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += v[i] * v[i];
    norm = Math.sqrt(norm);
    if (norm < 1e-6) continue; // numerically dependent draw: draw again
    for (let i = 0; i < n; i++) v[i] /= norm;
    vectors.push(v);
  }
  const out = new Float32Array(rows * cols);
  for (let j = 0; j < k; j++) {
    for (let i = 0; i < n; i++) {
      if (rows <= cols) out[j * cols + i] = vectors[j][i];
      else out[i * cols + j] = vectors[j][i];
    }
  }
  return out;
}
