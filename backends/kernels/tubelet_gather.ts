/**
 * `MegflowTubelets`, a kernel for the tfjs `wasm` backend: the non-overlapping tubelets of
 * `x [batch, nTimes, rows, cols]` (`tubelet [t, h, w]`) as the rows of
 * `[batch * nGroups * nRows * nCols, h * w * t]`, each row in the order `(h, w, t)` (time fastest),
 * in one pass over the heap: a WebAssembly loop per `(group, tubelet row, cell row)` (assembled
 * at load time, `core/_wasm_asm.ts`) that transposes each cell's `t x w` values by 4 x 4 SIMD
 * blocks (`[32, 250, 20, 20]`: 3.6-3.8 -> 2.9-3.1 ms of CPU against one value at a time, loaded
 * machine). `TubeletEmbedding` built the same rows with two reshape and transpose pairs (two passes
 * over the `[32, 250, 20, 20]` input); the values are the same, bit for bit (a copy).
 * `MegflowTubeletsGrad` puts a gradient of those rows back in `x`'s layout (the inverse copy, one
 * value at a time). Registered by `registerWasmTrainingKernels`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import {
  ADD,
  AND,
  BLOCK,
  br,
  brIf,
  countedLoop,
  END,
  f32Load,
  f32Store,
  GE_S,
  get,
  GT_S,
  I32,
  i32,
  instancePerMemory,
  LOOP,
  LT_S,
  moduleBytes,
  MUL,
  SELECT,
  set,
  SUB,
  tee,
  transposeBlock4,
  uleb,
  V128,
  vec,
} from "../../core/_wasm_asm.ts";
import { heapByteOffset, heapMemory, type WasmHeapInternals } from "./_heap_kernel.ts";
import { type KernelArgs, WASM } from "./_wasm_ops.ts";

/** The kernel names (the layer side spells them out: `models/` cannot import `backends/`). */
export const TUBELETS_KERNEL = "MegflowTubelets";
export const TUBELETS_GRAD_KERNEL = "MegflowTubeletsGrad";

/** `counter -= 1; if (counter > 0) repeat` (the loop at depth 0). */
const loopWhile = (
  counter: number,
) => [...get(counter), ...i32(1), ...SUB, ...tee(counter), ...i32(0), ...GT_S, ...brIf(0)];

/**
 * `scatter(frames, rows, nC, w, t, frameBytes, blockBytes)`: for `iC < nC`, `ww < w`, `tt < t`, the
 * value at `rows + iC blockBytes + (ww t + tt) 4` is copied to `frames + tt frameBytes + (iC w + ww) 4`
 * (the inverse of `gather4Code`'s copy), one value at a time.
 */
function scatterCode(): number[] {
  const [FRAMES, ROWS, NC, W, T, FRAME, BLOCK] = [0, 1, 2, 3, 4, 5, 6];
  const [IC, WW, TT, SRC, DST, COL] = [7, 8, 9, 10, 11, 12];
  const [from, to] = [DST, SRC];
  const inner = [
    ...[...get(T), ...set(TT)],
    ...LOOP,
    ...[...get(to), ...get(from), ...f32Load(0), ...f32Store(0)],
    ...[...get(SRC), ...get(FRAME), ...ADD, ...set(SRC), ...get(DST), ...i32(4), ...ADD, ...set(DST)],
    ...loopWhile(TT),
    ...END,
  ];
  const cell = [
    // SRC = frames + COL * 4; COL += 1
    ...[...get(FRAMES), ...get(COL), ...i32(4), ...MUL, ...ADD, ...set(SRC)],
    ...[...get(COL), ...i32(1), ...ADD, ...set(COL)],
    ...inner,
  ];
  const body = [
    ...[...i32(0), ...set(COL), ...get(NC), ...set(IC)],
    ...LOOP,
    // DST = rows + (nC - IC) blockBytes (the block of this cell)
    ...[...get(ROWS), ...get(NC), ...get(IC), ...SUB, ...get(BLOCK), ...MUL, ...ADD, ...set(DST)],
    ...[...get(W), ...set(WW)],
    ...LOOP,
    ...cell,
    ...loopWhile(WW),
    ...END,
    ...loopWhile(IC),
    ...END,
  ];
  return [...vec([[...uleb(6), I32]]), ...body, ...END];
}

