/**
 * `MegflowDropoutMask`, a kernel for the tfjs `wasm` backend with no inputs: a dropout mask of
 * `shape` drawn straight into the heap by a WebAssembly loop (assembled at load time,
 * `core/_wasm_asm.ts`). The same xorshift32 stream as `models/layers/_fast_dropout.ts`'s
 * `dropoutMask` from the same `state` (attrs `shape`, `state`, `threshold`, `scale`): value `i` is
 * `scale` where `(state_i ^ 0x80000000) >= threshold` as signed 32-bit integers, else 0, bit for bit
 * what the JavaScript loop writes, without that loop (~8 ns per value; tsa draws ~2.6M per step) and
 * the copy of its array onto the heap. Registered by `registerWasmTrainingKernels`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import {
  ADD,
  brIf,
  END,
  F32_ZERO,
  f32Store,
  GE_S,
  get,
  GT_S,
  i32,
  instancePerMemory,
  LOOP,
  moduleBytes,
  SELECT,
  set,
  SHL,
  SHR_U,
  SUB,
  tee,
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

type MaskFunction = (dst: number, n: number, state: number, threshold: number, scaleBits: number) => void;

const maskInstance = instancePerMemory<{ mask: MaskFunction }>(() =>
  new WebAssembly.Module(moduleBytes([{ name: "mask", nParams: 5, code: maskCode() }]) as BufferSource)
);

function maskKernel(memory: WebAssembly.Memory): MaskFunction {
  return maskInstance(memory).mask;
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
