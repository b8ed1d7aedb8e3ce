/**
 * A small float32 matrix product in WebAssembly SIMD, assembled at load time from the
 * instruction lists below (no toolchain, no binary file in the repository; as
 * `operators/_resample_wasm.ts`), for products too small or too oddly shaped for the tfjs
 * kernels to run well: the per-step products of a recurrence (`[32, 64] x [64, 128]`, called
 * hundreds of times a step) and weight gradients `a^T b` over many rows.
 *
 * Blocks of 6 rows x 8 columns are accumulated in twelve `f32x4` registers; the products use
 * the relaxed-SIMD fused multiply-add where the runtime has it (`f32x4.relaxed_madd`, one
 * rounding: results can differ from a multiply-then-add by float32 rounding), else a multiply
 * and an add. Every shape is handled (tails of 4, 2 and 1 rows, 4 columns and single columns).
 *
 * @module
 */

import {
  ADD,
  BLOCK,
  br,
  brIf,
  bump,
  ELSE,
  END,
  EQZ,
  F32,
  F32_ADD,
  F32_MUL,
  F32_ZERO,
  f32Load,
  f32Store,
  F32X4_ADD,
  F32X4_MUL,
  F32X4_RELAXED_MADD,
  get,
  I32,
  i32,
  IF,
  load32Splat,
  LOOP,
  LT_S,
  moduleBytes,
  MUL,
  set,
  SHL,
  SUB,
  tee,
  uleb,
  V128,
  V128_ZERO,
  v128Load,
  v128Store,
  vec,
  type WasmFunction,
} from "./_wasm_asm.ts";

/** Parameters of both exported functions (all i32; pointers and strides in bytes). */
const [A, B, C, M, K, N, LDA, LDB, LDC, ACCUMULATE] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
/**
 * The largest block: 6 rows x 2 f32x4 columns, 12 accumulators + 2 columns of `b` + the
 * broadcast element of `a`, 15 of x64's 16 vector registers. Measured (CPU time, single thread,
 * products of the recurrent models' shapes, 2026-12-06): 6 x 2 about 10 % faster than 4 x 2
 * and 5 x 2; 3 x 4 and 4 x 3 (17 registers: spills) 20 % slower.
 */
const MAX_ROWS = 6, MAX_VECTORS = 2;
/** i32 locals: row, column, pointers into `b` and `c`, depth counter, one pointer per row of `a`. */
const [I, J, PB, PC, KK, PA] = [10, 11, 12, 13, 14, 15];
const N_I32_LOCALS = 5 + MAX_ROWS;
/** v128 locals: the accumulators, the columns of `b`, the broadcast element of `a`. */
const ACC = PA + MAX_ROWS, BV = ACC + MAX_ROWS * MAX_VECTORS, S = BV + MAX_VECTORS;
const N_V128_LOCALS = MAX_ROWS * MAX_VECTORS + MAX_VECTORS + 1;
/** f32 locals of the single-column tail: one accumulator per row, the element of `b`. */
const FACC = S + 1, FB = FACC + MAX_ROWS;
const N_F32_LOCALS = MAX_ROWS + 1;

/** Rows per block, largest first: the last rows in 4-, 2- and 1-row blocks (a 32-row step: 5 x 6 + 2). */
const ROW_BLOCKS = [MAX_ROWS, 4, 2, 1];
/** Columns per block (in f32x4 vectors; 0: one column, scalar), largest first. */
const COL_BLOCKS = MAX_VECTORS > 1 ? [MAX_VECTORS, 1, 0] : [1, 0];

/**
 * The code of one block of `rows` x `vectors` (`vectors` f32x4 columns, 0 for a single scalar
 * column) at row `i`, column `j`: `c = (accumulate ? c : 0) + a b` over the whole depth.
 */