/**
 * `gather4(frames, rows, nC, w, t, frameBytes, blockBytes)`: what `scatterCode` copies back, by 4 x 4
 * blocks: for each cell `iC` its `t x w` values (`t` frames `frameBytes` apart, `w` columns) are
 * transposed into the cell's `w` rows of `t` values at `rows + iC blockBytes`; four `v128` loads from
 * four frames, eight `i8x16.shuffle`s, four `v128` stores into four rows. The last `t % 4` values of
 * each row and the last `w % 4` rows go one by one. A copy: every value's bits unchanged.
 */
function gather4Code(): number[] {
  const [FRAMES, ROWS, NC, W, T, FRAME, CELL] = [0, 1, 2, 3, 4, 5, 6];
  const [IC, WW, TT, PS, PD, CS, CD, W4, T4, TB, F2, F3, TB2, TB3, START] = Array.from({ length: 15 }, (_, i) => 7 + i);
  const [A, B, X, D, P0, P1, P2, P3] = Array.from({ length: 8 }, (_, i) => 23 + i);
  const block = [
    // PS = CS + TT frameBytes + WW 4; PD = CD + (WW t + TT) 4
    ...[...get(CS), ...get(TT), ...get(FRAME), ...MUL, ...ADD, ...get(WW), ...i32(4), ...MUL, ...ADD, ...set(PS)],
    ...[...get(CD), ...get(WW), ...get(T), ...MUL, ...get(TT), ...ADD, ...i32(4), ...MUL, ...ADD, ...set(PD)],
    ...transposeBlock4(PS, [null, FRAME, F2, F3], PD, [null, TB, TB2, TB3], [A, B, X, D], [P0, P1, P2, P3]),
  ];
  const blocks = countedLoop(WW, get(W4), 4, countedLoop(TT, get(T4), 4, block));
  // one value: rows + ... (WW t + TT) 4 <- CS + TT frameBytes + WW 4
  const single = [
    ...[...get(CD), ...get(WW), ...get(T), ...MUL, ...get(TT), ...ADD, ...i32(4), ...MUL, ...ADD],
    ...[...get(CS), ...get(TT), ...get(FRAME), ...MUL, ...ADD, ...get(WW), ...i32(4), ...MUL, ...ADD],
    ...[...f32Load(0), ...f32Store(0)],
  ];
  // the rest: rows WW < W4 from TT = T4 on, rows WW >= W4 whole
  const rest = countedLoop(WW, get(W), 1, [
    ...[...get(T4), ...i32(0), ...get(WW), ...get(W4), ...LT_S, ...SELECT, ...set(START)],
    ...[...get(START), ...set(TT)],
    ...[...BLOCK, ...LOOP, ...get(TT), ...get(T), ...GE_S, ...brIf(1), ...single],
    ...[...get(TT), ...i32(1), ...ADD, ...set(TT), ...br(0), ...END, ...END],
  ]);
  const cells = countedLoop(IC, get(NC), 1, [
    ...[...get(FRAMES), ...get(IC), ...get(W), ...MUL, ...i32(4), ...MUL, ...ADD, ...set(CS)],
    ...[...get(ROWS), ...get(IC), ...get(CELL), ...MUL, ...ADD, ...set(CD)],
    ...blocks,
    ...rest,
  ]);
  const body = [
    ...[...get(W), ...i32(-4), ...AND, ...set(W4), ...get(T), ...i32(-4), ...AND, ...set(T4)],
    ...[...get(T), ...i32(4), ...MUL, ...tee(TB), ...i32(2), ...MUL, ...set(TB2)],
    ...[...get(TB), ...i32(3), ...MUL, ...set(TB3)],
    ...[...get(FRAME), ...i32(2), ...MUL, ...set(F2), ...get(FRAME), ...i32(3), ...MUL, ...set(F3)],
    ...cells,
  ];
  return [...vec([[...uleb(16), I32], [...uleb(8), V128]]), ...body, ...END];
}

/** The copy of one `(group, tubelet row, cell row)` block; see `gather4Code` and `scatterCode`. */
type BlockFunction = (
  frames: number,
  rows: number,
  nC: number,
  w: number,
  t: number,
  frameBytes: number,
  blockBytes: number,
) => void;

const blockKernels = instancePerMemory<{ gather4: BlockFunction; scatter: BlockFunction }>(() =>
  new WebAssembly.Module(
    moduleBytes([
      { name: "gather4", nParams: 7, code: gather4Code() },
      { name: "scatter", nParams: 7, code: scatterCode() },
    ]) as BufferSource,
  )
);

