/**
 * `EluGrad` for the tfjs `wasm` backend in WebAssembly SIMD on the heap: the stock kernel's
 * function (`dy` where `y >= 0`, else `dy * (y + 1.0)` in double precision rounded to float32),
 * four values at a time and without a branch.
 *
 * Why: the stock kernel is a scalar C++ loop whose branch on the sign of `y` is mispredicted
 * about half the time on an ELU's outputs: ~0.5 ms for the `[384, 10, 10, 16]` first stage of
 * cascade's frame CNN, every training step. Here both outcomes are computed (`y` and `dy`
 * promoted to `f64x2`, `y + 1` and the product in `f64x2`, demoted back: the C++ loop's double
 * arithmetic, operation for operation) and `v128.bitselect` keeps `dy` where `y >= 0`: the
 * same bits. Non-float32 inputs go to the stock kernel.
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
  F32X4_DEMOTE_ZERO,
  F64X2_ADD,
  F64X2_MUL,
  F64X2_PROMOTE_LOW,
  GE_S,
  get,
  I32,
  i32,
  instancePerMemory,
  LOOP,
  moduleBytes,
  MUL,
  set,
  shuffle32,
  simd,
  uleb,
  V128,
  V128_BITSELECT,
  V128_ZERO,
  v128Load,
  v128Store,
  vec,
  type WasmFunction,
} from "../../core/_wasm_asm.ts";
import { heapByteOffset, heapMemory, type WasmHeapInternals } from "./_heap_kernel.ts";
import { callKernel, type KernelArgs, WASM } from "./_wasm_ops.ts";

const F32X4_GE = simd(0x46);
const F64X2_ONE = simd(0x0c, ...[0, 1].flatMap(() => [...new Uint8Array(new Float64Array([1]).buffer)]));
/** Lanes 2 and 3 of a `f32x4` to lanes 0 and 1. */
const HIGH_HALF = shuffle32([2, 3, 2, 3]);

/**
 * `eluGrad(y, dy, out, n)` (byte addresses, `n` a multiple of 4): `out[i] = y[i] >= 0 ? dy[i] :
 * f32(f64(dy[i]) * (f64(y[i]) + 1))`.
 */
function eluGradFunction(): WasmFunction {
  const [Y, DY, OUT, N] = [0, 1, 2, 3];
  const END_PTR = 4;
  const [YV, DV, ONE, ZERO] = [5, 6, 7, 8]; // the constants in locals, set before the loop
  const low = (v: number) => [...get(v), ...F64X2_PROMOTE_LOW];
  const high = (v: number) => [...get(v), ...get(v), ...HIGH_HALF, ...F64X2_PROMOTE_LOW];
  const product = (half: (v: number) => number[]) => [
    ...half(DV),
    ...half(YV),
    ...get(ONE),
    ...F64X2_ADD,
    ...F64X2_MUL,
    ...F32X4_DEMOTE_ZERO,
  ];
  return {
    name: "eluGrad",
    nParams: 4,
    code: [
      ...vec([[...uleb(1), I32], [...uleb(4), V128]]),
      ...[...F64X2_ONE, ...set(ONE), ...V128_ZERO, ...set(ZERO)],
      ...[...get(Y), ...get(N), ...i32(4), ...MUL, ...ADD, ...set(END_PTR)],
      ...BLOCK,
      ...LOOP,
      ...[...get(Y), ...get(END_PTR), ...GE_S, ...brIf(1)],
      ...[...get(Y), ...v128Load(0), ...set(YV)],
      ...[...get(DY), ...v128Load(0), ...set(DV)],
      ...get(OUT),
      ...get(DV),
      ...product(low),
      ...product(high),
      ...shuffle32([0, 1, 4, 5]),
      ...[...get(YV), ...get(ZERO), ...F32X4_GE],
      ...V128_BITSELECT,
      ...v128Store(0),
      ...[...get(Y), ...i32(16), ...ADD, ...set(Y)],
      ...[...get(DY), ...i32(16), ...ADD, ...set(DY)],
      ...[...get(OUT), ...i32(16), ...ADD, ...set(OUT)],
      ...br(0),
      ...END,
      ...END,
      ...END,
    ],
  };
}

const eluGradKernel = instancePerMemory<{ eluGrad(y: number, dy: number, out: number, n: number): void }>(
  () => new WebAssembly.Module(moduleBytes([eluGradFunction()]) as BufferSource),
);

/** The stock kernel's function on one value (float32 in, float32 out, double arithmetic). */
export function eluGradScalar(y: number, dy: number): number {
  return y >= 0 ? dy : Math.fround(dy * (y + 1));
}

let computed = 0;
let enabled = true;

/**
 * Turns the SIMD loop on (the default) or off (the stock kernel runs; the A/B runs and tests compare the two).
 *
 * @param on Use the SIMD loop.
 * @returns The previous setting.
 */
export function setSimdEluGrad(on: boolean): boolean {
  const previous = enabled;
  enabled = on;
  return previous;
}

/** How many `EluGrad` kernels the SIMD path has run since the process started (tests). */
export function simdEluGradCount(): number {
  return computed;
}

/**
 * Kernel config for `EluGrad` on the SIMD loop, falling back to `stock` for other dtypes.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { simdEluGradConfig } from "./elu_grad.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const stock = { kernelName: tf.EluGrad, backendName: "wasm", kernelFunc: () => [] } as tf.KernelConfig;
 * assertEquals(simdEluGradConfig(stock).kernelName, tf.EluGrad);
 * ```
 *
 * @param stock the stock wasm `EluGrad` kernel config
 * @returns the replacement config
 */
export function simdEluGradConfig(stock: tf.KernelConfig): tf.KernelConfig {
  function eluGrad(args: KernelArgs): tf.TensorInfo {
    const backend = args.backend as WasmHeapInternals;
    const { dy, y } = args.inputs as { dy: tf.TensorInfo; y: tf.TensorInfo };
    const memory = heapMemory(backend);
    if (!enabled || y.dtype !== "float32" || dy.dtype !== "float32" || memory === null) return callKernel(stock, args);
    const out = backend.makeOutput(y.shape, "float32");
    const size = y.shape.reduce((product, n) => product * n, 1);
    const [ys, dys, outs] = [heapByteOffset(backend, y), heapByteOffset(backend, dy), heapByteOffset(backend, out)];
    const whole = size - (size % 4);
    if (whole > 0) eluGradKernel(memory).eluGrad(ys, dys, outs, whole);
    const heap = backend.wasm.HEAPF32;
    for (let i = whole; i < size; i++) {
      heap[(outs >> 2) + i] = eluGradScalar(heap[(ys >> 2) + i], heap[(dys >> 2) + i]);
    }
    computed++;
    return out;
  }
  return { ...stock, kernelName: tf.EluGrad, backendName: WASM, kernelFunc: eluGrad as unknown as tf.KernelFunc };
}
