import { assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { inverseSqrtSymmetric, symmetricEigen, symmetricFunction } from "../../operators/_jacobi.ts";
import { Random } from "../../core/random.ts";

/** A random symmetric positive definite n x n matrix: B Bᵀ / n + 0.1 I. */
function randomSpd(n: number, seed: number): Float64Array {
  const random = new Random(seed);
  const b = Float64Array.from({ length: n * n }, () => random.normal());
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let k = 0; k < n; k++) sum += b[i * n + k] * b[j * n + k];
      a[i * n + j] = sum / n + (i === j ? 0.1 : 0);
    }
  }
  return a;
}

function product(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const x = a[i * n + k];
      for (let j = 0; j < n; j++) out[i * n + j] += x * b[k * n + j];
    }
  }
  return out;
}

function maxDeviationFromIdentity(m: Float64Array, n: number): number {
  let worst = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) worst = Math.max(worst, Math.abs(m[i * n + j] - (i === j ? 1 : 0)));
  }
  return worst;
}

Deno.test("symmetricEigen() reconstructs the matrix from orthonormal eigenvectors", () => {
  const n = 20;
  const a = randomSpd(n, 3);
  const eigen = symmetricEigen(a, n);
  const rebuilt = symmetricFunction(eigen, n, (w) => w);
  for (let i = 0; i < n * n; i++) assertAlmostEquals(rebuilt[i], a[i], 1e-10);
  const v = eigen.vectors;
  const vtv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let k = 0; k < n; k++) sum += v[k * n + i] * v[k * n + j];
      vtv[i * n + j] = sum;
    }
  }
  assertAlmostEquals(maxDeviationFromIdentity(vtv, n), 0, 1e-12);
});

Deno.test("symmetricEigen() finds the eigenvalues of a known 2 x 2 matrix", () => {
  const { values } = symmetricEigen(Float64Array.of(2, 1, 1, 2), 2);
  assertEquals([...values].sort().map((w) => Math.round(w * 1e12) / 1e12), [1, 3]);
});

Deno.test("inverseSqrtSymmetric() whitens a 248 x 248 covariance: W A W = I", () => {
  const n = 248;
  const a = randomSpd(n, 11);
  const w = inverseSqrtSymmetric(a, n);
  assertAlmostEquals(maxDeviationFromIdentity(product(product(w, a, n), w, n), n), 0, 1e-8);
});

Deno.test("symmetricEigen() rejects a wrong size and non-finite values", () => {
  assertThrows(() => symmetricEigen(new Float64Array(3), 2), TypeError, "expected a Float64Array of 4 values");
  assertThrows(() => symmetricEigen(Float64Array.of(1, NaN, NaN, 1), 2), RangeError, "non-finite");
  assertThrows(() => inverseSqrtSymmetric(new Float64Array(4), 2), RangeError, "positive eigenvalue");
});
