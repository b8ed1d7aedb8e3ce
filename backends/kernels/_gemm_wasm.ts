/**
 * A WebAssembly SIMD matrix product that works in place on the tfjs `wasm` backend's heap,
 * assembled at load time from the instruction lists below (no toolchain, no binary file; the
 * same approach as `operators/_resample_wasm.ts`).
 *
 * `gemm6`, `gemm4` and `gemm1` compute `C = A B (+ bias)` for a batch of matrices, six, four or one row(s) of
 * `C` by eight columns at a time: eight (two) `f32x4` accumulators, one splat of an `A` value per
 * row and two 16-byte loads of a `B` row per step along `k`. `A` is read through two strides
 * (row, step along `k`), so `A` and `A^T` cost the same; `B` is read row by row as it is stored
 * (`[k, n]`, `n` a multiple of 8): XNNPACK's products instead copy ("pack") their second operand
 * on every call, and a training step's operands are new tensors every step. Every output is the
 * sum over `k` in order, `acc = acc + a * b` rounded to float32 at each step.
 *
 * @module
 */

import {
  ADD,
  AND,
  BLOCK,
  brIf,
  bump,
  countedLoop,
  ELSE,
  END,
  EQZ,
  F32X4_ADD,
  F32X4_MAX,
  F32X4_MUL,
  get,
  I32,
  i32,
  IF,
  IF_V128,
  instancePerMemory,
  load32Splat,
  LOOP,
  moduleBytes,
  MUL,
  SELECT,
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
  type WasmFunction,
} from "../../core/_wasm_asm.ts";
import { compileWithFallback } from "../../core/_wasm_gemm.ts";
import { SHARED_MAXIMUM_PAGES } from "../../core/_helper_thread.ts";
import type { BlockGemm } from "../../core/_gemm_passes.ts";

/** `acc = acc + s * b`: two roundings, or one (`f32x4.relaxed_madd`, a fused multiply-add on x86-64 with FMA). */
function multiplyAdd(acc: number, s: number, b: number, fused: boolean): number[] {
  if (fused) return [...get(s), ...get(b), ...get(acc), ...simd(0x105), ...set(acc)];
  return [...get(acc), ...get(s), ...get(b), ...F32X4_MUL, ...F32X4_ADD, ...set(acc)];
}

/** Parameters of the generated functions, in order. */
const PARAMS = [
  "a", // byte offset of A (batch 0, row 0, k 0)
  "b", // byte offset of B
  "c", // byte offset of C
  "bias", // byte offset of the bias row (n floats), 0: none
  "rows", // row blocks (of `mr` rows) of C
  "cols", // column blocks (of 8) of C
  "k", // length of the sums (>= 1)
  "rowStride", // bytes between rows of A
  "kStride", // bytes between consecutive k of A
  "ldb", // bytes between rows of B
  "ldc", // bytes between rows of C
  "batch", // matrices
  "sa", // bytes between matrices of A
  "sb", // bytes between matrices of B
  "sc", // bytes between matrices of C
  "relu", // nonzero: max(0, x) on the way out
  "accumulate", // nonzero: add to C's values (else start from the bias, or zero)
] as const;
const P = Object.fromEntries(PARAMS.map((p, i) => [p, i])) as Record<(typeof PARAMS)[number], number>;

/** Each accumulator's start: C's values (accumulating), the bias, or zero. */
function initCode(rows: number[], ACC: number, PC: number, JB: number): number[] {
  return rows.flatMap((r) =>
    [0, 1].flatMap((h) => [
      ...get(P.accumulate),
      ...IF_V128,
      ...[...get(PC), ...i32(r), ...get(P.ldc), ...MUL, ...ADD, ...v128Load(16 * h)],
      ...ELSE,
      ...get(P.bias),
      ...IF_V128,
      ...[...get(P.bias), ...get(JB), ...i32(32), ...MUL, ...ADD, ...v128Load(16 * h)],
      ...ELSE,
      ...V128_ZERO,
      ...END,
      ...END,
      ...set(ACC + 2 * r + h),
    ])
  );
}

/** Each accumulator to C (through `max(0, x)` when `relu`). */
function storeCode(rows: number[], ACC: number, PC: number): number[] {
  return rows.flatMap((r) =>
    [0, 1].flatMap((h) => [
      ...get(PC),
      ...[...get(ACC + 2 * r + h), ...V128_ZERO, ...F32X4_MAX],
      ...get(ACC + 2 * r + h),
      ...[...get(P.relu), ...SELECT],
      ...v128Store(16 * h),
    ]).concat(bump(PC, get(P.ldc)))
  );
}

/**
 * The body of `gemm{mr}`: for every matrix, column block and row block, `mr` rows x 8 columns of
 * `C` as `2 mr` f32x4 accumulators over `k`.
 */