function blockCode(rows: number, vectors: number, transposeA: boolean, relaxed: boolean): number[] {
  const scalar = vectors === 0;
  const acc = (r: number, v: number) => scalar ? FACC + r : ACC + r * MAX_VECTORS + v;
  const cells = Array.from({ length: rows }, (_, r) => r).flatMap((r) =>
    Array.from({ length: scalar ? 1 : vectors }, (_, v) => [r, v] as const)
  );
  const rowPointers = Array.from({ length: MAX_ROWS }, (_, r) => PA + r);
  // pa = a + i lda (a: [m, k]) or a + 4 i (a: [k, m]); pb = b + 4 j; pc = c + i ldc + 4 j
  const setup = [
    ...(transposeA
      ? [...get(A), ...get(I), ...i32(2), ...SHL, ...ADD, ...set(PA)]
      : Array.from({ length: rows }, (_, r) => [
        ...get(A),
        ...get(I),
        ...i32(r),
        ...ADD,
        ...get(LDA),
        ...MUL,
        ...ADD,
        ...set(rowPointers[r]),
      ]).flat()),
    ...[...get(B), ...get(J), ...i32(2), ...SHL, ...ADD, ...set(PB)],
    ...[...get(C), ...get(I), ...get(LDC), ...MUL, ...ADD, ...get(J), ...i32(2), ...SHL, ...ADD, ...set(PC)],
  ];
  const cAddress = (r: number) => r === 0 ? get(PC) : [...get(PC), ...get(LDC), ...i32(r), ...MUL, ...ADD];
  const loadC = (r: number, v: number) =>
    scalar
      ? [...cAddress(r), ...f32Load(0), ...set(acc(r, v))]
      : [...cAddress(r), ...v128Load(16 * v), ...set(acc(r, v))];
  const zero = (r: number, v: number) => [...(scalar ? F32_ZERO : V128_ZERO), ...set(acc(r, v))];
  const init = [
    ...get(ACCUMULATE),
    ...IF,
    ...cells.flatMap(([r, v]) => loadC(r, v)),
    ...ELSE,
    ...cells.flatMap(([r, v]) => zero(r, v)),
    ...END,
  ];
  const loadB = scalar
    ? [...get(PB), ...f32Load(0), ...set(FB)]
    : Array.from({ length: vectors }, (_, v) => [...get(PB), ...v128Load(16 * v), ...set(BV + v)]).flat();
  const element = (r: number) =>
    transposeA
      ? [...get(PA), ...(scalar ? f32Load(4 * r) : load32Splat(4 * r))]
      : [...get(rowPointers[r]), ...(scalar ? f32Load(0) : load32Splat(0))];
  const madd = (r: number, v: number) => {
    if (scalar) return [...get(FB), ...F32_MUL, ...get(acc(r, v)), ...F32_ADD, ...set(acc(r, v))];
    return relaxed
      ? [...get(S), ...get(BV + v), ...get(acc(r, v)), ...F32X4_RELAXED_MADD, ...set(acc(r, v))]
      : [...get(S), ...get(BV + v), ...F32X4_MUL, ...get(acc(r, v)), ...F32X4_ADD, ...set(acc(r, v))];
  };
  const rowUpdate = (r: number) =>
    scalar
      ? [...element(r), ...madd(r, 0)]
      : [...element(r), ...set(S), ...Array.from({ length: vectors }, (_, v) => madd(r, v)).flat()];
  const advance = transposeA
    ? bump(PA, get(LDA))
    : Array.from({ length: rows }, (_, r) => bump(rowPointers[r], i32(4))).flat();
  const depthLoop = [
    ...BLOCK,
    ...[...get(K), ...set(KK), ...get(KK), ...EQZ, ...brIf(0)],
    ...LOOP,
    ...loadB,
    ...Array.from({ length: rows }, (_, r) => rowUpdate(r)).flat(),
    ...advance,
    ...bump(PB, get(LDB)),
    ...[...get(KK), ...i32(1), ...SUB, ...tee(KK), ...brIf(0)],
    ...END,
    ...END,
  ];
  const store = cells.flatMap(([r, v]) =>
    scalar
      ? [...cAddress(r), ...get(acc(r, v)), ...f32Store(0)]
      : [...cAddress(r), ...get(acc(r, v)), ...v128Store(16 * v)]
  );
  return [...setup, ...init, ...depthLoop, ...store];
}

/** `while (limit - counter >= step) { body; counter += step }` */
function stridedLoop(counter: number, limit: number, step: number, body: number[]): number[] {
  return [
    ...BLOCK,
    ...LOOP,
    ...[...get(limit), ...get(counter), ...SUB, ...i32(step), ...LT_S, ...brIf(1)],
    ...body,
    ...bump(counter, i32(step)),
    ...br(0),
    ...END,
    ...END,
  ];
}

/**
 * `gemm(a, b, c, m, k, n, lda, ldb, ldc, accumulate)`: `c = (accumulate ? c : 0) + a b`, with
 * `a` `[m, k]` (row stride `lda` bytes; `gemmTN`: `a` is `[k, m]`, `a^T b`), `b` `[k, n]` (row
 * stride `ldb`), `c` `[m, n]` (row stride `ldc`). Pointers are byte offsets.
 */
function gemmCode(transposeA: boolean, relaxed: boolean): number[] {
  const columns = (rows: number) => [
    ...[...i32(0), ...set(J)],
    ...COL_BLOCKS.flatMap((v) => stridedLoop(J, N, v === 0 ? 1 : 4 * v, blockCode(rows, v, transposeA, relaxed))),
  ];
  const body = [
    ...[...i32(0), ...set(I)],
    ...ROW_BLOCKS.flatMap((rows) => stridedLoop(I, M, rows, columns(rows))),
  ];
  const locals = vec([[...uleb(N_I32_LOCALS), I32], [...uleb(N_V128_LOCALS), V128], [...uleb(N_F32_LOCALS), F32]]);
  return [...locals, ...body, ...END];
}

