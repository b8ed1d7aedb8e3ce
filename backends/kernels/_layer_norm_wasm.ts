/**
 * Layer normalisation over the last axis as WebAssembly SIMD loops over the tfjs `wasm` backend's
 * heap, four float32 values at a time, assembled at load time (`core/_wasm_asm.ts`). Rows of `n`
 * values, `n` a multiple of 4. Sums in float32 (four lanes, then the lanes added), as tfjs's own
 * reductions do.
 *
 * `layerNorm(x, gamma, beta, y, mean, rstd, rows, n, epsilonBits)`: per row `mean`, `rstd =
 * 1 / sqrt(mean((x - mean)^2) + epsilon)`, `y = (x - mean) rstd gamma + beta`; `mean` and `rstd`
 * are kept (one float32 per row) for the gradient.
 *
 * `layerNormGrad(dy, x, gamma, mean, rstd, dx, dgamma, dbeta, rows, n)`: with `h = (x - mean) rstd`
 * and `g = dy gamma`, `dx = rstd (g - mean(g) - h mean(g h))` per row, and `dgamma += dy h`,
 * `dbeta += dy` summed over the rows into `dgamma` and `dbeta` (which the caller zeroes).
 *
 * @module
 */
import {
  ADD,
  brIf,
  END,
  F32_ADD,
  f32Load,
  f32Store,
  F32X4_ADD,
  F32X4_MUL,
  F32X4_SUB,
  get,
  GT_S,
  I32,
  i32,
  instancePerMemory,
  LOOP,
  LT_S,
  moduleBytes,
  MUL,
  set,
  simd,
  SUB,
  tee,
  uleb,
  V128,
  V128_ZERO,
  v128Load,
  v128Store,
  vec,
} from "../../core/_wasm_asm.ts";

/** The f32 value type (`F32` of `_wasm_asm.ts`). */
const F32_TYPE = 0x7d;
const F32_DIV = [0x95], F32_SQRT = [0x91];
const F32_CONVERT_I32_S = [0xb2], F32_REINTERPRET_I32 = [0xbe];
const F32X4_SPLAT = simd(0x13);
const extractLane = (lane: number) => simd(0x1f, lane);

/** The four lanes of a v128 local added, as one f32: `((l0 + l1) + l2) + l3`. */
const laneSum = (v: number) => [
  ...[...get(v), ...extractLane(0), ...get(v), ...extractLane(1), ...F32_ADD],
  ...[...get(v), ...extractLane(2), ...F32_ADD, ...get(v), ...extractLane(3), ...F32_ADD],
];

/** `base + j`, the address of the current four values of a row. */
const at = (base: number, j: number) => [...get(base), ...get(j), ...ADD];

/** `j = 0; do { body; j += 16 } while (j < limit)` (a row of at least four values). */
const rowLoop = (j: number, limit: number, body: number[]) => [
  ...[...i32(0), ...set(j)],
  ...LOOP,
  ...body,
  ...[...get(j), ...i32(16), ...ADD, ...tee(j), ...get(limit), ...LT_S, ...brIf(0)],
  ...END,
];

/** `pointer += step` (an i32 local or instruction list). */
const advance = (pointer: number, step: number[]) => [...get(pointer), ...step, ...ADD, ...set(pointer)];

function layerNormCode(): number[] {
  const [X, G, B, Y, M, R, ROWS, N, EPS] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [J, N4, NF, MEAN, S, ACC, MV, RV, D] = [9, 10, 11, 12, 13, 14, 15, 16, 17];
  const xMinusMean = [...at(X, J), ...v128Load(0), ...get(MV), ...F32X4_SUB];
  const row = [
    ...[...V128_ZERO, ...set(ACC)],
    ...rowLoop(J, N4, [...get(ACC), ...at(X, J), ...v128Load(0), ...F32X4_ADD, ...set(ACC)]),
    ...[...laneSum(ACC), ...get(NF), ...F32_DIV, ...tee(MEAN), ...F32X4_SPLAT, ...set(MV)],
    ...[...V128_ZERO, ...set(ACC)],
    ...rowLoop(J, N4, [...xMinusMean, ...tee(D), ...get(D), ...F32X4_MUL, ...get(ACC), ...F32X4_ADD, ...set(ACC)]),
    // s = 1 / sqrt(sum / n + epsilon)
    ...[...get(M), ...get(MEAN), ...f32Store(0)],
    ...[...get(R), ...f32Const(1), ...laneSum(ACC), ...get(NF), ...F32_DIV, ...get(EPS), ...F32_REINTERPRET_I32],
    ...[...F32_ADD, ...F32_SQRT, ...F32_DIV, ...tee(S), ...f32Store(0), ...get(S), ...F32X4_SPLAT, ...set(RV)],
    ...rowLoop(J, N4, [
      ...at(Y, J),
      ...[...xMinusMean, ...get(RV), ...F32X4_MUL, ...at(G, J), ...v128Load(0), ...F32X4_MUL],
      ...[...at(B, J), ...v128Load(0), ...F32X4_ADD, ...v128Store(0)],
    ]),
    ...[...advance(X, get(N4)), ...advance(Y, get(N4)), ...advance(M, i32(4)), ...advance(R, i32(4))],
    ...[...get(ROWS), ...i32(1), ...SUB, ...tee(ROWS), ...i32(0), ...GT_S, ...brIf(0)],
  ];
  const locals = vec([[...uleb(2), I32], [...uleb(3), F32_TYPE], [...uleb(4), V128]]);
  const setup = [...get(N), ...i32(4), ...MUL, ...set(N4), ...get(N), ...F32_CONVERT_I32_S, ...set(NF)];
  return [...locals, ...setup, ...LOOP, ...row, ...END, ...END];
}

