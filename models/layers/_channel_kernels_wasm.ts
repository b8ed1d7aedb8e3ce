/**
 * WebAssembly loops for the fused BatchNorm and the frame-stack gather, run in the wasm
 * backend's heap (no copies of the tensors): per-channel sums, the normalisation, the
 * BatchNorm gradient (in float64 per element, as the JavaScript loops of
 * `_fused_batch_norm.ts`, which cpu runs) and the two-frame gather and scatter of
 * `_frame_stacks.ts`. Assembled at load time with `core/_wasm_asm.ts`; `null` where the
 * backend's memory cannot be imported (the JavaScript loops run then).
 *
 * Channel parameters live in records of {@linkcode RECORD} bytes, one per channel, float64
 * fields at the byte offsets of {@linkcode FIELD}. Element loops walk `n` float32 values whose
 * channel is the index mod `channels` (channels last).
 * Where the channels are even the BatchNorm loops run two channels at a time (`f64x2`, records
 * in pair blocks of {@linkcode PAIR_BLOCK} bytes; {@linkcode channelLayout} picks the loops and
 * the layout): the same float64 operations per channel in the same order, the same bits, about
 * half the BatchNorm time of a spectral step. They run column by column ({@linkcode columnFunction}):
 * each sum in a register over all rows, a few channel pairs side by side, the same additions in the
 * same order (2-3x faster on spectral's `[32, 1240]` than the row-order paired loops, removed in
 * session 20).
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import {
  ADD,
  BLOCK,
  br,
  brIf,
  END,
  f32Load,
  f32Store,
  F32X4_ADD,
  F32X4_DEMOTE_ZERO,
  F32X4_MUL,
  f32x4Const,
  f64Load,
  f64Store,
  F64X2_ADD,
  F64X2_MUL,
  F64X2_PROMOTE_LOW,
  F64X2_SUB,
  GE_S,
  get,
  GT_S,
  I32,
  i32,
  i32Load,
  LOOP,
  moduleBytes,
  MUL,
  SELECT,
  set,
  SHL,
  SHR_U,
  shuffle32,
  simd,
  uleb,
  V128,
  v128Load,
  v128Store,
  vec,
  type WasmFunction,
} from "../../core/_wasm_asm.ts";

/** Bytes per channel record. */
export const RECORD = 96;
/** Byte offsets of a channel record's float64 fields. */
export const FIELD = {
  sum: 0,
  squares: 8,
  mean: 16,
  invStd: 24,
  scale: 32,
  shift: 40,
  sumDy: 48,
  sumDyXhat: 56,
  k: 64,
  meanDy: 72,
  meanDyXhat: 80,
} as const;

const F64_ADD = [0xa0], F64_SUB = [0xa1], F64_MUL = [0xa2];
const F64_PROMOTE = [0xbb], F32_DEMOTE = [0xb6];
const F32_ADD = [0x92], F32_MUL = [0x94];
const EQ = [0x46];
const F32_HALF = [0x43, ...new Uint8Array(new Float32Array([0.5]).buffer)];

/**
 * A loop over `n` elements: `pointers` (byte locals) advance by 4, the record offset `q` by
 * {@linkcode RECORD} and wraps at `channels` records; the loop ends when `pointers[0]` reaches
 * local `end`.
 */
function elementLoop(pointers: number[], end: number, q: number, qEnd: number, body: number[]): number[] {
  return [
    ...BLOCK,
    ...LOOP,
    ...[...get(pointers[0]), ...get(end), ...GE_S, ...brIf(1)],
    ...body,
    ...pointers.flatMap((p) => [...get(p), ...i32(4), ...ADD, ...set(p)]),
    ...[...get(q), ...i32(RECORD), ...ADD, ...set(q)],
    ...[...i32(0), ...get(q), ...get(q), ...get(qEnd), ...EQ, ...SELECT, ...set(q)],
    ...br(0),
    ...END,
    ...END,
  ];
}

/**
 * An element function of parameters `(a, [b, [c,]] n, channels, records)`: `arrays` float32
 * arrays, then the count, channels and the record array; `body(arrays, record)` is given the
 * locals of the arrays' current element pointers and of the current record's address.
 */
