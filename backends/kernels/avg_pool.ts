/**
 * `AvgPool` for the tfjs `wasm` backend: pooling two rows into one (filter `[2, 1]`, strides
 * `[2, 1]`, no padding: gru's `time_pool`, tfjs-layers' `averagePooling1d({ poolSize: 2 })` over
 * `[32, 250, 248]`) as one WebAssembly SIMD pass over the heap; every other pooling goes to the
 * stock kernel.
 *
 * The stock kernel (XNNPACK's 9-tap unipass average pooling, its `wasmsimd` x86 variant) adds the two
 * rows, adds zero for each of the seven unused taps, multiplies by the scale `1 / 2` and clamps with
 * `pmax(-inf, v)` and `pmin(+inf, v)`. This pass computes `pmin(+inf, pmax(-inf, ((a + b) + 0) * 0.5))`
 * lane by lane: the same float32 operations (adding `+0` more than once changes nothing after the
 * first: it turns a `-0` sum into `+0`, as the stock kernel does; the clamp turns NaN into `-inf`, as
 * the stock kernel does), so the same bits (tested against the stock kernel, special values included).
 * ~2 ms of CPU per gru step stock (XNNPACK's indirection over 250 x 248 rows of one value each).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import {
  ADD,
  countedLoop,
  END,
  F32X4_ADD,
  F32X4_MUL,
  F32X4_PMAX,
  F32X4_PMIN,
  f32x4Const,
  get,
  I32,
  i32,
  instancePerMemory,
  moduleBytes,
  MUL,
  set,
  shuffle32,
  uleb,
  V128,
  V128_ZERO,
  v128Load,
  v128Store,
  vec,
} from "../../core/_wasm_asm.ts";
import { heapByteOffset, heapMemory, type WasmHeapInternals } from "./_heap_kernel.ts";
import { lazyTransposeOf } from "./transpose.ts";
import { type KernelArgs, WASM } from "./_wasm_ops.ts";

/** Whether pair pooling runs here (see {@linkcode setPairPool}). */
let pairPool = true;
/** Poolings computed here since the process started (tests). */
let computed = 0;

/**
 * Pooling two rows into one runs as this file's SIMD pass (the default), or, with `false`, as the
 * stock kernel (what tests compare with). Kept although only tests turn it off: `false` keeps no old
 * code alive, it sends pair poolings to tfjs's own kernel, which runs every other pooling (and pair
 * poolings whose rows are not a multiple of 4 values, or where the heap memory cannot be imported) in
 * production; it is how the tests reach that kernel as the reference, special values included.
 *
 * @param on Use the SIMD pass.
 * @returns The previous setting.
 * @example
 * ```ts
 * import { setPairPool } from "./avg_pool.ts";
 *
 * const previous = setPairPool(false);
 * setPairPool(previous);
 * ```
 */
export function setPairPool(on: boolean): boolean {
  const previous = pairPool;
  pairPool = on;
  return previous;
}

let fusedComputed = 0;

/** How many poolings read a deferred transpose's input instead of its output (tests). */
export function pairPoolOfTransposeCount(): number {
  return fusedComputed;
}

/** How many poolings this file's pass computed since the process started (tests). */
export function pairPoolCount(): number {
  return computed;
}

/**
 * `pairMean(src, dst, pairs, rowBytes)`: for each of `pairs` pairs of consecutive rows of `rowBytes`
 * bytes (a multiple of 16) at `src`, one row at `dst`: `pmin(+inf, pmax(-inf, ((a + b) + 0) * 0.5))`.
 */
function pairMeanCode(): number[] {
  const [SRC, DST, PAIRS, ROW] = [0, 1, 2, 3];
  const [P, OFF, PS, PD] = [4, 5, 6, 7];
  const at = (base: number, extra: number[] = []) => [...get(base), ...get(OFF), ...ADD, ...extra];
  const value = [
    ...at(PD),
    ...f32x4Const(Infinity),
    ...f32x4Const(-Infinity),
    ...at(PS),
    ...v128Load(0),
    ...at(PS, [...get(ROW), ...ADD]),
    ...v128Load(0),
    ...F32X4_ADD,
    ...V128_ZERO,
    ...F32X4_ADD,
    ...f32x4Const(0.5),
    ...F32X4_MUL,
    ...F32X4_PMAX, // pmax(-inf, v)
    ...F32X4_PMIN, // pmin(+inf, v)
    ...v128Store(0),
  ];
  const rows = countedLoop(P, get(PAIRS), 1, [
    ...countedLoop(OFF, get(ROW), 16, value),
    ...[...get(PS), ...get(ROW), ...get(ROW), ...ADD, ...ADD, ...set(PS)],
    ...[...get(PD), ...get(ROW), ...ADD, ...set(PD)],
  ]);
  return [...vec([[...uleb(4), I32]]), ...[...get(SRC), ...set(PS), ...get(DST), ...set(PD)], ...rows, ...END];
}

