/**
 * A batch of matrix transposes of 4-byte values (float32, int32) as a WebAssembly SIMD loop over
 * the tfjs `wasm` backend's heap, assembled at load time (`core/_wasm_asm.ts`): blocks of 4 x 4
 * values, four `v128` loads from four consecutive rows, eight `i8x16.shuffle`s, four `v128`
 * stores into four consecutive output rows. The loop takes four input columns at a time and walks
 * down the rows, so four output rows are written in order, 16 bytes at a time, and the input is
 * read with the constant stride of a row (its lines stay in the cache for the next four columns).
 * Walking four input rows left to right instead (four read streams, every output row written at
 * once) was slower than the stock kernel on gru's `[32, 248, 250]` (2.2 against 1.8 ms). A copy: the bits of every value are moved unchanged (no float arithmetic, so
 * NaN payloads and `-0` too).
 *
 * Why: the stock kernel walks the output in order and reads the input with the stride of a row
 * (~0.9 ns per value for gru's and tsa's `[32, 248, 250]` input windows on this machine), and
 * `transpose.ts`'s JavaScript tiles copy one value per step.
 *
 * @module
 */
import {
  ADD,
  countedLoop,
  END,
  get,
  I32,
  i32,
  instancePerMemory,
  moduleBytes,
  MUL,
  set,
  transposeBlock4,
  uleb,
  V128,
  v128Load,
  v128Store,
  vec,
} from "../../core/_wasm_asm.ts";

/**
 * `transpose4(src, dst, rows, cols, rows4, cols4)`: for the row-major `[rows, cols]` matrix at byte
 * offset `src`, writes `dst[c][r] = src[r][c]` (`dst` row-major `[cols, rows]`) for `r < rows4`,
 * `c < cols4`, both multiples of 4; the caller copies the rest.
 */