function elementFunction(name: string, arrays: number, body: (p: number[], record: number) => number[]): WasmFunction {
  const [N, C, P] = [arrays, arrays + 1, arrays + 2];
  const [END_PTR, Q, Q_END, R] = [arrays + 3, arrays + 4, arrays + 5, arrays + 6];
  const pointers = Array.from({ length: arrays }, (_, i) => i);
  const setup = [
    ...[...get(0), ...get(N), ...i32(4), ...MUL, ...ADD, ...set(END_PTR)],
    ...[...get(C), ...i32(RECORD), ...MUL, ...set(Q_END)],
    ...[...i32(0), ...set(Q)],
  ];
  const record = [...get(P), ...get(Q), ...ADD, ...set(R)];
  const code = [
    ...vec([[...uleb(4), I32]]),
    ...setup,
    ...elementLoop(pointers, END_PTR, Q, Q_END, [...record, ...body(pointers, R)]),
    ...END,
  ];
  return { name, nParams: arrays + 3, code };
}

const x64 = (p: number) => [...get(p), ...f32Load(0), ...F64_PROMOTE];
const field = (r: number, f: number) => [...get(r), ...f64Load(f)];
/** `record.f += value` (value code leaves one f64). */
const accumulate = (r: number, f: number, value: number[]) => [
  ...get(r),
  ...field(r, f),
  ...value,
  ...F64_ADD,
  ...f64Store(f),
];
/** `(x - mean) * invStd` of the element at `p`. */
const xhat = (
  p: number,
  r: number,
) => [...x64(p), ...field(r, FIELD.mean), ...F64_SUB, ...field(r, FIELD.invStd), ...F64_MUL];

/** The BatchNorm functions. */
function batchNormFunctions(): WasmFunction[] {
  return [
    // sums(x, n, channels, records): sum += x
    elementFunction("sums", 1, ([x], r) => accumulate(r, FIELD.sum, x64(x))),
    // squares(x, n, channels, records): squares += (x - mean)^2
    elementFunction("squares", 1, ([x], r) => {
      const d = [...x64(x), ...field(r, FIELD.mean), ...F64_SUB];
      return accumulate(r, FIELD.squares, [...d, ...d, ...F64_MUL]);
    }),
    // normalise(x, y, n, channels, records): y = x * scale + shift
    elementFunction("normalise", 2, ([x, y], r) => [
      ...get(y),
      ...[...x64(x), ...field(r, FIELD.scale), ...F64_MUL, ...field(r, FIELD.shift), ...F64_ADD, ...F32_DEMOTE],
      ...f32Store(0),
    ]),
    // gradientSums(dy, x, n, channels, records): sumDy += dy, sumDyXhat += dy * xhat
    elementFunction("gradientSums", 2, ([dy, x], r) => [
      ...accumulate(r, FIELD.sumDy, x64(dy)),
      ...accumulate(r, FIELD.sumDyXhat, [...x64(dy), ...xhat(x, r), ...F64_MUL]),
    ]),
    // gradient(dy, x, dx, n, channels, records): dx = k (dy - meanDy - xhat meanDyXhat)
    elementFunction("gradient", 3, ([dy, x, dx], r) => [
      ...get(dx),
      ...field(r, FIELD.k),
      ...[...x64(dy), ...field(r, FIELD.meanDy), ...F64_SUB],
      ...[...xhat(x, r), ...field(r, FIELD.meanDyXhat), ...F64_MUL, ...F64_SUB],
      ...[...F64_MUL, ...F32_DEMOTE, ...f32Store(0)],
    ]),
  ];
}

/** Bytes of a pair block: the records of channels `2 p` and `2 p + 1`, each field's two values side by side. */
export const PAIR_BLOCK = 2 * RECORD;

const load64Zero = (offset: number) => simd(0x5d, 3, ...uleb(offset));
const store64Lane0 = (offset: number) => simd(0x5b, 3, ...uleb(offset), 0);

