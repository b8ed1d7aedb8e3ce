/**
 * `Elu` for the tfjs `wasm` backend as a WebAssembly SIMD loop on the heap that computes what the stock kernel
 * computes: XNNPACK's `f32-velu` "rr2-p6" algorithm (alpha, beta and prescale 1, as tfjs creates the operator):
 * `z = pmax(x * 1, -17.328680)`, `n = z log2(e) + magic` (the rounding to an integer in the bits of `n`), `s = 2^n`
 * from `n << 23`, `t = z - n ln2` in two steps (hi, lo), a degree-6 polynomial `p(t)`, `expm1(z) = (p t s + t s) +
 * (s - 1)`, and `x` itself where the sign bit of `x` is clear. Every operation is the same float32 operation in
 * the same order as in the stock kernel (no fused multiply-add), so the outputs are the same bits: checked against
 * the stock kernel on every negative float32 (tests/backends/kernels/elu_test.ts checks a sample of every range).
 *
 * Why: the stock kernel takes ~0.84 ms of CPU for the `[38400, 16]` first stage of cascade's frame CNN (about
 * 1.4 ns a value), this loop about a fifth of that. Non-float32 inputs go to the stock kernel.
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
  F32X4_ADD,
  F32X4_MUL,
  F32X4_PMAX,
  F32X4_SUB,
  f32x4Const,
  GE_S,
  get,
  I32,
  i32,
  I32X4_SHL,
  instancePerMemory,
  LOOP,
  moduleBytes,
  MUL,
  set,
  SHL,
  SHR_U,
  simd,
  uleb,
  V128,
  V128_BITSELECT,
  v128Load,
  v128Store,
  vec,
  type WasmFunction,
} from "../../core/_wasm_asm.ts";
import { elementwiseInHeap, heapMemory, type WasmHeapInternals } from "./_heap_kernel.ts";
import { callKernel, type KernelArgs, WASM } from "./_wasm_ops.ts";

/** A float32 from its hexadecimal significand digits and binary exponent (`hexFloat("1.154246", 4)` = 0x1.154246p+4). */
function hexFloat(digits: string, exponent: number): number {
  const [whole, fraction] = digits.split(".");
  return Math.fround((parseInt(whole + fraction, 16) / 16 ** fraction.length) * 2 ** exponent);
}

/** XNNPACK's rr2-p6 constants for the float32 ELU. */
const K = {
  satCutoff: -hexFloat("1.154246", 4),
  magicBias: hexFloat("1.8000FE", 23),
  log2e: hexFloat("1.715476", 0),
  minusLn2Hi: -hexFloat("1.62E440", -1),
  minusLn2Lo: hexFloat("1.0105C6", -21),
  c6: hexFloat("1.6b7338", -10),
  c5: hexFloat("1.12278E", -7),
  c4: hexFloat("1.555716", -5),
  c3: hexFloat("1.5554B0", -3),
  c2: hexFloat("1.FFFFFE", -2),
};

const I32X4_SHR_S = simd(0xac);

const u32 = new Uint32Array(1);
const f32 = new Float32Array(u32.buffer);
const bitsOf = (x: number) => (f32[0] = x, u32[0]);
const fromBits = (b: number) => (u32[0] = b >>> 0, f32[0]);

/**
 * The stock kernel's function on one value (the SIMD loop's, lane by lane).
 *
 * @param x A float32 value.
 * @returns `elu(x)` as the stock kernel computes it.
 */
export function eluScalar(x: number): number {
  const f = Math.fround;
  const v = f(x * 1); // x * prescale
  const z = v < K.satCutoff ? K.satCutoff : v; // f32x4.pmax(v, satCutoff): NaN stays NaN
  let n = f(f(z * K.log2e) + K.magicBias);
  let s = fromBits(bitsOf(n) << 23);
  n = f(n - K.magicBias);
  let t = f(z + f(n * K.minusLn2Hi));
  t = f(t + f(n * K.minusLn2Lo));
  let p = f(K.c5 + f(K.c6 * t));
  p = f(K.c4 + f(p * t));
  p = f(K.c3 + f(p * t));
  p = f(K.c2 + f(p * t));
  p = f(p * t);
  t = f(t * s);
  s = f(s - 1);
  p = f(t + f(p * t));
  const e = f(p + s);
  return bitsOf(x) >>> 31 ? e : v;
}