function gemmCode(mr: number, fused: boolean): number[] {
  const base = PARAMS.length;
  const [BT, JB, IB, N, PB, PA, PC] = [0, 1, 2, 3, 4, 5, 6].map((i) => base + i);
  const ROW = base + 7; // ROW..ROW+mr-1: A pointer of each row
  const V = base + 7 + mr; // v128 locals
  const ACC = V, B0 = V + 2 * mr, B1 = B0 + 1, S = B0 + 2;
  const rows = Array.from({ length: mr }, (_, r) => r);
  const init = initCode(rows, ACC, PC, JB);
  const step = [
    ...[...get(PB), ...v128Load(0), ...set(B0), ...get(PB), ...v128Load(16), ...set(B1)],
    ...rows.flatMap((r) => [
      ...[...get(ROW + r), ...load32Splat(0), ...set(S)],
      ...multiplyAdd(ACC + 2 * r, S, B0, fused),
      ...multiplyAdd(ACC + 2 * r + 1, S, B1, fused),
      ...bump(ROW + r, get(P.kStride)),
    ]),
    ...bump(PB, get(P.ldb)),
  ];
  const store = storeCode(rows, ACC, PC);
  const block = [
    // pa = a + ib * mr * rowStride; row pointers; pb = b + jb * 32; pc = c + ib * mr * ldc + jb * 32
    ...[...get(P.a), ...get(IB), ...i32(mr), ...MUL, ...get(P.rowStride), ...MUL, ...ADD, ...set(PA)],
    ...rows.flatMap((r) => [...get(PA), ...i32(r), ...get(P.rowStride), ...MUL, ...ADD, ...set(ROW + r)]),
    ...[...get(P.b), ...get(JB), ...i32(32), ...MUL, ...ADD, ...set(PB)],
    ...[...get(P.c), ...get(IB), ...i32(mr), ...MUL, ...get(P.ldc), ...MUL, ...ADD],
    ...[...get(JB), ...i32(32), ...MUL, ...ADD, ...set(PC)],
    ...init,
    // k % 4 single steps, then four steps per iteration
    ...[...get(P.k), ...tee(N), ...i32(1), ...AND, ...IF, ...step, ...END],
    ...[...get(N), ...i32(2), ...AND, ...IF, ...step, ...step, ...END],
    ...[
      ...BLOCK,
      ...get(N),
      ...i32(-4),
      ...AND,
      ...tee(N),
      ...EQZ,
      ...brIf(0),
      ...LOOP,
      ...step,
      ...step,
      ...step,
      ...step,
    ],
    ...[...get(N), ...i32(4), ...SUB, ...tee(N), ...brIf(0), ...END, ...END],
    ...store,
  ];
  const matrix = countedLoop(IB, get(P.rows), 1, countedLoop(JB, get(P.cols), 1, block));
  const body = [
    ...countedLoop(BT, get(P.batch), 1, [
      ...matrix,
      ...bump(P.a, get(P.sa)),
      ...bump(P.b, get(P.sb)),
      ...bump(P.c, get(P.sc)),
    ]),
  ];
  const locals = vec([[...uleb(7 + mr), I32], [...uleb(2 * mr + 3), V128]]);
  return [...locals, ...body, ...END];
}

/** The functions `gemm6`, `gemm4` and `gemm1`, to assemble into a module. */
function gemmFunctions(fused: boolean): WasmFunction[] {
  return [6, 4, 1].map((mr) => ({ name: `gemm${mr}`, nParams: PARAMS.length, code: gemmCode(mr, fused) }));
}

/** The module's bytes: imports `env.memory`, exports `gemm6`, `gemm4` and `gemm1`. */
export function gemmBytes(fused = false): Uint8Array {
  return moduleBytes(gemmFunctions(fused));
}

/** The signature of `gemm6`, `gemm4` and `gemm1` (byte offsets and byte strides; see the parameter list): core/_gemm_passes.ts's, which the helper thread shares. */
export type GemmFunction = BlockGemm;

/** The two kernels, instantiated over one memory. */
export interface GemmKernels {
  gemm6: GemmFunction;
  gemm4: GemmFunction;
  gemm1: GemmFunction;
}

/**
 * The kernels working on `memory` (one instance per memory, made on first use), of the compiled
 * module: with fused multiply-adds where the engine has relaxed SIMD (V8 does since 11.4; ~20 %
 * faster here, and one rounding per step instead of two), else without.
 */
export const gemmKernels: (memory: WebAssembly.Memory) => GemmKernels = instancePerMemory(() =>
  compileWithFallback(gemmFunctions)
);

let shared: WebAssembly.Module | undefined;

/**
 * The same module (the same choice of fused multiply-adds) importing a shared memory of the
 * helper thread's size (`core/_helper_thread.ts`), for the helper to run rows of a product.
 */
export function sharedGemmModule(): WebAssembly.Module {
  shared ??= compileWithFallback(gemmFunctions, SHARED_MAXIMUM_PAGES);
  return shared;
}