/**
 * The BatchNorm loops two channels at a time (channels even), column by column (`sumsColumns2`, ...
 * `gradientColumns2`): records in pair blocks of {@linkcode PAIR_BLOCK} bytes, field `f` of channels `2 p` and
 * `2 p + 1` as one `f64x2` at `p * PAIR_BLOCK + 2 * f` (`f` a byte offset of {@linkcode FIELD}); parameters as
 * the one-channel functions. Per channel the same float64 operations in the same order as the one-channel
 * loops (rows first to last, each added to the running sum read from the record; `f64x2` arithmetic is IEEE
 * per lane and never fused, promotion is exact and the demotion rounds as `f32.demote_f64`), so the same bits;
 * but with channel pairs outer and rows inner, `group` pairs at a time: each sum stays in a register over all
 * rows instead of a load and a store of its record per element, and the `group` chains of additions run side
 * by side. Pairs left over after the last whole group run one at a time.
 */
function columnFunction(
  name: string,
  arrays: number,
  group: number,
  fields: number[],
  constants: number[],
  body: (
    walk: number[],
    acc: (g: number, f: number) => number,
    k: (g: number, c: number) => number,
    g: number,
  ) => number[],
): WasmFunction {
  const [N, C, P] = [arrays, arrays + 1, arrays + 2];
  const [END_PTR, ROW, COL, R] = [arrays + 3, arrays + 4, arrays + 5, arrays + 6];
  const walk = Array.from({ length: arrays }, (_, i) => arrays + 7 + i);
  const v0 = 2 * arrays + 7; // first v128 local
  const perGroup = fields.length + constants.length;
  const vectors = (g: number) => v0 + g * perGroup;
  const part = (size: number) => {
    const acc = (g: number, f: number) => vectors(g) + fields.indexOf(f);
    const k = (g: number, c: number) => vectors(g) + fields.length + constants.indexOf(c);
    const at = (g: number, f: number) => g * PAIR_BLOCK + 2 * f;
    const groups = Array.from({ length: size }, (_, g) => g);
    return [
      ...BLOCK,
      ...LOOP,
      ...[...get(COL), ...i32(8 * size), ...ADD, ...get(ROW), ...GT_S, ...brIf(1)],
      ...[...get(P), ...get(COL), ...i32(3), ...SHR_U, ...i32(PAIR_BLOCK), ...MUL, ...ADD, ...set(R)],
      ...groups.flatMap((g) => [
        ...fields.flatMap((f) => [...get(R), ...v128Load(at(g, f)), ...set(acc(g, f))]),
        ...constants.flatMap((c) => [...get(R), ...v128Load(at(g, c)), ...set(k(g, c))]),
      ]),
      ...walk.flatMap((w, a) => [...get(a), ...get(COL), ...ADD, ...set(w)]),
      ...BLOCK,
      ...LOOP,
      ...[...get(walk[0]), ...get(END_PTR), ...GE_S, ...brIf(1)],
      ...groups.flatMap((g) => body(walk, acc, k, g)),
      ...walk.flatMap((w) => [...get(w), ...get(ROW), ...ADD, ...set(w)]),
      ...br(0),
      ...END,
      ...END,
      ...groups.flatMap((g) => fields.flatMap((f) => [...get(R), ...get(acc(g, f)), ...v128Store(at(g, f))])),
      ...[...get(COL), ...i32(8 * size), ...ADD, ...set(COL)],
      ...br(0),
      ...END,
      ...END,
    ];
  };
  const code = [
    ...vec([[...uleb(4 + arrays), I32], [...uleb(group * perGroup), V128]]),
    ...[...get(0), ...get(N), ...i32(4), ...MUL, ...ADD, ...set(END_PTR)],
    ...[...get(C), ...i32(4), ...MUL, ...set(ROW)],
    ...[...i32(0), ...set(COL)],
    ...part(group),
    ...part(1),
    ...END,
  ];
  return { name, nParams: arrays + 3, code };
}