/** `elu(x, y, n)` (byte addresses, `n` a multiple of 4): two vectors per step (their chains interleaved), then one. */
function eluFunction(): WasmFunction {
  const [X, Y, N] = [0, 1, 2];
  const [END_PTR, END_PAIRS] = [3, 4];
  const TEMPS = 6; // per vector: x, z, n, s, t, p
  const FIRST_CONSTANT = 5 + 2 * TEMPS;
  // the constants in v128 locals, set once before the loops
  const constants = [1, K.satCutoff, K.log2e, K.magicBias, K.minusLn2Hi, K.minusLn2Lo, K.c6, K.c5, K.c4, K.c3, K.c2];
  const c = (v: number) => get(FIRST_CONSTANT + constants.indexOf(v));
  const op = (a: number[], b: number[], o: number[]) => [...a, ...b, ...o];
  /** The statements for the vector at byte `offset` from `X` / `Y`, in its temporaries from local `base`. */
  const steps = (base: number, offset: number): number[][] => {
    const [VX, Z, VN, S, T, P] = Array.from({ length: TEMPS }, (_, i) => base + i);
    return [
      // x * prescale (1: quiets a signalling NaN, as the stock kernel's product does)
      [...get(X), ...v128Load(offset), ...c(1), ...F32X4_MUL, ...set(VX)],
      [...get(VX), ...c(K.satCutoff), ...F32X4_PMAX, ...set(Z)],
      // n = z log2e + magic; s = n << 23; n -= magic
      [...op(op(get(Z), c(K.log2e), F32X4_MUL), c(K.magicBias), F32X4_ADD), ...set(VN)],
      [...get(VN), ...i32(23), ...I32X4_SHL, ...set(S)],
      [...get(VN), ...c(K.magicBias), ...F32X4_SUB, ...set(VN)],
      // t = z + n (-ln2 hi); t += n (-ln2 lo)
      [...op(get(Z), op(get(VN), c(K.minusLn2Hi), F32X4_MUL), F32X4_ADD), ...set(T)],
      [...op(get(T), op(get(VN), c(K.minusLn2Lo), F32X4_MUL), F32X4_ADD), ...set(T)],
      // p = c5 + c6 t; p = c4 + p t; p = c3 + p t; p = c2 + p t; p *= t
      [...op(c(K.c5), op(c(K.c6), get(T), F32X4_MUL), F32X4_ADD), ...set(P)],
      ...[K.c4, K.c3, K.c2].map((k) => [...op(c(k), op(get(P), get(T), F32X4_MUL), F32X4_ADD), ...set(P)]),
      [...get(P), ...get(T), ...F32X4_MUL, ...set(P)],
      // t *= s; s -= 1; p = t + p t; y = (x < 0 ? p + s : x)
      [...get(T), ...get(S), ...F32X4_MUL, ...set(T)],
      [...get(S), ...c(1), ...F32X4_SUB, ...set(S)],
      [
        ...get(Y),
        ...op(op(get(T), op(get(P), get(T), F32X4_MUL), F32X4_ADD), get(S), F32X4_ADD),
        ...get(VX),
        ...[...get(VX), ...i32(31), ...I32X4_SHR_S],
        ...V128_BITSELECT, // e where the sign bit of x is set, else x
        ...v128Store(offset),
      ],
    ];
  };
  const [one, two] = [steps(5, 0), steps(5 + TEMPS, 16)];
  const loop = (end: number, body: number[], bytes: number) => [
    ...BLOCK,
    ...LOOP,
    ...[...get(X), ...get(end), ...GE_S, ...brIf(1)],
    ...body,
    ...[...get(X), ...i32(bytes), ...ADD, ...set(X)],
    ...[...get(Y), ...i32(bytes), ...ADD, ...set(Y)],
    ...br(0),
    ...END,
    ...END,
  ];
  return {
    name: "elu",
    nParams: 3,
    code: [
      ...vec([[...uleb(2), I32], [...uleb(2 * TEMPS + constants.length), V128]]),
      ...constants.flatMap((v, i) => [...f32x4Const(v), ...set(FIRST_CONSTANT + i)]),
      ...[...get(X), ...get(N), ...i32(4), ...MUL, ...ADD, ...set(END_PTR)],
      // pairs of vectors up to the last whole pair: END_PAIRS = x + 32 floor(n / 8)
      ...[...get(X), ...get(N), ...i32(3), ...SHR_U, ...i32(5), ...SHL, ...ADD, ...set(END_PAIRS)],
      ...loop(END_PAIRS, one.flatMap((statement, i) => [...statement, ...two[i]]), 32),
      ...loop(END_PTR, one.flat(), 16),
      ...END,
    ],
  };
}

const eluKernel = instancePerMemory<{ elu(x: number, y: number, n: number): void }>(
  () => new WebAssembly.Module(moduleBytes([eluFunction()]) as BufferSource),
);

let computed = 0;
let enabled = true;

/**
 * Turns the SIMD loop on (the default) or off (the stock kernel runs; the A/B runs and tests compare the two).
 *
 * @param on Use the SIMD loop.
 * @returns The previous setting.
 */
export function setSimdElu(on: boolean): boolean {
  const previous = enabled;
  enabled = on;
  return previous;
}

/** How many `Elu` kernels the SIMD path has run since the process started (tests). */
export function simdEluCount(): number {
  return computed;
}

/**
 * Kernel config for `Elu` on the SIMD loop, falling back to `stock` for other dtypes.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { eluScalar, simdEluConfig } from "./elu.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const stock = { kernelName: tf.Elu, backendName: "wasm", kernelFunc: () => [] } as tf.KernelConfig;
 * assertEquals(simdEluConfig(stock).kernelName, tf.Elu);
 * assertEquals([eluScalar(2), eluScalar(0), eluScalar(-100)], [2, 0, -1]);
 * ```
 *
 * @param stock the stock wasm `Elu` kernel config
 * @returns the replacement config
 */
export function simdEluConfig(stock: tf.KernelConfig): tf.KernelConfig {
  function elu(args: KernelArgs): tf.TensorInfo {
    const backend = args.backend as WasmHeapInternals;
    const x = args.inputs.x as tf.TensorInfo;
    const memory = heapMemory(backend);
    if (!enabled || x.dtype !== "float32" || memory === null) return callKernel(stock, args);
    const out = elementwiseInHeap(backend, x, eluKernel(memory).elu, eluScalar);
    computed++;
    return out;
  }
  return { ...stock, kernelName: tf.Elu, backendName: WASM, kernelFunc: elu as unknown as tf.KernelFunc };
}