/** `pmin(+inf, pmax(-inf, (s + 0) * 0.5))` of the pair sums that `sums` leaves on the stack. */
const meanOf = (sums: number[]) => [
  ...f32x4Const(Infinity),
  ...f32x4Const(-Infinity),
  ...sums,
  ...V128_ZERO,
  ...F32X4_ADD,
  ...f32x4Const(0.5),
  ...F32X4_MUL,
  ...F32X4_PMAX,
  ...F32X4_PMIN,
];

/**
 * `pairMeanTransposed(src, dst, rows, cols, outCols)`: for one row-major `[rows, cols]` matrix at `src`
 * (`rows` a multiple of 4), the means of its column pairs `(2t, 2t + 1)`, transposed: `dst` row-major
 * `[*, rows]`, row `t` for `t < outCols` (even), each mean as {@linkcode pairMeanCode}'s. Four rows
 * at a time: 4 samples of each (two pairs), pair sums by two shuffles and an add per two rows, the
 * means of 4 rows for one `t` by a last shuffle.
 */
function pairMeanTransposedCode(): number[] {
  const [SRC, DST, ROWS, COLS, OUT] = [0, 1, 2, 3, 4];
  const [R, T, PA, RB, PD, OFF] = [5, 6, 7, 8, 9, 10];
  const [A, B, X, D, SAB, SCD] = [11, 12, 13, 14, 15, 16];
  const load = (row: number, into: number) => [
    ...[...get(PA), ...get(OFF), ...ADD],
    ...(row === 0 ? [] : [...get(RB), ...i32(row), ...MUL, ...ADD]),
    ...v128Load(0),
    ...set(into),
  ];
  const pairSums = (a: number, b: number) => [
    ...[...get(a), ...get(b), ...shuffle32([0, 2, 4, 6])],
    ...[...get(a), ...get(b), ...shuffle32([1, 3, 5, 7])],
    ...F32X4_ADD,
  ];
  // dst row t starts at dst + t rows 4; this block's 4 values at + r 4
  const store = (t: number[], lanes: number[]) => [
    ...[...get(PD), ...t, ...get(ROWS), ...MUL, ...i32(4), ...MUL, ...ADD],
    ...[...get(SAB), ...get(SCD), ...shuffle32(lanes), ...v128Store(0)],
  ];
  const block = [
    ...[...get(T), ...i32(8), ...MUL, ...set(OFF)], // samples 2t .. 2t + 3
    ...load(0, A),
    ...load(1, B),
    ...load(2, X),
    ...load(3, D),
    ...meanOf(pairSums(A, B)),
    ...set(SAB),
    ...meanOf(pairSums(X, D)),
    ...set(SCD),
    ...store(get(T), [0, 2, 4, 6]),
    ...store([...get(T), ...i32(1), ...ADD], [1, 3, 5, 7]),
  ];
  const rows = countedLoop(R, get(ROWS), 4, [
    ...[...get(SRC), ...get(R), ...get(RB), ...MUL, ...ADD, ...set(PA)],
    ...[...get(DST), ...get(R), ...i32(4), ...MUL, ...ADD, ...set(PD)],
    ...countedLoop(T, get(OUT), 2, block),
  ]);
  return [
    ...vec([[...uleb(6), I32], [...uleb(6), V128]]),
    ...[...get(COLS), ...i32(4), ...MUL, ...set(RB)],
    ...rows,
    ...END,
  ];
}