/** The paired BatchNorm functions (see {@linkcode columnFunction}). */
function columnBatchNormFunctions(): WasmFunction[] {
  const x2 = (p: number, g: number) => [...get(p), ...load64Zero(8 * g), ...F64X2_PROMOTE_LOW];
  const { sum, squares, mean, invStd, sumDy, sumDyXhat } = FIELD;
  return [
    // sum += x
    columnFunction("sumsColumns2", 1, 4, [sum], [], ([x], acc, _k, g) => [
      ...[...get(acc(g, sum)), ...x2(x, g), ...F64X2_ADD, ...set(acc(g, sum))],
    ]),
    // squares += (x - mean) (x - mean)
    columnFunction("squaresColumns2", 1, 4, [squares], [mean], ([x], acc, k, g) => {
      const d = [...x2(x, g), ...get(k(g, mean)), ...F64X2_SUB];
      return [...get(acc(g, squares)), ...d, ...d, ...F64X2_MUL, ...F64X2_ADD, ...set(acc(g, squares))];
    }),
    // y = x scale + shift
    columnFunction("normaliseColumns2", 2, 4, [], [FIELD.scale, FIELD.shift], ([x, y], _acc, k, g) => [
      ...get(y),
      ...[...x2(x, g), ...get(k(g, FIELD.scale)), ...F64X2_MUL, ...get(k(g, FIELD.shift)), ...F64X2_ADD],
      ...[...F32X4_DEMOTE_ZERO, ...store64Lane0(8 * g)],
    ]),
    // dx = k ((dy - meanDy) - ((x - mean) invStd) meanDyXhat)
    columnFunction(
      "gradientColumns2",
      3,
      2,
      [],
      [FIELD.k, FIELD.meanDy, mean, invStd, FIELD.meanDyXhat],
      ([dy, x, dx], _acc, k, g) => [
        ...[...get(dx), ...get(k(g, FIELD.k))],
        ...[...x2(dy, g), ...get(k(g, FIELD.meanDy)), ...F64X2_SUB],
        ...[...x2(x, g), ...get(k(g, mean)), ...F64X2_SUB, ...get(k(g, invStd)), ...F64X2_MUL],
        ...[...get(k(g, FIELD.meanDyXhat)), ...F64X2_MUL, ...F64X2_SUB],
        ...[...F64X2_MUL, ...F32X4_DEMOTE_ZERO, ...store64Lane0(8 * g)],
      ],
    ),
    // sumDy += dy, sumDyXhat += dy ((x - mean) invStd)
    columnFunction("gradientSumsColumns2", 2, 2, [sumDy, sumDyXhat], [mean, invStd], ([dy, x], acc, k, g) => [
      ...[...get(acc(g, sumDy)), ...x2(dy, g), ...F64X2_ADD, ...set(acc(g, sumDy))],
      ...[...get(acc(g, sumDyXhat)), ...x2(dy, g)],
      ...[...x2(x, g), ...get(k(g, mean)), ...F64X2_SUB, ...get(k(g, invStd)), ...F64X2_MUL, ...F64X2_MUL],
      ...[...F64X2_ADD, ...set(acc(g, sumDyXhat))],
    ]),
  ];
}

/**
 * `pairs(x, y, source, n, cell)`: `y[e] = (x[s] + x[s + cell]) * 0.5` with `s = x +
 * source[e]` (byte offsets), for `e < n`; `unpairs(dy, dx, source, n, cell)`: `dx[s] = dx[s +
 * cell] = dy[e] * 0.5`.
 */
function pairFunctions(): WasmFunction[] {
  const [X, Y, S, N, CELL] = [0, 1, 2, 3, 4];
  const [END_PTR, AT] = [5, 6];
  const wrap = (name: string, body: number[]): WasmFunction => ({
    name,
    nParams: 5,
    code: [
      ...vec([[...uleb(2), I32]]),
      ...[...get(S), ...get(N), ...i32(4), ...MUL, ...ADD, ...set(END_PTR)],
      ...BLOCK,
      ...LOOP,
      ...[...get(S), ...get(END_PTR), ...GE_S, ...brIf(1)],
      ...body,
      ...[...get(S), ...i32(4), ...ADD, ...set(S)],
      ...[...get(Y), ...i32(4), ...ADD, ...set(Y)],
      ...br(0),
      ...END,
      ...END,
      ...END,
    ],
  });
  const at = [...get(X), ...get(S), ...i32Load(0), ...ADD, ...set(AT)];
  const second = [...get(AT), ...get(CELL), ...ADD];
  return [
    wrap("pairs", [
      ...at,
      ...get(Y),
      ...[...get(AT), ...f32Load(0), ...second, ...f32Load(0), ...F32_ADD, ...F32_HALF, ...F32_MUL],
      ...f32Store(0),
    ]),
    // here Y is dy and X is dx
    wrap("unpairs", [
      ...at,
      ...[...get(AT), ...get(Y), ...f32Load(0), ...F32_HALF, ...F32_MUL, ...f32Store(0)],
      ...[...second, ...get(Y), ...f32Load(0), ...F32_HALF, ...F32_MUL, ...f32Store(0)],
    ]),
  ];
}

