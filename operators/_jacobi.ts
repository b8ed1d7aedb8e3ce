/**
 * Eigen-decomposition of small dense symmetric matrices (up to a few hundred
 * rows, e.g. 248 x 248 sensor covariances) by the cyclic Jacobi method, in
 * plain TypeScript on Float64Array, and the matrix functions built on it.
 *
 * @module
 */

/** Eigenvalues and eigenvectors of a symmetric matrix. */
export interface SymmetricEigen {
  /** Eigenvalues, in no particular order. */
  values: Float64Array;
  /**
   * Eigenvectors as the columns of a row-major `n x n` matrix: component `i` of
   * the eigenvector of `values[k]` is `vectors[i * n + k]`.
   */
  vectors: Float64Array;
  /** Jacobi sweeps used. */
  sweeps: number;
}

function checkSquare(name: string, matrix: Float64Array, n: number): void {
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`Cannot ${name}: n must be a positive integer, got ${n}`);
  if (!(matrix instanceof Float64Array) || matrix.length !== n * n) {
    throw new TypeError(
      `Cannot ${name}: expected a Float64Array of ${n * n} values (${n} x ${n}), got ${
        matrix instanceof Float64Array ? matrix.length : (matrix as unknown as object)?.constructor?.name
      }`,
    );
  }
}

/**
 * Eigenvalues and eigenvectors of a real symmetric `n x n` matrix (row-major;
 * only the upper triangle is read) by cyclic Jacobi rotations with the
 * threshold strategy of Numerical Recipes (`jacobi`), so that `A = V diag(w) V^T`.
 *
 * @param matrix Row-major `n x n` symmetric matrix (not modified).
 * @param n Number of rows.
 * @param maxSweeps Sweeps over all off-diagonal pairs before giving up (default 60).
 * @returns Eigenvalues, eigenvectors (columns) and the sweeps used.
 * @throws {TypeError} when `matrix` is not a Float64Array of `n * n` values.
 * @throws {RangeError} when `n` is not a positive integer or the rotations do not converge.
 */
export function symmetricEigen(matrix: Float64Array, n: number, maxSweeps = 60): SymmetricEigen {
  checkSquare("symmetricEigen", matrix, n);
  const a = new Float64Array(matrix);
  const v = new Float64Array(n * n);
  const d = new Float64Array(n);
  const b = new Float64Array(n);
  const z = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    v[i * n + i] = 1;
    d[i] = b[i] = a[i * n + i];
  }
  for (let sweep = 1; sweep <= maxSweeps; sweep++) {
    let offDiagonal = 0;
    for (let p = 0; p < n - 1; p++) for (let q = p + 1; q < n; q++) offDiagonal += Math.abs(a[p * n + q]);
    if (offDiagonal === 0 || !Number.isFinite(offDiagonal)) {
      if (!Number.isFinite(offDiagonal)) {
        throw new RangeError(`Cannot symmetricEigen: the matrix holds a non-finite value`);
      }
      return { values: d, vectors: v, sweeps: sweep - 1 };
    }
    const threshold = sweep < 4 ? (0.2 * offDiagonal) / (n * n) : 0;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        const g = 100 * Math.abs(apq);
        if (sweep > 4 && Math.abs(d[p]) + g === Math.abs(d[p]) && Math.abs(d[q]) + g === Math.abs(d[q])) {
          a[p * n + q] = 0;
          continue;
        }
        if (Math.abs(apq) <= threshold) continue;
        let h = d[q] - d[p];
        let t: number;
        if (Math.abs(h) + g === Math.abs(h)) {
          t = apq / h;
        } else {
          const theta = (0.5 * h) / apq;
          t = 1 / (Math.abs(theta) + Math.sqrt(1 + theta * theta));
          if (theta < 0) t = -t;
        }
        const c = 1 / Math.sqrt(1 + t * t);
        const s = t * c;
        const tau = s / (1 + c);
        h = t * apq;
        z[p] -= h;
        z[q] += h;
        d[p] -= h;
        d[q] += h;
        a[p * n + q] = 0;
        for (let j = 0; j < p; j++) rotate(a, j * n + p, j * n + q, s, tau);
        for (let j = p + 1; j < q; j++) rotate(a, p * n + j, j * n + q, s, tau);
        for (let j = q + 1; j < n; j++) rotate(a, p * n + j, q * n + j, s, tau);
        for (let j = 0; j < n; j++) rotate(v, j * n + p, j * n + q, s, tau);
      }
    }
    for (let p = 0; p < n; p++) {
      b[p] += z[p];
      d[p] = b[p];
      z[p] = 0;
    }
  }
  throw new RangeError(`Cannot symmetricEigen: no convergence after ${maxSweeps} sweeps`);
}

function rotate(m: Float64Array, i: number, k: number, s: number, tau: number): void {
  const g = m[i];
  const h = m[k];
  m[i] = g - s * (h + g * tau);
  m[k] = h + s * (g - h * tau);
}

/**
 * `f(A) = V diag(f(w)) V^T` for a symmetric matrix `A = V diag(w) V^T`.
 *
 * @param eigen The decomposition of `A` (see {@linkcode symmetricEigen}).
 * @param n Number of rows.
 * @param f The function applied to each eigenvalue.
 * @returns Row-major `n x n` symmetric matrix.
 */
export function symmetricFunction(eigen: SymmetricEigen, n: number, f: (value: number) => number): Float64Array {
  const { values, vectors } = eigen;
  const fw = Float64Array.from(values, f);
  const out = new Float64Array(n * n);
  const row = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) row[k] = vectors[i * n + k] * fw[k];
    for (let j = i; j < n; j++) {
      let sum = 0;
      for (let k = 0; k < n; k++) sum += row[k] * vectors[j * n + k];
      out[i * n + j] = sum;
      out[j * n + i] = sum;
    }
  }
  return out;
}

/**
 * The inverse square root `A^(-1/2)` of a symmetric positive semi-definite
 * matrix; eigenvalues below `floor` times the largest are raised to that level
 * first, so a singular matrix gives a finite (pseudo-)whitener.
 *
 * @param matrix Row-major `n x n` symmetric matrix.
 * @param n Number of rows.
 * @param floor Smallest eigenvalue kept, relative to the largest (default 1e-10).
 * @returns Row-major `n x n` symmetric matrix `W` with `W A W ≈ I`.
 * @throws {TypeError | RangeError} as {@linkcode symmetricEigen}; {@linkcode RangeError}
 *   when the matrix has no positive eigenvalue.
 */
export function inverseSqrtSymmetric(matrix: Float64Array, n: number, floor = 1e-10): Float64Array {
  const eigen = symmetricEigen(matrix, n);
  const largest = Math.max(...eigen.values);
  if (!(largest > 0)) {
    throw new RangeError(`Cannot take A^(-1/2): expected a positive eigenvalue, got largest ${largest}`);
  }
  const low = largest * floor;
  return symmetricFunction(eigen, n, (w) => 1 / Math.sqrt(Math.max(w, low)));
}