let computed = 0;

/** How many tubelet kernels (gather or gradient) have run since the process started (tests). */
export function tubeletKernelCount(): number {
  return computed;
}

/** The grid of `[batch, nTimes, rows, cols]` in tubelets `[t, h, w]`, or an error naming what does not divide. */
function gridOf(kernel: string, shape: number[], tubelet: number[]) {
  const [t, h, w] = tubelet;
  const [batch, nTimes, rows, cols] = shape;
  if (shape.length !== 4 || nTimes % t !== 0 || rows % h !== 0 || cols % w !== 0) {
    throw new RangeError(`${kernel}: tubelet [${tubelet}] must divide [nTimes, rows, cols] of [${shape}]`);
  }
  return { batch, t, h, w, rows, cols, groups: nTimes / t, nR: rows / h, nC: cols / w };
}

/** Runs `copy` over every block: frames of `x` at `px`, rows at `pr` (byte offsets). */
function eachBlock(copy: BlockFunction, px: number, pr: number, grid: ReturnType<typeof gridOf>): void {
  const { batch, t, h, w, rows, cols, groups, nR, nC } = grid;
  const frameBytes = 4 * rows * cols, blockBytes = 4 * h * w * t;
  for (let bg = 0; bg < batch * groups; bg++) {
    const frames = px + bg * t * frameBytes;
    for (let iR = 0; iR < nR; iR++) {
      for (let hh = 0; hh < h; hh++) {
        const rowsAt = pr + ((bg * nR + iR) * nC * h * w * t + hh * w * t) * 4;
        copy(frames + (iR * h + hh) * cols * 4, rowsAt, nC, w, t, frameBytes, blockBytes);
      }
    }
  }
}

function tubelets(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as WasmHeapInternals;
  const x = args.inputs.x as tf.TensorInfo;
  const tubelet = args.attrs?.tubelet as number[];
  const grid = gridOf(TUBELETS_KERNEL, x.shape, tubelet);
  const memory = heapMemory(backend);
  if (memory === null || x.dtype !== "float32") {
    throw new Error(`${TUBELETS_KERNEL}: needs a float32 tensor on the heap`);
  }
  const { batch, t, h, w, groups, nR, nC } = grid;
  const out = backend.makeOutput([batch * groups * nR * nC, h * w * t], "float32");
  if (tf.util.sizeFromShape(x.shape) > 0) {
    eachBlock(blockKernels(memory).gather4, heapByteOffset(backend, x), heapByteOffset(backend, out), grid);
  }
  computed++;
  return out;
}

function tubeletsGrad(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as WasmHeapInternals;
  const dy = args.inputs.dy as tf.TensorInfo;
  const { tubelet, xShape } = args.attrs as { tubelet: number[]; xShape: number[] };
  const grid = gridOf(TUBELETS_GRAD_KERNEL, xShape, tubelet);
  const memory = heapMemory(backend);
  if (memory === null || dy.dtype !== "float32") {
    throw new Error(`${TUBELETS_GRAD_KERNEL}: needs a float32 tensor on the heap`);
  }
  const out = backend.makeOutput(xShape, "float32");
  if (tf.util.sizeFromShape(xShape) > 0) {
    eachBlock(blockKernels(memory).scatter, heapByteOffset(backend, out), heapByteOffset(backend, dy), grid);
  }
  computed++;
  return out;
}

/** The two kernel configs for the wasm backend. */
export const TUBELET_CONFIGS: readonly tf.KernelConfig[] = [
  { kernelName: TUBELETS_KERNEL, backendName: WASM, kernelFunc: tubelets as unknown as tf.KernelFunc },
  { kernelName: TUBELETS_GRAD_KERNEL, backendName: WASM, kernelFunc: tubeletsGrad as unknown as tf.KernelFunc },
];

if (tf.getGradient(TUBELETS_KERNEL) === undefined) {
  tf.registerGradient({
    kernelName: TUBELETS_KERNEL,
    inputsToSave: ["x"],
    gradFunc: (dy, saved, attrs) => ({
      x: () =>
        tf.engine().runKernel(TUBELETS_GRAD_KERNEL, { dy: dy as tf.Tensor }, {
          tubelet: attrs.tubelet as number[],
          xShape: saved[0].shape,
        }) as tf.Tensor,
    }),
  });
}