const F32X4_HALF = f32x4Const(0.5);

/** `pairsQuads`' locals: parameters, then i32 locals, then v128 locals. */
const QUAD_LOCALS = {
  X: 0,
  Y: 1,
  DEST: 2,
  NCELLS: 3,
  DEPTH: 4,
  CELL: 5,
  Q: 6,
  E: 7,
  END_E: 8,
  SRC: 9,
  P: 10,
  OUT: 11,
  D4: 12,
  STEP: [13, 14, 15, 16, 17, 18], // 2..7 frames in bytes
  D: 19,
  V: [20, 21, 22, 23],
  PAIR: [24, 25, 26, 27],
  HALF: 28, // 0.5 in every lane, set before the loops
};

/** `pairsQuads`' step over four cells (byte `E`) of four frames: pair sums, a 4 x 4 transpose, four stores. */
function quadStep(): number[] {
  const { DEST, CELL, E, SRC, P, OUT, STEP, D, V, PAIR, HALF } = QUAD_LOCALS;
  const frame = (j: number) => j === 0 ? [] : [...get(j === 1 ? CELL : STEP[j - 2]), ...ADD];
  const pairSum = (k: number) => [
    ...[...get(P), ...frame(2 * k), ...v128Load(0)],
    ...[...get(P), ...frame(2 * k + 1), ...v128Load(0)],
    ...F32X4_ADD,
    ...get(HALF),
    ...F32X4_MUL,
    ...set(V[k]),
  ];
  const pair = (a: number, b: number, lanes: number[], into: number) => [
    ...[...get(a), ...get(b), ...shuffle32(lanes), ...set(into)],
  ];
  const columns: [number, number, number[]][] = [
    [PAIR[0], PAIR[2], [0, 1, 4, 5]],
    [PAIR[0], PAIR[2], [2, 3, 6, 7]],
    [PAIR[1], PAIR[3], [0, 1, 4, 5]],
    [PAIR[1], PAIR[3], [2, 3, 6, 7]],
  ];
  return [
    ...[...get(SRC), ...get(E), ...ADD, ...set(P)],
    ...[0, 1, 2, 3].flatMap(pairSum),
    ...pair(V[0], V[1], [0, 4, 1, 5], PAIR[0]),
    ...pair(V[0], V[1], [2, 6, 3, 7], PAIR[1]),
    ...pair(V[2], V[3], [0, 4, 1, 5], PAIR[2]),
    ...pair(V[2], V[3], [2, 6, 3, 7], PAIR[3]),
    ...[...get(DEST), ...get(E), ...ADD, ...set(D)],
    ...columns.flatMap(([a, b, lanes], l) => [
      ...[...get(OUT), ...get(D), ...i32Load(4 * l), ...ADD],
      ...[...get(a), ...get(b), ...shuffle32(lanes), ...v128Store(0)],
    ]),
  ];
}

/** `for (; local < limit; local += step) body` over i32 locals. */
function byteLoop(local: number, limit: number, step: number, body: number[]): number[] {
  return [
    ...BLOCK,
    ...LOOP,
    ...[...get(local), ...get(limit), ...GE_S, ...brIf(1)],
    ...body,
    ...[...get(local), ...i32(step), ...ADD, ...set(local)],
    ...br(0),
    ...END,
    ...END,
  ];
}

/**
 * `pairsQuads(x, y, dest, cells, depth, cell)`: one stack of the frame gather of {@linkcode pairFunctions}'
 * `pairs` in input order: for pooled frame `d < depth` and grid cell `e < cells` (a multiple of 4), `y[dest[e] +
 * 4 d] = (x[2 d cell + 4 e] + x[(2 d + 1) cell + 4 e]) * 0.5` (byte offsets; `dest[e]` the byte offset of cell
 * `e`'s first pooled frame in the stack's output, `cell` the bytes of one frame). Frames four at a time: the
 * pair sums of four cells of four frames as `f32x4` (each lane the same `f32` addition and multiplication as
 * `pairs`, so the same bits), transposed through registers to four cells' runs of four frames, each one
 * 16-byte store; the last `depth mod 4` frames one value at a time. The input is read in order, not gathered.
 */
