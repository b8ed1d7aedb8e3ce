/**
 * `tanh` in WebAssembly SIMD: the rational approximation of Eigen and XNNPACK (`x P(x^2) /
 * Q(x^2)`, degrees 13 and 6, input clamped to +-7.9053), within 3e-7 of `Math.tanh` relative to
 * the value, small inputs included (the approximation is odd, so it keeps `tanh(x) ~ x` near 0;
 * `2 sigmoid(2x) - 1` does not). As code to assemble into a kernel (`tanhCode`) and as a
 * function over a memory (`tanhFunction`: `tanh(x, y, n)`).
 *
 * @module
 */

import {
  ADD,
  countedLoop,
  END,
  F32X4_ADD,
  F32X4_DIV,
  F32X4_MAX,
  F32X4_MIN,
  F32X4_MUL,
  f32x4Const,
  get,
  I32,
  i32,
  set,
  SHL,
  SHR_U,
  uleb,
  V128,
  v128Load,
  v128Store,
  vec,
  type WasmFunction,
} from "./_wasm_asm.ts";

/** Numerator (odd, from x^1) and denominator (even, from x^0) of the tanh approximation. */
const TANH_P = [
  4.89352455891786e-03,
  6.37261928875436e-04,
  1.48572235717979e-05,
  5.12229709037114e-08,
  -8.60467152213735e-11,
  2.00018790482477e-13,
  -2.76076847742355e-16,
];
const TANH_Q = [4.89352518554385e-03, 2.26843463243900e-03, 1.18534705686654e-04, 1.19825839466702e-06];
const TANH_CLAMP = 7.90531110763549805;

/** `tanh` of the vector on the stack, left on the stack; uses v128 locals `t..t+2`. */
export function tanhCode(t: number): number[] {
  const [X, X2, P] = [t, t + 1, t + 2];
  const horner = (coefficients: number[]) => {
    const top = coefficients.length - 1;
    const code = [...f32x4Const(coefficients[top])];
    for (let i = top - 1; i >= 0; i--) {
      code.push(...get(X2), ...F32X4_MUL, ...f32x4Const(coefficients[i]), ...F32X4_ADD);
    }
    return code;
  };
  return [
    ...[...f32x4Const(-TANH_CLAMP), ...F32X4_MAX, ...f32x4Const(TANH_CLAMP), ...F32X4_MIN, ...set(X)],
    ...[...get(X), ...get(X), ...F32X4_MUL, ...set(X2)],
    ...[...horner(TANH_P), ...get(X), ...F32X4_MUL, ...set(P)],
    ...[...get(P), ...horner(TANH_Q), ...F32X4_DIV],
  ];
}

/**
 * `tanh(x, y, n)`: `y[i] = tanh(x[i])` for `i < 4 floor(n / 4)` (byte pointers, `n` floats;
 * the caller does the last `n mod 4`). `x` and `y` may be the same.
 */
export function tanhFunction(): WasmFunction {
  const [X, Y, N] = [0, 1, 2];
  const [J, END_BYTE] = [3, 4];
  const T = 5; // v128 locals
  const body = [
    ...[...get(Y), ...get(J), ...ADD],
    ...[...get(X), ...get(J), ...ADD, ...v128Load(0), ...tanhCode(T)],
    ...v128Store(0),
  ];
  const locals = vec([[...uleb(2), I32], [...uleb(3), V128]]);
  // end = 16 floor(n / 4) bytes
  const setup = [...get(N), ...i32(2), ...SHR_U, ...i32(4), ...SHL, ...set(END_BYTE)];
  return { name: "tanh", nParams: 3, code: [...locals, ...setup, ...countedLoop(J, get(END_BYTE), 16, body), ...END] };
}
