/**
 * `MegflowDropoutMask`, a kernel for the tfjs `wasm` backend with no inputs: a dropout mask of
 * `shape` drawn straight into the heap by a WebAssembly loop (assembled at load time,
 * `core/_wasm_asm.ts`). The same xorshift32 stream as `models/layers/_fast_dropout.ts`'s
 * `dropoutMask` from the same `state` (attrs `shape`, `state`, `threshold`, `scale`): value `i` is
 * `scale` where `(state_i ^ 0x80000000) >= threshold` as signed 32-bit integers, else 0, bit for bit
 * what the JavaScript loop writes, without that loop (~8 ns per value; tsa draws ~2.6M per step) and
 * the copy of its array onto the heap. Masks of 64 values or more are drawn as four segments at
 * once, one `i32x4` lane each, from start states jumped ahead in the stream (xorshift32 is linear
 * over GF(2): `q` steps are one bit matrix), the same values in the same places: the scalar
 * loop is one chain of dependent shifts, the vector runs four (spectral's `[32, 1240]` mask about
 * 3x faster). Registered by `registerWasmTrainingKernels`.
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
  F32_ZERO,
  f32Store,
  GE_S,
  get,
  GT_S,
  I32,
  i32,
  instancePerMemory,
  LOOP,
  moduleBytes,
  MUL,
  SELECT,
  set,
  SHL,
  SHR_U,
  simd,
  SUB,
  tee,
  uleb,
  V128,
  vec,
} from "../../core/_wasm_asm.ts";
import { heapByteOffset, heapMemory, type WasmHeapInternals } from "./_heap_kernel.ts";
import { type KernelArgs, WASM } from "./_wasm_ops.ts";

/** The kernel's name (the layer side spells it out: `models/` cannot import `backends/`). */
export const DROPOUT_MASK_KERNEL = "MegflowDropoutMask";

const XOR = [0x73], F32_REINTERPRET_I32 = [0xbe];

/** `mask(dst, n, state, threshold, scaleBits)`: `n >= 1` float32 values at byte offset `dst`. */
function maskCode(): number[] {
  const [DST, N, S, T, SCALE] = [0, 1, 2, 3, 4];
  // state ^= state << bits (or >>> bits)
  const step = (op: number[], bits: number) => [...get(S), ...get(S), ...i32(bits), ...op, ...XOR, ...set(S)];
  const body = [
    ...step(SHL, 13),
    ...step(SHR_U, 17),
    ...step(SHL, 5),
    ...get(DST),
    ...[...get(SCALE), ...F32_REINTERPRET_I32, ...F32_ZERO],
    ...[...get(S), ...i32(-0x80000000), ...XOR, ...get(T), ...GE_S, ...SELECT],
    ...f32Store(0),
    ...[...get(DST), ...i32(4), ...ADD, ...set(DST)],
    ...[...get(N), ...i32(1), ...SUB, ...tee(N), ...i32(0), ...GT_S, ...brIf(0)],
  ];
  return [...vec([]), ...LOOP, ...body, ...END, ...END];
}

/**
 * `mask4(dst, q, s0, s1, s2, s3, threshold, scaleBits)`: the first `4 q` values of a mask as four
 * segments of `q` values, segment `k` at `dst + 4 k q` bytes continuing the stream from state
 * `s_k` (the state before its first value), one lane of an `i32x4` per segment: each lane runs
 * the same xorshift32 steps as {@linkcode maskCode}, so the four independent streams advance in
 * one vector where the scalar loop waits on one chain of dependent shifts.
 */
function mask4Code(): number[] {
  const [DST, Q, S0, T, SCALE] = [0, 1, 2, 6, 7];
  const [STATE, THRESHOLD, SCALES, MASK, END_PTR, STEP, STEP2, STEP3] = [8, 9, 10, 11, 12, 13, 14, 15];
  const xor = simd(0x51), and = simd(0x4e), geS = simd(0x3f), splat = simd(0x11);
  const shl = simd(0xab), shrU = simd(0xad);
  const step = (
    op: number[],
    bits: number,
  ) => [...get(STATE), ...get(STATE), ...i32(bits), ...op, ...xor, ...set(STATE)];
  const storeLane = (lane: number, at: number[]) => [...at, ...get(MASK), ...simd(0x5a, 2, 0, lane)];
  const setup = [
    ...[...get(S0), ...splat],
    ...[1, 2, 3].flatMap((lane) => [...get(S0 + lane), ...simd(0x1c, lane)]),
    ...set(STATE),
    ...[...get(T), ...splat, ...set(THRESHOLD)],
    ...[...get(SCALE), ...splat, ...set(SCALES)],
    ...[...get(Q), ...i32(4), ...MUL, ...set(STEP)],
    ...[...get(STEP), ...get(STEP), ...ADD, ...set(STEP2)],
    ...[...get(STEP2), ...get(STEP), ...ADD, ...set(STEP3)],
    ...[...get(DST), ...get(STEP), ...ADD, ...set(END_PTR)],
  ];
  const body = [
    ...[...get(DST), ...get(END_PTR), ...GE_S, ...brIf(1)],
    ...step(shl, 13),
    ...step(shrU, 17),
    ...step(shl, 5),
    ...[...get(STATE), ...i32(-0x80000000), ...splat, ...xor, ...get(THRESHOLD), ...geS, ...get(SCALES), ...and],
    ...set(MASK),
    ...storeLane(0, get(DST)),
    ...storeLane(1, [...get(DST), ...get(STEP), ...ADD]),
    ...storeLane(2, [...get(DST), ...get(STEP2), ...ADD]),
    ...storeLane(3, [...get(DST), ...get(STEP3), ...ADD]),
    ...[...get(DST), ...i32(4), ...ADD, ...set(DST)],
    ...br(0),
  ];
  return [
    ...vec([[...uleb(4), V128], [...uleb(4), I32]]),
    ...setup,
    ...BLOCK,
    ...LOOP,
    ...body,
    ...END,
    ...END,
    ...END,
  ];
}