function pairsQuadsFunction(): WasmFunction {
  const { X, Y, DEST, NCELLS, DEPTH, CELL, Q, E, END_E, SRC, P, OUT, D4, STEP, HALF } = QUAD_LOCALS;
  // one frame d (Q): y[dest[e] + 4 d] for every cell
  const single = [
    ...[...get(SRC), ...get(E), ...ADD, ...set(P)],
    ...[...get(OUT), ...get(DEST), ...get(E), ...ADD, ...i32Load(0), ...ADD],
    ...[...get(P), ...f32Load(0), ...get(P), ...get(CELL), ...ADD, ...f32Load(0), ...F32_ADD, ...F32_HALF, ...F32_MUL],
    ...f32Store(0),
  ];
  return {
    name: "pairsQuads",
    nParams: 6,
    code: [
      ...vec([[...uleb(14), I32], [...uleb(9), V128]]),
      ...[...F32X4_HALF, ...set(HALF)],
      ...[...get(NCELLS), ...i32(2), ...SHL, ...set(END_E)],
      ...[...get(DEPTH), ...i32(2), ...SHR_U, ...set(D4)],
      ...STEP.flatMap((local, i) => [...get(CELL), ...i32(i + 2), ...MUL, ...set(local)]),
      ...[...i32(0), ...set(Q)],
      ...byteLoop(Q, D4, 1, [
        ...[...get(X), ...get(Q), ...i32(3), ...SHL, ...get(CELL), ...MUL, ...ADD, ...set(SRC)],
        ...[...get(Y), ...get(Q), ...i32(4), ...SHL, ...ADD, ...set(OUT)],
        ...[...i32(0), ...set(E)],
        ...byteLoop(E, END_E, 16, quadStep()),
      ]),
      // Q = 4 * D4: the frames after the last quad
      ...[...get(D4), ...i32(2), ...SHL, ...set(Q)],
      ...byteLoop(Q, DEPTH, 1, [
        ...[...get(X), ...get(Q), ...i32(1), ...SHL, ...get(CELL), ...MUL, ...ADD, ...set(SRC)],
        ...[...get(Y), ...get(Q), ...i32(2), ...SHL, ...ADD, ...set(OUT)],
        ...[...i32(0), ...set(E)],
        ...byteLoop(E, END_E, 4, single),
      ]),
      ...END,
    ],
  };
}

/** The exported functions (pointers in bytes). */
export interface ChannelKernels {
  sums(x: number, n: number, channels: number, records: number): void;
  squares(x: number, n: number, channels: number, records: number): void;
  normalise(x: number, y: number, n: number, channels: number, records: number): void;
  gradientSums(dy: number, x: number, n: number, channels: number, records: number): void;
  gradient(dy: number, x: number, dx: number, n: number, channels: number, records: number): void;
  /**
   * The same five over pair blocks (channels even; see {@linkcode PAIR_BLOCK}), column by column
   * (see {@linkcode columnFunction}).
   */
  sumsColumns2(x: number, n: number, channels: number, records: number): void;
  squaresColumns2(x: number, n: number, channels: number, records: number): void;
  gradientSumsColumns2(dy: number, x: number, n: number, channels: number, records: number): void;
  normaliseColumns2(x: number, y: number, n: number, channels: number, records: number): void;
  gradientColumns2(dy: number, x: number, dx: number, n: number, channels: number, records: number): void;
  pairs(x: number, y: number, source: number, n: number, cell: number): void;
  unpairs(dx: number, dy: number, source: number, n: number, cell: number): void;
  pairsQuads(x: number, y: number, dest: number, cells: number, depth: number, cell: number): void;
}

let compiled: WebAssembly.Module | undefined;
const instances = new WeakMap<object, ChannelKernels | null>();

/** What these kernels use of the wasm backend (not part of its typed API). */
export interface WasmBackend extends tf.KernelBackend {
  wasm?: { asm?: { memory?: unknown } };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: object, force?: boolean): boolean;
}

