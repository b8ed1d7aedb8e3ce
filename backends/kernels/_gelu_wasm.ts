/**
 * GELU forward and backward as WebAssembly SIMD loops over the tfjs `wasm` backend's heap, four
 * float32 values at a time, assembled at load time (`core/_wasm_asm.ts`). With `u = x / sqrt 2`,
 * `cdf = 0.5 (1 + erf(u))` and `y = x cdf`; the gradient `dx = dy (cdf + x exp(-u^2) / sqrt(2 pi))`.
 * `erf` is the formula of `_erf_wasm.ts` (tfjs's cpu one, Abramowitz & Stegun 7.1.26, in float32,
 * `exp` by range reduction and a degree-6 polynomial), and `exp(-u^2)` is the one that formula
 * already computes. tfjs-layers' `gelu` is ~8 kernels forward (`RealDiv`, `Erf`, `Add`, `Multiply`)
 * and ~15 backward (`Exp`, `Square`, `Neg`, ...) over the whole `[32, 32, 10, 64]` hidden activation
 * of tsa's MLPs; these are one pass each.
 *
 * @module
 */
import {
  ADD,
  brIf,
  END,
  F32X4_ADD,
  F32X4_MUL,
  f32x4Const as f32x4,
  get,
  GT_S,
  i32,
  instancePerMemory,
  LOOP,
  moduleBytes,
  set,
  SUB,
  tee,
  uleb,
  V128,
  v128Load,
  v128Store,
  vec,
} from "../../core/_wasm_asm.ts";
import { ERF_A, ERF_P, erfFromTermsCode, erfTermsCode, F32X4_ABS } from "./_erf_wasm.ts";

/** `1 / sqrt 2` and `1 / sqrt(2 pi)` as float32. */
const RSQRT2 = Math.fround(Math.SQRT1_2);
const RSQRT2PI = Math.fround(1 / Math.sqrt(2 * Math.PI));

/**
 * From the v128 local `x`: sets `cdf` to `0.5 (1 + erf(x / sqrt 2))` and `e` to `exp(-x^2 / 2)`
 * (locals `u, v, t, r, k` are scratch), with `_erf_wasm.ts`'s code for erf's terms and value.
 */
function cdfAndExp(x: number, cdf: number, e: number, [u, v, t, r, k]: number[]): number[] {
  return [
    ...[...get(x), ...f32x4(RSQRT2), ...F32X4_MUL, ...tee(u), ...F32X4_ABS, ...set(v)],
    ...erfTermsCode(v, t, e, r, k),
    // cdf = 0.5 + 0.5 erf(u)
    ...f32x4(0.5),
    ...f32x4(0.5),
    ...erfFromTermsCode(u, t, e),
    ...[...F32X4_MUL, ...F32X4_ADD, ...set(cdf)],
  ];
}

/** `pointer += 16` for each i32 local given. */
const advance = (...pointers: number[]) => pointers.flatMap((p) => [...get(p), ...i32(16), ...ADD, ...set(p)]);

/** `gelu(src, dst, n)`: `dst = x cdf(x)` for `n / 4` groups of four values. */
function geluCode(): number[] {
  const [SRC, DST, N] = [0, 1, 2];
  const [X, CDF, E, ...scratch] = [3, 4, 5, 6, 7, 8, 9, 10];
  const body = [
    ...[...get(SRC), ...v128Load(0), ...set(X)],
    ...cdfAndExp(X, CDF, E, scratch),
    ...[...get(DST), ...get(X), ...get(CDF), ...F32X4_MUL, ...v128Store(0)],
    ...advance(SRC, DST),
    ...[...get(N), ...i32(4), ...SUB, ...tee(N), ...i32(0), ...GT_S, ...brIf(0)],
  ];
  return [...vec([[...uleb(8), V128]]), ...LOOP, ...body, ...END, ...END];
}

