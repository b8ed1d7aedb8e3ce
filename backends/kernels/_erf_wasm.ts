/**
 * A WebAssembly SIMD `erf` over the tfjs `wasm` backend's heap, four float32 values at a time,
 * assembled at load time (`core/_wasm_asm.ts`). The formula is the one tfjs's cpu backend uses
 * (Abramowitz & Stegun 7.1.26, absolute error below 1.5e-7): with `v = |x|` and
 * `t = 1 / (1 + p v)`, `erf(x) = sign(x) (1 - (a1 t + a2 t^2 + a3 t^3 + a4 t^4 + a5 t^5) exp(-v^2))`,
 * here in float32; `exp(-v^2)` by range reduction (`2^n exp(r)`, `|r| <= ln 2 / 2`) and a
 * degree-6 polynomial, relative error ~2e-7. The stock wasm `Erf` calls libm's `erf` once per
 * value (~26 ns each: ~17 ms of CPU for a `[32, 32, 10, 64]` GELU in tsa's MLP).
 *
 * @module
 */
import {
  ADD,
  brIf,
  END,
  F32X4_ADD,
  F32X4_DIV,
  F32X4_MAX,
  F32X4_MUL,
  F32X4_SUB,
  f32x4Const as f32x4,
  get,
  GT_S,
  i32,
  I32X4_SHL,
  instancePerMemory,
  LOOP,
  moduleBytes,
  set,
  simd,
  SUB,
  tee,
  uleb,
  V128,
  V128_AND,
  v128Load,
  v128Store,
  vec,
} from "../../core/_wasm_asm.ts";

/** The constants of tfjs's cpu `Erf` (tfjs-core `erf_util`). */
export const ERF_P = 0.3275911;
export const ERF_A = [0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429] as const;

/** A `v128.const` of four equal int32 values. */
const i32x4 = (value: number) => {
  const bytes = [...new Uint8Array(Int32Array.of(value).buffer)];
  return simd(0x0c, ...bytes, ...bytes, ...bytes, ...bytes);
};
const F32X4_NEG = simd(0xe1), F32X4_NEAREST = simd(0x6a);
const I32X4_TRUNC_SAT_F32X4_S = simd(0xf8), I32X4_ADD = simd(0xae);
const V128_OR = simd(0x50);

/** `F32X4_ABS`: the lane-wise absolute value (callers pass `|x|` to {@linkcode erfTermsCode}). */
export const F32X4_ABS = simd(0xe0);

/**
 * From the v128 local `v` (`|x|`, or `|u|` for GELU's `u = x / sqrt 2`): sets the v128 locals
 * `t = 1 / (1 + p v)` and `e = exp(-v^2)`; `w = max(-v^2, -87)`, `k = nearest(w log2 e)`,
 * `r = w - k ln2` (two parts) and `exp(r)` by a degree-6 polynomial, times `2^k`. `r` and `k`
 * are scratch v128 locals. Leaves nothing on the stack.
 */
export function erfTermsCode(v: number, t: number, e: number, r: number, k: number): number[] {
  return [
    // t = 1 / (1 + p v)
    ...[...f32x4(1), ...f32x4(1), ...f32x4(ERF_P), ...get(v), ...F32X4_MUL, ...F32X4_ADD, ...F32X4_DIV, ...set(t)],
    // w = max(-v^2, -87): k = nearest(w log2 e), r = w - k ln2 (two parts)
    ...[...get(v), ...get(v), ...F32X4_MUL, ...F32X4_NEG, ...f32x4(-87), ...F32X4_MAX, ...tee(r)],
    ...[...f32x4(Math.LOG2E), ...F32X4_MUL, ...F32X4_NEAREST, ...set(k)],
    ...[...get(r), ...get(k), ...f32x4(0.693359375), ...F32X4_MUL, ...F32X4_SUB],
    ...[...get(k), ...f32x4(-2.12194440e-4), ...F32X4_MUL, ...F32X4_SUB, ...set(r)],
    // exp(r) = 1 + r (1 + r (1/2 + r (1/6 + r (1/24 + r (1/120 + r / 720)))))
    ...[...f32x4(1 / 720), ...get(r), ...F32X4_MUL, ...f32x4(1 / 120), ...F32X4_ADD],
    ...[...get(r), ...F32X4_MUL, ...f32x4(1 / 24), ...F32X4_ADD],
    ...[...get(r), ...F32X4_MUL, ...f32x4(1 / 6), ...F32X4_ADD],
    ...[...get(r), ...F32X4_MUL, ...f32x4(0.5), ...F32X4_ADD],
    ...[...get(r), ...F32X4_MUL, ...f32x4(1), ...F32X4_ADD],
    ...[...get(r), ...F32X4_MUL, ...f32x4(1), ...F32X4_ADD],
    // times 2^k: (k + 127) << 23 as float32 bits
    ...[...get(k), ...I32X4_TRUNC_SAT_F32X4_S, ...i32x4(127), ...I32X4_ADD, ...i32(23), ...I32X4_SHL],
    ...F32X4_MUL,
    ...set(e),
  ];
}

