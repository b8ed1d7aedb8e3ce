/**
 * `Transpose` for the tfjs `wasm` backend: a cache-blocked copy when the permutation swaps
 * the last two axes (a batch of matrix transposes), the stock kernel otherwise.
 *
 * Why it exists: the stock wasm kernel walks the output in order and reads the input with the
 * stride of a whole row, a cache miss per element once rows are long. The gradient of every
 * dense layer whose input is big asks for such a transpose (`x^T @ dy`, see
 * `batch_mat_mul.ts`): for ViViT's tubelet projection (`[1280, 2500]`, one row per token) it
 * took longer than the product itself. Copying 32 x 32 tiles keeps both sides in cache.
 *
 * A tall, narrow matrix (at least {@linkcode MIN_STREAM_VALUES} values, at most
 * {@linkcode MAX_STREAM_COLS} columns) is copied row by row instead: the input is read in order
 * and the output written as `cols` sequential streams. The stock kernel sweeps the whole input
 * once per column there: cascade's first frame-convolution weight gradient transposes
 * `[38400, 40]`, 9.8 ms stock against 4.6 ms streamed (CPU time, loaded machine); below a few MB
 * the stock kernel stays ahead (`[4000, 64]` 0.45 against 0.66 ms).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { WASM } from "./_wasm_ops.ts";
import { heapMemory } from "./_heap_kernel.ts";
import { transposeInHeap, transposeKernel } from "./_transpose_wasm.ts";
import { deferInPlace, isDeferred } from "../../core/_deferred.ts";

/** Whether large batches of matrix transposes are deferred (see {@linkcode setLazyTranspose}). */
let lazyTranspose = true;
/** The input and sizes of each deferred transpose, by the output's data. */
const lazyTransposes = new WeakMap<object, LazyTranspose>();
/** Fewest values of a deferred transpose. */
export const MIN_LAZY_VALUES = 1 << 20;
/**
 * Fewest values of a deferred transpose of narrow matrices (at most {@linkcode MAX_LAZY_NARROW_COLS} columns):
 * vivit's `[32, 5, 400, 8]` cell filter outputs before its spatial filters (`filter_maps`), whose product and
 * weight gradient read them in place.
 */
export const MIN_LAZY_NARROW_VALUES = 1 << 18;
/** Most columns of the matrices of a narrow deferred transpose. */
export const MAX_LAZY_NARROW_COLS = 8;

/** A deferred transpose: `source`, `batch` row-major `[rows, cols]` float32 matrices, to be transposed. */
export interface LazyTranspose {
  /** The input (kept alive until the transpose is computed or dropped). */
  source: tf.TensorInfo;
  /** Matrices. */
  batch: number;
  /** Rows of each input matrix. */
  rows: number;
  /** Columns of each input matrix. */
  cols: number;
}

/**
 * A batch of float32 matrix transposes (the last two axes swapped, rank 3 or more, at least
 * {@linkcode MIN_LAZY_VALUES} values: gru's and tsa's `[32, 248, 250]` input windows, vivit_cross's
 * `[32, 5, 50, 400]` time groups before its cell filters; or of matrices at most {@linkcode MAX_LAZY_NARROW_COLS}
 * wide and at least {@linkcode MIN_LAZY_NARROW_VALUES} values: vivit's `[32, 5, 400, 8]` cell filter outputs
 * before its spatial filters) is deferred (`core/_deferred.ts`): its output
 * is computed by the copy that would have run (the stock kernel's code, the SIMD blocks or the
 * JavaScript tiles) when first read, and a reshape of it (which shares the data) does not read it.
 * Until then, a kernel that can compute its own output from the untransposed input asks
 * {@linkcode lazyTransposeOf} and skips the transpose: `avg_pool.ts` pools gru's `time_major` windows
 * straight from the input, and `gemm_mat_mul.ts`'s products `a b` and `a^T b` read vivit_cross's
 * frames in place (the transposed copy is then dropped, never computed). Every value is what the copy
 * writes, whenever it is computed. `false` computes at once, as before.
 *
 * Kept although only tests and benchmarks turn it off: `false` removes no code path of its own, it
 * only sends these transposes to the immediate copy that every transpose under
 * {@linkcode MIN_LAZY_VALUES} values, of rank 2 or of int32 runs in production anyway (the tests
 * compare deferred against immediate; the benchmarks alternate the two).
 *
 * @param on Defer (the default).
 * @returns The previous setting.
 * @example
 * ```ts
 * import { setLazyTranspose } from "./transpose.ts";
 *
 * const previous = setLazyTranspose(false);
 * setLazyTranspose(previous);
 * ```
 */