function layerNormGradCode(): number[] {
  const [DY, X, G, M, R, DX, DG, DB, ROWS, N] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const [J, N4, NF, MV, RV, SG, SGH, H, DYV, GV, A, C] = [10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21];
  const hOf = [...at(X, J), ...v128Load(0), ...get(MV), ...F32X4_SUB, ...get(RV), ...F32X4_MUL, ...set(H)];
  const first = [
    ...hOf,
    ...[...at(DY, J), ...v128Load(0), ...tee(DYV), ...at(G, J), ...v128Load(0), ...F32X4_MUL, ...tee(GV)],
    ...[...get(SG), ...F32X4_ADD, ...set(SG)],
    ...[...get(GV), ...get(H), ...F32X4_MUL, ...get(SGH), ...F32X4_ADD, ...set(SGH)],
    ...[
      ...at(DG, J),
      ...at(DG, J),
      ...v128Load(0),
      ...get(DYV),
      ...get(H),
      ...F32X4_MUL,
      ...F32X4_ADD,
      ...v128Store(0),
    ],
    ...[...at(DB, J), ...at(DB, J), ...v128Load(0), ...get(DYV), ...F32X4_ADD, ...v128Store(0)],
  ];
  const second = [
    ...hOf,
    ...at(DX, J),
    ...[...get(RV), ...at(DY, J), ...v128Load(0), ...at(G, J), ...v128Load(0), ...F32X4_MUL],
    ...[...get(A), ...F32X4_SUB, ...get(H), ...get(C), ...F32X4_MUL, ...F32X4_SUB, ...F32X4_MUL, ...v128Store(0)],
  ];
  const row = [
    ...[...get(M), ...f32Load(0), ...F32X4_SPLAT, ...set(MV), ...get(R), ...f32Load(0), ...F32X4_SPLAT, ...set(RV)],
    ...[...V128_ZERO, ...set(SG), ...V128_ZERO, ...set(SGH)],
    ...rowLoop(J, N4, first),
    ...[...laneSum(SG), ...get(NF), ...F32_DIV, ...F32X4_SPLAT, ...set(A)],
    ...[...laneSum(SGH), ...get(NF), ...F32_DIV, ...F32X4_SPLAT, ...set(C)],
    ...rowLoop(J, N4, second),
    ...[...advance(X, get(N4)), ...advance(DY, get(N4)), ...advance(DX, get(N4))],
    ...[...advance(M, i32(4)), ...advance(R, i32(4))],
    ...[...get(ROWS), ...i32(1), ...SUB, ...tee(ROWS), ...i32(0), ...GT_S, ...brIf(0)],
  ];
  const locals = vec([[...uleb(2), I32], [...uleb(1), F32_TYPE], [...uleb(9), V128]]);
  const setup = [...get(N), ...i32(4), ...MUL, ...set(N4), ...get(N), ...F32_CONVERT_I32_S, ...set(NF)];
  return [...locals, ...setup, ...LOOP, ...row, ...END, ...END];
}

/** `f32.const value`. */
function f32Const(value: number): number[] {
  return [0x43, ...new Uint8Array(Float32Array.of(value).buffer)];
}

/** The module's bytes: imports `env.memory`, exports `layerNorm` and `layerNormGrad`. */
export function layerNormBytes(): Uint8Array {
  return moduleBytes([
    { name: "layerNorm", nParams: 9, code: layerNormCode() },
    { name: "layerNormGrad", nParams: 10, code: layerNormGradCode() },
  ]);
}

/** The two loops (byte offsets; `rows >= 1`, `n` a positive multiple of 4; `epsilon` as float32 bits). */
export interface LayerNormFunctions {
  layerNorm(
    x: number,
    gamma: number,
    beta: number,
    y: number,
    mean: number,
    rstd: number,
    rows: number,
    n: number,
    epsilonBits: number,
  ): void;
  layerNormGrad(
    dy: number,
    x: number,
    gamma: number,
    mean: number,
    rstd: number,
    dx: number,
    dgamma: number,
    dbeta: number,
    rows: number,
    n: number,
  ): void;
}

/** The kernels working on `memory` (one instance per memory). */
export const layerNormKernel: (memory: WebAssembly.Memory) => LayerNormFunctions = instancePerMemory(() =>
  new WebAssembly.Module(layerNormBytes() as BufferSource)
);
