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
    const rows = x.shape[rank - 2];
    const cols = x.shape[rank - 1];
    const copy = rank >= 2 ? copyFor(rows, cols) : null;
    if (
      x.dtype === "string" || x.dtype === "complex64" || typeof backend.typedArrayFromHeap !== "function" ||
      !swapsLastTwo(perm) || copy === null
    ) {
      return stock.kernelFunc(args as Parameters<tf.KernelFunc>[0]);
    }
    const batch = x.shape.slice(0, -2).reduce((a, b) => a * b, 1);
    const out = backend.makeOutput(perm.map((axis) => x.shape[axis]), x.dtype);
    // Views are taken after makeOutput: a heap growth there detaches earlier views.
    copy(backend.typedArrayFromHeap(x), backend.typedArrayFromHeap(out), batch, rows, cols);
    return out;
  }
  return { ...stock, kernelName: tf.Transpose, backendName: WASM, kernelFunc: transpose as unknown as tf.KernelFunc };
}