export function setLazyTranspose(on: boolean): boolean {
  const previous = lazyTranspose;
  lazyTranspose = on;
  return previous;
}

/**
 * The deferred transpose whose output is `dataId` (or a reshape of it), while nothing has read it;
 * else null. Asking computes nothing.
 *
 * @param backend The wasm backend.
 * @param dataId The data of the tensor a kernel is about to read.
 * @returns The transpose's input and sizes, or null.
 */
export function lazyTransposeOf(backend: tf.KernelBackend, dataId: object): LazyTranspose | null {
  const lazy = lazyTransposes.get(dataId);
  return lazy !== undefined && isDeferred(backend, dataId) ? lazy : null;
}

/** The stock kernel's transpose function over tensor ids (tfjs-backend-wasm 4.22's `Transpose` export). */
type StockTranspose = (
  xId: number,
  shape: Uint8Array,
  rank: number,
  dtype: number,
  outId: number,
  perm: Uint8Array,
  permLength: number,
) => void;
const stockTransposes = new WeakMap<object, StockTranspose | null>();

/** The stock transpose function of `backend`'s module, or null where it cannot be found. */
function stockTransposeOf(backend: tf.KernelBackend): StockTranspose | null {
  let found = stockTransposes.get(backend);
  if (found === undefined) {
    const wasm = (backend as { wasm?: { cwrap?: (...args: unknown[]) => unknown } }).wasm;
    found = typeof wasm?.cwrap === "function"
      ? wasm.cwrap(tf.Transpose, null, [
        "number",
        "array",
        "number",
        "number",
        "number",
        "array",
        "number",
      ]) as StockTranspose
      : null;
    stockTransposes.set(backend, found);
  }
  return found;
}

/**
 * The output of `x` with its last two axes swapped, deferred: `fill` (default: the stock kernel's
 * function) writes it when it is first read. Null where this cannot defer it.
 */
function deferredTranspose(
  backend: WasmHeapBackend,
  x: tf.TensorInfo,
  perm: number[],
  fill?: (target: tf.TensorInfo) => void,
): tf.TensorInfo | null {
  const rank = x.shape.length;
  const [rows, cols] = x.shape.slice(-2);
  const batch = x.shape.slice(0, -2).reduce((a, b) => a * b, 1);
  const stock = fill === undefined ? stockTransposeOf(backend) : null;
  const ids = (backend as unknown as { dataIdMap?: { get(id: object): { id: number } } }).dataIdMap;
  if ((fill === undefined && stock === null) || ids === undefined || batch === 1 || rows === 1 || cols === 1) {
    return null;
  }
  const out = backend.makeOutput(perm.map((axis) => x.shape[axis]), "float32");
  const bytes = (values: number[]) => new Uint8Array(Int32Array.from(values).buffer);
  deferInPlace(
    backend,
    out,
    [x],
    fill ?? ((target) => {
      stock!(ids.get(x.dataId).id, bytes(x.shape), rank, 0, ids.get(target.dataId).id, bytes(perm), rank);
    }),
    () => {},
    true,
  );
  lazyTransposes.set(out.dataId, { source: x, batch, rows, cols });
  lazyTransposeCount++;
  return out;
}

let lazyTransposeCount = 0;

/** How many transposes were deferred since the process started (tests). */
export function deferredTransposeCount(): number {
  return lazyTransposeCount;
}

/** Computes the transpose of a pending output from that output's own inputs, or returns null. */
export type PendingTransposer = (backend: tf.KernelBackend, x: tf.TensorInfo) => tf.TensorInfo | null;

const pendingTransposers: PendingTransposer[] = [];

