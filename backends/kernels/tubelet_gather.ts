/**
 * `MegflowTubelets`, a kernel for the tfjs `wasm` backend: the non-overlapping tubelets of
 * `x [batch, nTimes, rows, cols]` (`tubelet [t, h, w]`) as the rows of
 * `[batch * nGroups * nRows * nCols, h * w * t]`, each row in the order `(h, w, t)` (time fastest),
 * in one pass over the heap: a WebAssembly loop per `(group, tubelet row, cell row)` (assembled
 * at load time, `core/_wasm_asm.ts`). `TubeletEmbedding` built the same rows with two reshape and
 * transpose pairs (two passes over the `[32, 250, 20, 20]` input); the values are the same, bit
 * for bit (a copy). `MegflowTubeletsGrad` puts a gradient of those rows back in `x`'s layout (the
 * inverse copy). Registered by `registerWasmTrainingKernels`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import {
  ADD,
  brIf,
  END,
  f32Load,
  f32Store,
  get,
  GT_S,
  I32,
  i32,
  instancePerMemory,
  LOOP,
  moduleBytes,
  MUL,
  set,
  SUB,
  tee,
  uleb,
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
 * `block(frames, rows, nC, w, t, frameBytes, blockBytes)`: for `iC < nC`, `ww < w`, `tt < t`, the
 * value at `frames + tt frameBytes + (iC w + ww) 4` and the one at `rows + iC blockBytes +
 * (ww t + tt) 4` are copied one onto the other: to the rows (`gather`) or back (`scatter`).
 */
function blockCode(gather: boolean): number[] {
  const [FRAMES, ROWS, NC, W, T, FRAME, BLOCK] = [0, 1, 2, 3, 4, 5, 6];
  const [IC, WW, TT, SRC, DST, COL] = [7, 8, 9, 10, 11, 12];
  const [from, to] = gather ? [SRC, DST] : [DST, SRC];
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

/** The copy of one `(group, tubelet row, cell row)` block; see `blockCode`. */
type BlockFunction = (
  frames: number,
  rows: number,
  nC: number,
  w: number,
  t: number,
  frameBytes: number,
  blockBytes: number,
) => void;

const blockKernels = instancePerMemory<{ gather: BlockFunction; scatter: BlockFunction }>(() =>
  new WebAssembly.Module(
    moduleBytes([
      { name: "gather", nParams: 7, code: blockCode(true) },
      { name: "scatter", nParams: 7, code: blockCode(false) },
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
    eachBlock(blockKernels(memory).gather, heapByteOffset(backend, x), heapByteOffset(backend, out), grid);
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