/**
 * Pushes `erf(x) = (1 - t (a1 + t (a2 + t (a3 + t (a4 + t a5)))) e) | sign bit of x` from the
 * v128 locals `t` and `e` that {@linkcode erfTermsCode} set from `|x|`, and the v128 local `x`.
 */
export function erfFromTermsCode(x: number, t: number, e: number): number[] {
  const [a1, a2, a3, a4, a5] = ERF_A;
  return [
    ...f32x4(1),
    ...[...f32x4(a5), ...get(t), ...F32X4_MUL, ...f32x4(a4), ...F32X4_ADD],
    ...[...get(t), ...F32X4_MUL, ...f32x4(a3), ...F32X4_ADD],
    ...[...get(t), ...F32X4_MUL, ...f32x4(a2), ...F32X4_ADD],
    ...[...get(t), ...F32X4_MUL, ...f32x4(a1), ...F32X4_ADD],
    ...[...get(t), ...F32X4_MUL, ...get(e), ...F32X4_MUL, ...F32X4_SUB],
    ...[...get(x), ...i32x4(-0x80000000), ...V128_AND, ...V128_OR],
  ];
}

/** `erf(src, dst, n)`: `n / 4` groups of four float32 values (byte offsets). */
function erfCode(): number[] {
  const [SRC, DST, N] = [0, 1, 2];
  const [X, V, T, E, R, K] = [3, 4, 5, 6, 7, 8]; // v128 locals
  const body = [
    ...[...get(SRC), ...v128Load(0), ...tee(X), ...F32X4_ABS, ...set(V)],
    ...erfTermsCode(V, T, E, R, K),
    // dst = (1 - poly e) | sign bit of x
    ...[...get(DST), ...erfFromTermsCode(X, T, E), ...v128Store(0)],
    ...[...get(SRC), ...i32(16), ...ADD, ...set(SRC), ...get(DST), ...i32(16), ...ADD, ...set(DST)],
    ...[...get(N), ...i32(4), ...SUB, ...tee(N), ...i32(0), ...GT_S, ...brIf(0)],
  ];
  const locals = vec([[...uleb(6), V128]]);
  // if (n > 0) loop { ... } (callers pass n >= 4)
  return [...locals, ...LOOP, ...body, ...END, ...END];
}

/** The module's bytes: imports `env.memory`, exports `erf`. */
export function erfBytes(): Uint8Array {
  return moduleBytes([{ name: "erf", nParams: 3, code: erfCode() }]);
}

/** `erf(src, dst, n)`: erf of `n` (a positive multiple of 4) float32 values at byte offset `src`, to `dst`. */
export type ErfFunction = (src: number, dst: number, n: number) => void;

const erfInstance = instancePerMemory<{ erf: ErfFunction }>(() => new WebAssembly.Module(erfBytes() as BufferSource));

/** The kernel working on `memory` (one instance per memory). */
export function erfKernel(memory: WebAssembly.Memory): ErfFunction {
  return erfInstance(memory).erf;
}

/** The same formula for one value in float32 steps (the last `n % 4` values). */
export function erfScalar(x: number): number {
  const f = Math.fround;
  const v = Math.abs(x);
  const t = f(1 / f(1 + f(f(ERF_P) * v)));
  const [a1, a2, a3, a4, a5] = ERF_A.map(f);
  const poly = f(t * f(a1 + f(t * f(a2 + f(t * f(a3 + f(t * f(a4 + f(t * a5)))))))));
  const y = f(1 - f(poly * f(Math.exp(-v * v))));
  return x < 0 || Object.is(x, -0) ? -y : y;
}