/**
 * Adds a kernel's way to write the transpose (of the last two axes) of one of its pending outputs without
 * computing that output: `gemm_mat_mul.ts` writes the transpose of a deferred `a b^T` product as the product
 * `b a^T` block by block (vivit's spatial filters' input gradient, transposed back to the cell filter outputs'
 * layout). Tried, in order, before the copy.
 *
 * @param transposer Returns the transposed output, or null where it cannot.
 */
export function addPendingTransposer(transposer: PendingTransposer): void {
  pendingTransposers.push(transposer);
}

/** Whether 4-byte matrices go to the SIMD copy (see {@linkcode setSimdTranspose}). */
let simdTranspose = true;
/** Transposes the SIMD copy made since the process started (tests). */
let simdTransposes = 0;

/**
 * Batched matrix transposes of float32 and int32 values whose sides are at least 4 run as
 * WebAssembly SIMD 4 x 4 block copies (`_transpose_wasm.ts`) on the heap, whatever their size: gru's
 * and tsa's `[32, 248, 250]` input windows (stock kernel before, each side under {@linkcode MIN_SIDE}),
 * tsa's `[32, 250, 32]` and `[32, 32, 250]`. `false` restores the choice between the JavaScript tiles,
 * the row streams and the stock kernel. A copy either way: the same bits.
 *
 * Kept although only tests turn it off: the paths it forces are not dead code. The JavaScript tiles
 * and row streams still copy the large bool matrices, those with a side under 4 (`[2^20, 3]`) and
 * those where the heap memory cannot be imported (shared memory); the stock kernel runs every
 * permutation and shape that `simdPlan` and the copies leave out.
 *
 * @param on Use the SIMD copy (the default).
 * @returns The previous setting.
 * @example
 * ```ts
 * import { setSimdTranspose } from "./transpose.ts";
 *
 * const previous = setSimdTranspose(false);
 * setSimdTranspose(previous);
 * ```
 */
export function setSimdTranspose(on: boolean): boolean {
  const previous = simdTranspose;
  simdTranspose = on;
  return previous;
}

/** How many transposes the SIMD copy made since the process started (tests). */
export function simdTransposeCount(): number {
  return simdTransposes;
}

/** Side of the square tiles copied at once. */
const TILE = 32;
/**
 * Matrices with a side shorter than this go to the stock kernel: its compiled loop wins while
 * the strided reads still hit the cache (measured: `[320, 25, 400]` 90 ms stock against 110-250
 * ms tiled; `[1280, 2500]` 370-470 ms stock against 160-200 ms tiled, on a loaded machine).
 */
const MIN_SIDE = 256;
/** Most columns of a matrix copied row by row (see the module notes). */
export const MAX_STREAM_COLS = 64;
/** Fewest values of a matrix copied row by row. */
export const MIN_STREAM_VALUES = 1 << 20;

/** The heap-access part of the wasm backend that this kernel uses. */
interface WasmHeapBackend extends tf.KernelBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/** Whether `perm` keeps the leading axes in place and swaps the last two. */
function swapsLastTwo(perm: number[]): boolean {
  const rank = perm.length;
  if (rank < 2 || perm[rank - 2] !== rank - 1 || perm[rank - 1] !== rank - 2) return false;
  for (let i = 0; i < rank - 2; i++) if (perm[i] !== i) return false;
  return true;
}

/**
 * Transposes `batch` row-major `[rows, cols]` matrices of `src` into `dst` (`[cols, rows]`
 * each), tile by tile (`tileRows` x `tileCols`, default 32 x 32).
 */
export function transposeBlocked(
  src: Float32Array | Int32Array | Uint8Array,
  dst: Float32Array | Int32Array | Uint8Array,
  batch: number,
  rows: number,
  cols: number,
  tileRows = TILE,
  tileCols = TILE,
): void {
  const size = rows * cols;
  for (let e = 0; e < batch; e++) {
    const off = e * size;
    for (let r0 = 0; r0 < rows; r0 += tileRows) {
      const r1 = Math.min(r0 + tileRows, rows);
      for (let c0 = 0; c0 < cols; c0 += tileCols) {
        const c1 = Math.min(c0 + tileCols, cols);
        for (let r = r0; r < r1; r++) {
          const s = off + r * cols;
          for (let c = c0; c < c1; c++) dst[off + c * rows + r] = src[s + c];
        }
      }
    }
  }
}