/** The module's bytes: imports `env.memory`, exports `pairMean` and `pairMeanTransposed`. */
export function pairMeanBytes(): Uint8Array {
  return moduleBytes([
    { name: "pairMean", nParams: 4, code: pairMeanCode() },
    { name: "pairMeanTransposed", nParams: 5, code: pairMeanTransposedCode() },
  ]);
}

const pairMeanKernel: (memory: WebAssembly.Memory) => {
  pairMean(src: number, dst: number, pairs: number, rowBytes: number): void;
  pairMeanTransposed(src: number, dst: number, rows: number, cols: number, outCols: number): void;
} = instancePerMemory(() => new WebAssembly.Module(pairMeanBytes() as BufferSource));

/** One mean as the SIMD passes compute it (float32 operations emulated in float64, each rounded once). */
function pairMeanScalar(a: number, b: number): number {
  const mean = Math.fround(Math.fround(a + b) + 0) * 0.5; // halving is exact, or rounded once below
  const rounded = Math.fround(mean);
  return Number.isNaN(rounded) ? -Infinity : rounded;
}

/**
 * Kernel config for `AvgPool` that pools pairs of rows itself (float32 `[n, h, w, c]`, filter `[2, 1]`,
 * strides `[2, 1]`, no padding, `w c` a multiple of 4) and passes everything else to `stock`.
 *
 * @param stock the stock wasm `AvgPool` kernel config
 * @returns the replacement config
 */
export function pairAvgPoolConfig(stock: tf.KernelConfig): tf.KernelConfig {
  function avgPool(args: KernelArgs): tf.TensorInfo {
    const backend = args.backend as WasmHeapInternals;
    const x = args.inputs.x as tf.TensorInfo;
    const { filterSize, strides, pad, dimRoundingMode } = args.attrs as unknown as tf.AvgPoolAttrs;
    const info = x.shape.length === 4 && x.dtype === "float32"
      ? tf.backend_util.computePool2DInfo(
        x.shape as [number, number, number, number],
        filterSize,
        strides,
        1,
        pad,
        dimRoundingMode,
      )
      : null;
    const memory = pairPool && info !== null ? heapMemory(backend) : null;
    const [n, h, w, c] = x.shape;
    const { top, bottom, left, right } = info?.padInfo ?? { top: 1, bottom: 1, left: 1, right: 1 };
    if (
      memory === null || info === null || info.filterHeight !== 2 || info.filterWidth !== 1 ||
      info.strideHeight !== 2 || info.strideWidth !== 1 || top + bottom + left + right !== 0 ||
      info.dilationHeight !== 1 || info.dilationWidth !== 1 || (w * c) % 4 !== 0 || h < 2
    ) {
      return stock.kernelFunc(args as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
    }
    const out = backend.makeOutput(info.outShape, "float32");
    const outH = info.outShape[1];
    const lazy = w === 1 && c % 4 === 0 ? lazyTransposeOf(backend, x.dataId) : null;
    if (lazy !== null && lazy.batch === n && lazy.rows === c && lazy.cols === h) {
      // x is a deferred transpose of [n, c, h] (gru's time_major): pool its input's column pairs instead
      const [src, dst] = [heapByteOffset(backend, lazy.source), heapByteOffset(backend, out)];
      const kernel = pairMeanKernel(memory);
      const even = outH - (outH % 2);
      const heap = backend.wasm.HEAPF32;
      for (let image = 0; image < n; image++) {
        const [from, to] = [src + 4 * image * c * h, dst + 4 * image * outH * c];
        if (even > 0) kernel.pairMeanTransposed(from, to, c, h, even);
        for (let t = even; t < outH; t++) {
          for (let r = 0; r < c; r++) {
            const at = (from >> 2) + r * h + 2 * t;
            heap[(to >> 2) + t * c + r] = pairMeanScalar(heap[at], heap[at + 1]);
          }
        }
      }
      computed++;
      fusedComputed++;
      return out;
    }
    const [src, dst] = [heapByteOffset(backend, x), heapByteOffset(backend, out)];
    const row = 4 * w * c;
    const kernel = pairMeanKernel(memory);
    for (let image = 0; image < n; image++) kernel.pairMean(src + image * h * row, dst + image * outH * row, outH, row);
    computed++;
    return out;
  }
  return { ...stock, kernelName: tf.AvgPool, backendName: WASM, kernelFunc: avgPool as unknown as tf.KernelFunc };
}
