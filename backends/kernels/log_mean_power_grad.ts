/**
 * The gradient of `models/layers/log_mean_power.ts`'s `log(1 + mean(x²))` over pools of frames as one
 * kernel on the wasm heap (`MegflowLogMeanPowerGrad`), bit for bit the gradients tfjs chains for its
 * ops (`Log1p`: `dy / (m + 1)`; `Mean`: `(dy · 1) / pool`; `Square`: `dy · (2 x)`).
 *
 * Why: those are six kernels (two of them over the whole `[batch, nTimes, features]` input, broadcasting a
 * pool's gradient over its frames, and a scalar product) and six tape nodes; vivit's log band powers of its
 * FIR filters (`[32, 250, 64]`, pools of 50) spent ~0.6 ms of kernel time per step in them.
 *
 * Each pool's factor `q = fl(fl(dy / fl(m + 1)) / pool)` is computed as tfjs's float32 kernels compute it
 * (every operation rounded once to float32: a float64 operation on float32 values, rounded to float32, is
 * the float32 operation's correctly rounded result); then `dx = q (x + x)` four values at a time
 * (`x + x = 2 x` exactly, one rounding of the product, as the `Multiply` kernels).
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs-core";
import {
  bump,
  countedLoop,
  END,
  F32X4_ADD,
  F32X4_MUL,
  get,
  I32,
  i32,
  instancePerMemory,
  moduleBytes,
  MUL,
  set,
  uleb,
  v128Load,
  v128Store,
  vec,
} from "../../core/_wasm_asm.ts";
import { heapByteOffset, heapMemory, type WasmHeapInternals } from "./_heap_kernel.ts";
import { type KernelArgs, WASM } from "./_wasm_ops.ts";

/** The kernel's name. */
export const LOG_MEAN_POWER_GRAD_KERNEL = "MegflowLogMeanPowerGrad";

let computed = 0;

/** How many `MegflowLogMeanPowerGrad` kernels have run since the process started (tests). */
export function logMeanPowerGradCount(): number {
  return computed;
}

/**
 * `scale(q, x, dx, pools, pool, vectors)` (byte pointers): for every pool, for each of its `pool`
 * frames, `dx = q (x + x)` over the frame's `4 vectors` features, `q` the pool's row of factors.
 */
function scaleCode(): number[] {
  const [Q, X, DX, POOLS, POOL, VECTORS, G, P, V, QP] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const frame = [
    ...get(DX),
    ...[...get(QP), ...v128Load(0)],
    ...[...get(X), ...v128Load(0), ...get(X), ...v128Load(0), ...F32X4_ADD],
    ...F32X4_MUL,
    ...v128Store(0),
    ...bump(X, i32(16)),
    ...bump(DX, i32(16)),
    ...bump(QP, i32(16)),
  ];
  const body = countedLoop(G, get(POOLS), 1, [
    ...countedLoop(P, get(POOL), 1, [...get(Q), ...set(QP), ...countedLoop(V, get(VECTORS), 1, frame)]),
    ...bump(Q, [...get(VECTORS), ...i32(16), ...MUL]),
  ]);
  return [...vec([[...uleb(4), I32]]), ...body, ...END];
}

const scaleKernel = instancePerMemory<{ scale: (...args: number[]) => void }>(() =>
  new WebAssembly.Module(moduleBytes([{ name: "scale", nParams: 6, code: scaleCode() }]) as BufferSource)
);

/**
 * Inputs `dy` `[batch, nTimes / pool, features]`, `x` `[batch, nTimes, features]` and `mean` (the
 * forward pass's pool means, as `dy`), attribute `pool`; output `dx` (as `x`).
 */
function logMeanPowerGrad(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as WasmHeapInternals;
  const { dy, x, mean } = args.inputs as { dy: tf.TensorInfo; x: tf.TensorInfo; mean: tf.TensorInfo };
  const pool = args.attrs?.pool as number;
  const [batch, nTimes, features] = x.shape;
  const memory = heapMemory(backend);
  if (memory === null || features % 4 !== 0) {
    throw new Error(`${LOG_MEAN_POWER_GRAD_KERNEL}: needs the wasm backend's heap and features a multiple of 4`);
  }
  const pools = batch * (nTimes / pool), n = pools * features;
  const factors = backend.makeOutput([n], "float32");
  const dx = backend.makeOutput(x.shape, "float32");
  const [pq, pdy, pm, px, pdx] = [factors, dy, mean, x, dx].map((info) => heapByteOffset(backend, info));
  const heap = new Float32Array(memory.buffer);
  const [q0, dy0, m0] = [pq >> 2, pdy >> 2, pm >> 2];
  for (let i = 0; i < n; i++) {
    heap[q0 + i] = Math.fround(Math.fround(heap[dy0 + i] / Math.fround(heap[m0 + i] + 1)) / pool);
  }
  scaleKernel(memory).scale(pq, px, pdx, pools, pool, features >> 2);
  backend.disposeData(factors.dataId);
  computed++;
  return dx;
}

/** The kernel config for the wasm backend. */
export const LOG_MEAN_POWER_GRAD_CONFIG: tf.KernelConfig = {
  kernelName: LOG_MEAN_POWER_GRAD_KERNEL,
  backendName: WASM,
  kernelFunc: logMeanPowerGrad as unknown as tf.KernelFunc,
};