/**
 * Transposes `batch` row-major `[rows, cols]` matrices of `src` into `dst` (`[cols, rows]`
 * each) reading `src` in order (one tile per matrix): for tall matrices with few columns.
 */
export function transposeStreamed(
  src: Float32Array | Int32Array | Uint8Array,
  dst: Float32Array | Int32Array | Uint8Array,
  batch: number,
  rows: number,
  cols: number,
): void {
  transposeBlocked(src, dst, batch, rows, cols, Math.max(rows, 1), Math.max(cols, 1));
}

/**
 * `perm` as the swap of two adjacent groups of axes, `[0 .. i-1, j .. k-1, i .. j-1, k .. rank-1]`
 * (`i < j < k`): a batch (axes before `i`) of `[rows, cols]` matrices (axes `i .. j-1` and `j .. k-1`)
 * whose elements are blocks of `inner` values (axes from `k` on), to be transposed. Head splits and
 * merges of attention (`[0, 2, 1, 3]`), tsa's router transposes (`[2, 0, 1, 3]`, `[1, 2, 0, 3]`) and
 * last-two swaps (`inner` 1) are such swaps; null for the identity and other permutations.
 *
 * @param shape The input's shape.
 * @param perm The permutation.
 * @returns Batch, rows, columns and block size, or null.
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { groupSwap } from "./transpose.ts";
 *
 * assertEquals(groupSwap([32, 32, 20, 16], [2, 0, 1, 3]), { batch: 1, rows: 1024, cols: 20, inner: 16 });
 * assertEquals(groupSwap([32, 248, 250], [0, 2, 1]), { batch: 32, rows: 248, cols: 250, inner: 1 });
 * assertEquals(groupSwap([4, 5, 6], [2, 1, 0]), null);
 * ```
 */
export function groupSwap(
  shape: readonly number[],
  perm: readonly number[],
): { batch: number; rows: number; cols: number; inner: number } | null {
  const rank = perm.length;
  let i = 0;
  while (i < rank && perm[i] === i) i++;
  if (i === rank) return null;
  const j = perm[i];
  let p = i, k = j;
  while (p < rank && perm[p] === k) [p, k] = [p + 1, k + 1];
  if (j <= i) return null;
  for (let axis = i; axis < j; axis++, p++) if (perm[p] !== axis) return null;
  for (let axis = k; axis < rank; axis++, p++) if (perm[p] !== axis) return null;
  const size = (from: number, to: number) => shape.slice(from, to).reduce((a, b) => a * b, 1);
  return { batch: size(0, i), rows: size(i, j), cols: size(j, k), inner: size(k, rank) };
}

/** Fewest values above which a last-two swap of matrices with both sides under `MIN_SIDE` stays stock. */
export const MAX_SIMD_SMALL_VALUES = 1 << 19;

/**
 * The SIMD copy for `perm` of `shape`, or null where the other paths are as fast: a group swap whose
 * blocks are a multiple of 4 values (one `v128` at a time), or of single values in matrices with both
 * sides at least 4 (and multiples of 4, or at least 4096 values: else their edges, copied by
 * JavaScript, cost more than the stock kernel saves) that either the JavaScript tiles or rows would
 * copy (large: 2.5-5x faster) or that hold at most {@linkcode MAX_SIMD_SMALL_VALUES} values in all. Batches of mid-size matrices beyond
 * that (gru's and tsa's `[32, 248, 250]`) stay with the stock kernel, which was faster there (1.5-1.8
 * against 2.2-2.4 ms, CPU time, loaded machine).
 */