function transpose4Code(): number[] {
  const [SRC, DST, ROWS, COLS, R4, C4] = [0, 1, 2, 3, 4, 5];
  const [R, C, PS, PD, RS, RS2, RS3, CS, CS2, CS3] = [6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
  const [A, B, X, D, T0, T1, T2, T3] = [16, 17, 18, 19, 20, 21, 22, 23];
  const times = (local: number, n: number, into: number) => [...get(local), ...i32(n), ...MUL, ...set(into)];
  const block = transposeBlock4(PS, [null, RS, RS2, RS3], PD, [null, CS, CS2, CS3], [A, B, X, D], [T0, T1, T2, T3]);
  // outer: 4 input columns (4 output rows, written in order); inner: 4 input rows at a time
  const rowBlocks = countedLoop(R, get(R4), 4, [
    ...block,
    ...[...get(PS), ...get(RS), ...i32(4), ...MUL, ...ADD, ...set(PS)],
    ...[...get(PD), ...i32(16), ...ADD, ...set(PD)],
  ]);
  const columnBlocks = countedLoop(C, get(C4), 4, [
    ...[...get(SRC), ...get(C), ...i32(4), ...MUL, ...ADD, ...set(PS)],
    ...[...get(DST), ...get(C), ...get(CS), ...MUL, ...ADD, ...set(PD)],
    ...rowBlocks,
  ]);
  const body = [
    ...times(COLS, 4, RS),
    ...times(COLS, 8, RS2),
    ...times(COLS, 12, RS3),
    ...times(ROWS, 4, CS),
    ...times(ROWS, 8, CS2),
    ...times(ROWS, 12, CS3),
    ...columnBlocks,
  ];
  return [...vec([[...uleb(10), I32], [...uleb(8), V128]]), ...body, ...END];
}

/**
 * `transposeBlocks(src, dst, batch, rows, cols, blockBytes)`: `batch` row-major `[rows, cols]` matrices
 * whose elements are blocks of `blockBytes` bytes (a positive multiple of 16) into `[cols, rows]`
 * matrices of the same blocks: `dst[e][c][r] = src[e][r][c]`, each block copied by `v128` loads and
 * stores. The input is read in order; each block is written whole (a cache line for 16 floats).
 */
function transposeBlocksCode(): number[] {
  const [SRC, DST, BATCH, ROWS, COLS, DB] = [0, 1, 2, 3, 4, 5];
  const [E, R, C, PS, PD, V, COLSTEP, PDROW] = [6, 7, 8, 9, 10, 11, 12, 13];
  const copyBlock = countedLoop(V, get(DB), 16, [
    ...[...get(PD), ...get(V), ...ADD, ...get(PS), ...get(V), ...ADD, ...v128Load(0), ...v128Store(0)],
  ]);
  const columns = countedLoop(C, get(COLS), 1, [
    ...copyBlock,
    ...[...get(PS), ...get(DB), ...ADD, ...set(PS)],
    ...[...get(PD), ...get(COLSTEP), ...ADD, ...set(PD)],
  ]);
  const rowsLoop = countedLoop(R, get(ROWS), 1, [
    ...[...get(PDROW), ...get(R), ...get(DB), ...MUL, ...ADD, ...set(PD)],
    ...columns,
  ]);
  const matrices = countedLoop(E, get(BATCH), 1, [
    ...[...get(DST), ...get(E), ...get(ROWS), ...MUL, ...get(COLS), ...MUL, ...get(DB), ...MUL, ...ADD, ...set(PDROW)],
    ...rowsLoop,
  ]);
  const body = [
    ...[...get(SRC), ...set(PS)], // the input is read in order, matrix after matrix
    ...[...get(ROWS), ...get(DB), ...MUL, ...set(COLSTEP)],
    ...matrices,
  ];
  return [...vec([[...uleb(8), I32]]), ...body, ...END];
}

/** The module's bytes: imports `env.memory`, exports `transpose4` and `transposeBlocks`. */
export function transposeBytes(): Uint8Array {
  return moduleBytes([
    { name: "transpose4", nParams: 6, code: transpose4Code() },
    { name: "transposeBlocks", nParams: 6, code: transposeBlocksCode() },
  ]);
}

/** The loops (byte offsets; `rows4 <= rows` and `cols4 <= cols` multiples of 4; `blockBytes` of 16). */
export interface TransposeFunctions {
  transpose4(src: number, dst: number, rows: number, cols: number, rows4: number, cols4: number): void;
  transposeBlocks(src: number, dst: number, batch: number, rows: number, cols: number, blockBytes: number): void;
}

/** The kernel working on `memory` (one instance per memory). */
export const transposeKernel: (memory: WebAssembly.Memory) => TransposeFunctions = instancePerMemory(() =>
  new WebAssembly.Module(transposeBytes() as BufferSource)
);

/**
 * Transposes `batch` row-major `[rows, cols]` matrices of 4-byte values at element offset `src`
 * of `heap` (a view of `memory`) into `[cols, rows]` matrices at element offset `dst`: the 4 x 4
 * blocks by {@linkcode transposeKernel}, the last `rows % 4` rows and `cols % 4` columns by
 * JavaScript.
 *
 * @param memory The memory both matrices lie in.
 * @param heap An `Int32Array` view of `memory` (taken after any growth): integers, so that the values
 * copied by JavaScript keep their bits (a float32 view would quiet signalling NaNs).
 * @param src Element offset of the first input matrix.
 * @param dst Element offset of the first output matrix (not overlapping the input).
 * @param batch Matrices.
 * @param rows Rows of each input matrix.
 * @param cols Columns of each input matrix.
 */
export function transposeInHeap(
  memory: WebAssembly.Memory,
  heap: Int32Array,
  src: number,
  dst: number,
  batch: number,
  rows: number,
  cols: number,
): void {
  const rows4 = rows - (rows % 4), cols4 = cols - (cols % 4);
  const kernel = transposeKernel(memory);
  const size = rows * cols;
  for (let e = 0; e < batch; e++) {
    const s = src + e * size, d = dst + e * size;
    if (rows4 > 0 && cols4 > 0) kernel.transpose4(4 * s, 4 * d, rows, cols, rows4, cols4);
    for (let r = 0; r < rows4; r++) {
      for (let c = cols4; c < cols; c++) heap[d + c * rows + r] = heap[s + r * cols + c];
    }
    for (let r = rows4; r < rows; r++) {
      for (let c = 0; c < cols; c++) heap[d + c * rows + r] = heap[s + r * cols + c];
    }
  }
}