/** The kernels over the current wasm backend's heap, or `null` (not wasm, or no importable memory). */
export function channelKernels(): ChannelKernels | null {
  if (tf.getBackend() !== "wasm") return null;
  const backend = tf.backend() as WasmBackend;
  let kernels = instances.get(backend);
  if (kernels === undefined) {
    kernels = null;
    const memory = backend.wasm?.asm?.memory;
    const shared = typeof SharedArrayBuffer !== "undefined" && memory instanceof WebAssembly.Memory &&
      memory.buffer instanceof SharedArrayBuffer;
    if (memory instanceof WebAssembly.Memory && !shared) {
      try {
        compiled ??= new WebAssembly.Module(
          moduleBytes([
            ...batchNormFunctions(),
            ...columnBatchNormFunctions(),
            ...pairFunctions(),
            pairsQuadsFunction(),
          ]) as BufferSource,
        );
        kernels = new WebAssembly.Instance(compiled, { env: { memory } }).exports as unknown as ChannelKernels;
      } catch {
        kernels = null;
      }
    }
    instances.set(backend, kernels);
  }
  return kernels;
}

const scratches = new WeakMap<object, tf.Tensor>();

/**
 * A kept heap tensor with room for `channels` records (and `extra` float32 values), made
 * before the output of an op so that taking views afterwards cannot detach them.
 */
export function scratchFor(channels: number, extra = 0): tf.Tensor {
  const size = (channels * RECORD) / 4 + 2 + extra;
  const backend = tf.backend();
  let scratch = scratches.get(backend);
  if (scratch === undefined || scratch.isDisposed || scratch.size < size) {
    scratch?.dispose();
    scratch = tf.keep(tf.zeros([size]));
    scratches.set(backend, scratch);
  }
  return scratch;
}

/** The zeroed float64 records of `scratch` (a view: take it after every allocation) and their address. */
export function recordsOf(scratch: tf.Tensor, channels: number): { records: Float64Array; address: number } {
  const heap = (tf.backend() as WasmBackend).typedArrayFromHeap(scratch);
  const address = Math.ceil(heap.byteOffset / 8) * 8;
  return { records: new Float64Array(heap.buffer, address, (channels * RECORD) / 8).fill(0), address };
}

/** The BatchNorm loops and the record layout they read: one-channel records, or pair blocks. */
export interface ChannelLayout {
  sums: ChannelKernels["sums"];
  squares: ChannelKernels["squares"];
  normalise: ChannelKernels["normalise"];
  gradientSums: ChannelKernels["gradientSums"];
  gradient: ChannelKernels["gradient"];
  /** The float64 index of channel `c`'s record in the records: its field `f` is at `base(c) + field[f]`. */
  base(c: number): number;
  /** Each field's float64 index from its channel's base. */
  field: Readonly<Record<keyof typeof FIELD, number>>;
}

const fieldIndices = (bytesPerIndex: number) =>
  Object.freeze(
    Object.fromEntries(Object.entries(FIELD).map(([name, offset]) => [name, offset / bytesPerIndex])),
  ) as Readonly<Record<keyof typeof FIELD, number>>;
const SINGLE_FIELDS = fieldIndices(8);
const PAIRED_FIELDS = fieldIndices(4);

let paired = true;

/**
 * Whether the BatchNorm loops run two channels at a time where the channels are even (the
 * default), or one at a time (the same bits). Kept although only tests turn it off: the
 * one-channel loops are not dead code, they run in production wherever the channel count is
 * odd; the switch only forces them onto even counts. Returns the previous setting.
 */
export function setPairedBatchNorm(on: boolean): boolean {
  const previous = paired;
  paired = on;
  return previous;
}

/** The loops and record layout for `channels` channels: pair blocks where they are even. */
export function channelLayout(kernels: ChannelKernels, channels: number): ChannelLayout {
  if (paired && channels % 2 === 0) {
    return {
      sums: kernels.sumsColumns2,
      squares: kernels.squaresColumns2,
      normalise: kernels.normaliseColumns2,
      gradientSums: kernels.gradientSumsColumns2,
      gradient: kernels.gradientColumns2,
      base: (c) => (c >> 1) * (PAIR_BLOCK / 8) + (c & 1),
      field: PAIRED_FIELDS,
    };
  }
  return { ...kernels, base: (c) => c * (RECORD / 8), field: SINGLE_FIELDS };
}