/** `geluGrad(x, dy, dst, n)`: `dst = dy (cdf(x) + x exp(-x^2 / 2) / sqrt(2 pi))`. */
function geluGradCode(): number[] {
  const [SRC, DY, DST, N] = [0, 1, 2, 3];
  const [X, CDF, E, ...scratch] = [4, 5, 6, 7, 8, 9, 10, 11];
  const body = [
    ...[...get(SRC), ...v128Load(0), ...set(X)],
    ...cdfAndExp(X, CDF, E, scratch),
    ...[...get(DST), ...get(DY), ...v128Load(0)],
    ...[...get(CDF), ...get(X), ...get(E), ...F32X4_MUL, ...f32x4(RSQRT2PI), ...F32X4_MUL, ...F32X4_ADD],
    ...[...F32X4_MUL, ...v128Store(0)],
    ...advance(SRC, DY, DST),
    ...[...get(N), ...i32(4), ...SUB, ...tee(N), ...i32(0), ...GT_S, ...brIf(0)],
  ];
  return [...vec([[...uleb(8), V128]]), ...LOOP, ...body, ...END, ...END];
}

/**
 * `geluWithSlope(src, dst, slope, n)`: `dst = x cdf(x)` as {@linkcode geluCode}, and `slope = cdf(x) +
 * x exp(-x^2 / 2) / sqrt(2 pi)`, the factor {@linkcode geluGradCode} multiplies `dy` by, computed by the
 * same instructions in the same order (`cdf + (x e) c`): so `dy slope`, one float32 multiplication, is
 * `geluGrad`'s value bit for bit, and a training step's backward pass needs no second erf.
 */
function geluWithSlopeCode(): number[] {
  const [SRC, DST, SLOPE, N] = [0, 1, 2, 3];
  const [X, CDF, E, ...scratch] = [4, 5, 6, 7, 8, 9, 10, 11];
  const body = [
    ...[...get(SRC), ...v128Load(0), ...set(X)],
    ...cdfAndExp(X, CDF, E, scratch),
    ...[...get(DST), ...get(X), ...get(CDF), ...F32X4_MUL, ...v128Store(0)],
    ...[...get(SLOPE), ...get(CDF), ...get(X), ...get(E), ...F32X4_MUL, ...f32x4(RSQRT2PI), ...F32X4_MUL],
    ...[...F32X4_ADD, ...v128Store(0)],
    ...advance(SRC, DST, SLOPE),
    ...[...get(N), ...i32(4), ...SUB, ...tee(N), ...i32(0), ...GT_S, ...brIf(0)],
  ];
  return [...vec([[...uleb(8), V128]]), ...LOOP, ...body, ...END, ...END];
}

/** The module's bytes: imports `env.memory`, exports `gelu`, `geluGrad` and `geluWithSlope`. */
export function geluBytes(): Uint8Array {
  return moduleBytes([
    { name: "gelu", nParams: 3, code: geluCode() },
    { name: "geluGrad", nParams: 4, code: geluGradCode() },
    { name: "geluWithSlope", nParams: 4, code: geluWithSlopeCode() },
  ]);
}

/** The three loops (byte offsets; `n` a positive multiple of 4). */
export interface GeluFunctions {
  gelu(src: number, dst: number, n: number): void;
  geluGrad(x: number, dy: number, dst: number, n: number): void;
  geluWithSlope(src: number, dst: number, slope: number, n: number): void;
}

/** The kernels working on `memory` (one instance per memory). */
export const geluKernel: (memory: WebAssembly.Memory) => GeluFunctions = instancePerMemory(() =>
  new WebAssembly.Module(geluBytes() as BufferSource)
);

/** `[cdf(x), exp(-x^2 / 2)]` for one value in float64 (the last `n % 4` values). */
export function cdfAndExpScalar(x: number): [number, number] {
  const u = x * RSQRT2;
  const v = Math.abs(u);
  const t = 1 / (1 + ERF_P * v);
  const [a1, a2, a3, a4, a5] = ERF_A;
  const e = Math.exp(-v * v);
  const erf = 1 - t * (a1 + t * (a2 + t * (a3 + t * (a4 + t * a5)))) * e;
  return [0.5 + 0.5 * (u < 0 ? -erf : erf), e];
}

/** `1 / sqrt(2 pi)`, the factor of `x exp(-x^2 / 2)` in the gradient. */
export const GELU_PDF_SCALE = RSQRT2PI;