/** The product functions `gemm` (`a b`) and `gemmTN` (`a^T b`), to assemble into a module. */
export function gemmFunctions(relaxed: boolean): WasmFunction[] {
  return [
    { name: "gemm", nParams: 10, code: gemmCode(false, relaxed) },
    { name: "gemmTN", nParams: 10, code: gemmCode(true, relaxed) },
  ];
}

/**
 * Compiles a module of `functions(relaxed)`: with the fused multiply-add where the runtime
 * validates relaxed SIMD, else without. With `sharedMaximumPages`, the module imports a shared
 * memory of at most that many pages (`moduleBytes`); the same runtime makes the same choice.
 */
export function compileWithFallback(
  functions: (relaxed: boolean) => WasmFunction[],
  sharedMaximumPages?: number,
): WebAssembly.Module {
  try {
    return new WebAssembly.Module(moduleBytes(functions(true), sharedMaximumPages) as BufferSource);
  } catch {
    return new WebAssembly.Module(moduleBytes(functions(false), sharedMaximumPages) as BufferSource);
  }
}

let compiled: WebAssembly.Module | undefined;

const PAGE = 65536;

/**
 * One instance of a module over a WebAssembly memory of its own, which grows on demand: the
 * product kernel alone, or with more functions (`functions` adds them to `gemm` and `gemmTN`).
 * Offsets and strides are in float32 elements of {@linkcode WasmKernel.f32}.
 */
export class WasmKernel {
  /** The kernel's memory. */
  readonly memory: WebAssembly.Memory;
  /** The module's exported functions (pointer and stride arguments in bytes). */
  readonly exports: Record<string, (...args: number[]) => void>;
  #view = new Float32Array(0);

  /**
   * @param module A module of {@linkcode gemmFunctions} and possibly more; default: those alone.
   * @param memory The memory to work in; default: a new one of its own.
   */
  constructor(module?: WebAssembly.Module, memory?: WebAssembly.Memory) {
    this.memory = memory ?? new WebAssembly.Memory({ initial: 1 });
    compiled ??= compileWithFallback(gemmFunctions);
    const instance = new WebAssembly.Instance(module ?? compiled, { env: { memory: this.memory } });
    this.exports = instance.exports as unknown as Record<string, (...args: number[]) => void>;
    this.#view = new Float32Array(this.memory.buffer as ArrayBuffer);
  }

  /**
   * Makes room for `floats` float32 values; returns the view of the whole memory (a new one
   * when it grew: views taken before are then detached).
   */
  reserve(floats: number): Float32Array {
    const bytes = 4 * floats;
    const have = this.memory.buffer.byteLength;
    if (bytes > have) {
      this.memory.grow(Math.ceil((bytes - have) / PAGE));
      this.#view = new Float32Array(this.memory.buffer as ArrayBuffer);
    }
    return this.#view;
  }

  /** The float32 view of the whole memory. */
  get f32(): Float32Array {
    return this.#view;
  }

  /**
   * `c = (accumulate ? c : 0) + a b`: `a` `[m, k]`, `b` `[k, n]`, `c` `[m, n]`, each at an
   * element offset with its own row stride (elements).
   */
  gemm(
    a: number,
    b: number,
    c: number,
    m: number,
    k: number,
    n: number,
    lda: number,
    ldb: number,
    ldc: number,
    accumulate = false,
  ): void {
    this.#call("gemm", [a, b, c, m, k, n, lda, ldb, ldc], accumulate);
  }

  /** `c = (accumulate ? c : 0) + a^T b`: `a` `[k, m]`, `b` `[k, n]`, `c` `[m, n]` (as {@linkcode WasmKernel.gemm}). */
  gemmTN(
    a: number,
    b: number,
    c: number,
    m: number,
    k: number,
    n: number,
    lda: number,
    ldb: number,
    ldc: number,
    accumulate = false,
  ): void {
    this.#call("gemmTN", [a, b, c, m, k, n, lda, ldb, ldc], accumulate);
  }

  /** Calls the product `fn` with element offsets and strides turned into bytes. */
  #call(fn: "gemm" | "gemmTN", [a, b, c, m, k, n, lda, ldb, ldc]: number[], accumulate: boolean): void {
    this.exports[fn](4 * a, 4 * b, 4 * c, m, k, n, 4 * lda, 4 * ldb, 4 * ldc, accumulate ? 1 : 0);
  }
}