type MaskFunction = (dst: number, n: number, state: number, threshold: number, scaleBits: number) => void;
type Mask4Function = (
  dst: number,
  q: number,
  s0: number,
  s1: number,
  s2: number,
  s3: number,
  threshold: number,
  scaleBits: number,
) => void;

const maskInstance = instancePerMemory<{ mask: MaskFunction; mask4: Mask4Function }>(() =>
  new WebAssembly.Module(
    moduleBytes([
      { name: "mask", nParams: 5, code: maskCode() },
      { name: "mask4", nParams: 8, code: mask4Code() },
    ]) as BufferSource,
  )
);

/** One xorshift32 step (`<< 13`, `>>> 17`, `<< 5`), as the loops run it. */
function xorshift(state: number): number {
  state ^= state << 13;
  state ^= state >>> 17;
  return state ^ (state << 5);
}

/** A linear map of 32-bit words over GF(2): the images of the 32 unit words. */
type BitMap = Int32Array;

function applyMap(map: BitMap, word: number): number {
  let out = 0;
  for (let bit = 0; bit < 32; bit++) if ((word >>> bit) & 1) out ^= map[bit];
  return out;
}

/** `a` after `b`. */
function compose(a: BitMap, b: BitMap): BitMap {
  return b.map((image) => applyMap(a, image));
}

const jumps = new Map<number, BitMap>();

/** The xorshift32 step taken `q` times as one linear map (cached per `q`). */
function jump(q: number): BitMap {
  let map = jumps.get(q);
  if (map === undefined) {
    let power: BitMap = Int32Array.from({ length: 32 }, (_, bit) => xorshift(1 << bit));
    map = Int32Array.from({ length: 32 }, (_, bit) => 1 << bit) as BitMap;
    for (let k = q; k > 0; k >>>= 1) {
      if (k & 1) map = compose(power, map);
      power = compose(power, power);
    }
    if (jumps.size > 64) jumps.clear();
    jumps.set(q, map);
  }
  return map;
}

/**
 * Writes `n` mask values at byte offset `dst`: the first `4 q` (`q = floor(n / 4)`) by
 * `mask4`, four segments whose start states are the stream's state jumped ahead by `q` steps
 * (the xorshift32 step is linear over GF(2), so `q` steps are one 32 x 32 bit matrix), the last
 * `n - 4 q` by the scalar loop from the state after `4 q` steps: value `i` is the scalar loop's
 * value `i` from `state`, bit for bit.
 */
function drawMask(
  kernels: { mask: MaskFunction; mask4: Mask4Function },
  dst: number,
  n: number,
  state: number,
  threshold: number,
  scaleBits: number,
): void {
  const q = n >>> 2;
  if (q < 16) return kernels.mask(dst, n, state, threshold, scaleBits);
  const ahead = jump(q);
  const s1 = applyMap(ahead, state), s2 = applyMap(ahead, s1), s3 = applyMap(ahead, s2);
  kernels.mask4(dst, q, state, s1, s2, s3, threshold, scaleBits);
  if (n > 4 * q) kernels.mask(dst + 16 * q, n - 4 * q, applyMap(ahead, s3), threshold, scaleBits);
}

function maskKernel(memory: WebAssembly.Memory): MaskFunction {
  const kernels = maskInstance(memory);
  return (dst, n, state, threshold, scaleBits) => drawMask(kernels, dst, n, state, threshold, scaleBits);
}

let computed = 0;

/** How many masks the kernel has drawn since the process started (tests). */
export function dropoutMaskKernelCount(): number {
  return computed;
}

function dropoutMask(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as WasmHeapInternals;
  const { shape, state, threshold, scale } = args.attrs as {
    shape: number[];
    state: number;
    threshold: number;
    scale: number;
  };
  const memory = heapMemory(backend);
  if (memory === null) throw new Error(`${DROPOUT_MASK_KERNEL}: the wasm backend's heap cannot be imported`);
  const out = backend.makeOutput(shape, "float32");
  const size = tf.util.sizeFromShape(shape);
  const scaleBits = new Int32Array(Float32Array.of(scale).buffer)[0];
  if (size > 0) maskKernel(memory)(heapByteOffset(backend, out), size, state | 0, threshold | 0, scaleBits);
  computed++;
  return out;
}

/** The kernel config for the wasm backend. */
export const DROPOUT_MASK_CONFIG: tf.KernelConfig = {
  kernelName: DROPOUT_MASK_KERNEL,
  backendName: WASM,
  kernelFunc: dropoutMask as unknown as tf.KernelFunc,
};