function simdPlan(shape: readonly number[], perm: readonly number[]) {
  const plan = groupSwap(shape, perm);
  if (plan === null) return null;
  const { batch, rows, cols, inner } = plan;
  if (inner % 4 === 0) return plan;
  if (inner !== 1 || rows < 4 || cols < 4) return null;
  // many small matrices with ragged sides: their edges, copied by JavaScript, cost more than the stock kernel
  if ((rows % 4 !== 0 || cols % 4 !== 0) && rows * cols < 4096) return null;
  return copyFor(rows, cols) !== null || batch * rows * cols <= MAX_SIMD_SMALL_VALUES ? plan : null;
}

/** Which copy suits a `[rows, cols]` matrix: tiles, row-by-row streams, or the stock kernel. */
function copyFor(rows: number, cols: number): typeof transposeBlocked | null {
  if (rows >= MIN_SIDE && cols >= MIN_SIDE) return transposeBlocked;
  if (cols <= MAX_STREAM_COLS && rows * cols >= MIN_STREAM_VALUES) return transposeStreamed;
  return null;
}

/**
 * Kernel config for `Transpose` that copies tiles (or rows, for tall narrow matrices) for batched
 * matrix transposes, falling back to `stock` for other permutations, small matrices and
 * non-numeric dtypes.
 *
 * @param stock the stock wasm `Transpose` kernel config
 * @returns the replacement config
 */
export function fastTransposeConfig(stock: tf.KernelConfig): tf.KernelConfig {
  function transpose(args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap }) {
    const x = args.inputs.x as tf.TensorInfo;
    const perm = (args.attrs as unknown as tf.TransposeAttrs).perm;
    const backend = args.backend as WasmHeapBackend;
    const rank = x.shape.length;
    if (
      rank < 2 || x.dtype === "string" || x.dtype === "complex64" || typeof backend.typedArrayFromHeap !== "function"
    ) {
      return stock.kernelFunc(args as Parameters<tf.KernelFunc>[0]);
    }
    if (x.dtype === "float32" && rank >= 3 && swapsLastTwo(perm)) {
      for (const transposer of pendingTransposers) {
        const out = transposer(backend, x);
        if (out !== null) return out;
      }
    }
    const simd = simdTranspose && (x.dtype === "float32" || x.dtype === "int32") ? simdPlan(x.shape, perm) : null;
    const memory = simd === null ? null : heapMemory(backend);
    const rows = x.shape[rank - 2];
    const cols = x.shape[rank - 1];
    const copy = swapsLastTwo(perm) ? copyFor(rows, cols) : null;
    const size = tf.util.sizeFromShape(x.shape);
    const lazy = lazyTranspose && x.dtype === "float32" && rank >= 3 && swapsLastTwo(perm) &&
      (size >= MIN_LAZY_VALUES || (cols <= MAX_LAZY_NARROW_COLS && size >= MIN_LAZY_NARROW_VALUES));
    if (memory === null && copy === null) {
      const deferred = lazy ? deferredTranspose(backend, x, perm) : null;
      return deferred ?? stock.kernelFunc(args as Parameters<tf.KernelFunc>[0]);
    }
    const fill = (out: tf.TensorInfo) => {
      // Views are taken here, after makeOutput: a heap growth there detaches earlier views.
      const [src, dst] = [backend.typedArrayFromHeap(x), backend.typedArrayFromHeap(out)];
      if (memory !== null) {
        const { batch, rows, cols, inner } = simd!;
        const [from, to] = [src.byteOffset, dst.byteOffset];
        if (inner === 1) transposeInHeap(memory, new Int32Array(memory.buffer), from / 4, to / 4, batch, rows, cols);
        else transposeKernel(memory).transposeBlocks(from, to, batch, rows, cols, 4 * inner);
        simdTransposes++;
      } else {
        const batch = x.shape.slice(0, -2).reduce((a, b) => a * b, 1);
        copy!(src, dst, batch, rows, cols);
      }
    };
    const deferred = lazy ? deferredTranspose(backend, x, perm, fill) : null;
    if (deferred !== null) return deferred;
    const out = backend.makeOutput(perm.map((axis) => x.shape[axis]), x.dtype);
    fill(out);
    return out;
  }
  return { ...stock, kernelName: tf.Transpose, backendName: WASM, kernelFunc: transpose as unknown as tf.KernelFunc };
}
