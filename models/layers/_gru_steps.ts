/**
 * The GRU recurrence (forward and back-propagation through time) with every step in
 * WebAssembly: the two products of a step and its element-wise work (`_gru_kernel.ts`) on
 * operands kept in one kernel memory. For the `tanh` candidate and `units` a multiple of 4
 * (`simdSupported`); `_gru_sequence.ts` runs the other cases.
 *
 * @module
 */

import type { WasmKernel } from "../../core/_wasm_gemm.ts";
import { helperThread, TASKS } from "../../core/_helper_thread.ts";
import { gruKernel, gruKernelModule } from "./_gru_kernel.ts";
import { backwardRows, type Dims, forwardRows, layout, weightGradientRows } from "../../core/_gru_rows.ts";

export type { Dims } from "../../core/_gru_rows.ts";

/** What the forward pass keeps for the backward pass, layout `[batch, nSteps, units]` each. */
export interface Saved {
  out: Float32Array;
  z: Float32Array;
  r: Float32Array;
  hh: Float32Array;
  rh: Float32Array;
}

/** Whether {@linkcode forwardSimd} and {@linkcode backwardSimd} compute this recurrence. */
export function simdSupported(activation: string, units: number): boolean {
  return activation === "tanh" && units % 4 === 0;
}

/** The kernel all calls share (JavaScript is single-threaded and a call never yields). */
let shared: WasmKernel | undefined;
function kernel(): WasmKernel {
  shared ??= gruKernel();
  return shared;
}

/**
 * What a forward pass keeps for its backward pass: its outputs, and the gate sequences `z`, `r`,
 * `hh`, `rh` (`[batch, nSteps, units]` each), which stay in the kernel's memory where the
 * forward pass wrote them until another forward pass needs the memory (only then are they
 * copied out, to `evicted`) or the backward pass has used them (`consumed`). A training step's
 * forward and backward passes of one layer so copy nothing; several layers, or inference, copy
 * what the next forward pass would overwrite.
 */
export interface SimdSaved {
  dims: Dims;
  /**
   * The outputs `[batch, nSteps, units]`: a view of the kernel's memory while the pass is resident
   * (read it before the next forward or backward pass), a copy once evicted.
   */
  out: Float32Array;
  evicted: Float32Array[] | null;
  consumed: boolean;
}

/** The forward pass whose sequences are in the kernel's memory, if any. */
let resident: SimdSaved | null = null;

/** The offsets of the kept sequences, in {@linkcode SimdSaved} order. */
const keptAt = (d: Dims) => {
  const L = layout(d);
  return [L.z, L.r, L.hh, L.rh];
};

/** Copies `s`'s sequences out of the kernel's memory (another forward pass is about to use it). */
function evict(s: SimdSaved, k: WasmKernel): void {
  const size = s.dims.batch * s.dims.steps * s.dims.units;
  s.evicted = keptAt(s.dims).map((at) => k.f32.slice(at, at + size));
  const at = layout(s.dims).out;
  s.out = k.f32.slice(at, at + size);
  resident = null;
}

/** Makes `s`'s sequences (and outputs) resident for its backward pass; returns the memory's view. */
function restore(s: SimdSaved, k: WasmKernel): Float32Array {
  if (resident === s) return k.f32;
  if (s.evicted === null) {
    throw new Error("FusedGru: the forward pass's saved sequences are gone (backward run twice?)");
  }
  if (resident !== null && !resident.consumed) evict(resident, k);
  const L = layout(s.dims);
  const m = k.reserve(L.end);
  m.set(s.out, L.out);
  keptAt(s.dims).forEach((at, i) => m.set(s.evicted![i], at));
  resident = s;
  return m;
}

/** Batches below this many rows run on one thread. */
const SPLIT_MIN_BATCH = 8;
/**
 * Recurrences of fewer multiply-adds in their step products (`batch steps 3 units^2`) run on
 * one thread: handing half over costs tens of microseconds, and cascade's `[32, 12, 64]`
 * recurrence (4.7 M) took as much CPU split as not (measured 2026-12-06).
 */
const SPLIT_MIN_WORK = 1 << 24;

let splitCount = 0;

/** How many forward passes, backward passes and recurrent-kernel gradients ran split with the helper thread (tests). */
export function splitRecurrences(): number {
  return splitCount;
}

/**
 * Runs `rows(first, count)` over all `total` rows (default: the batch rows): with the helper thread (`core/_helper_thread.ts`)
 * ready and the kernel memory shared, the helper runs `task` for the second half of the rows
 * while this thread runs the first half (rows are independent; the same code computes each);
 * else this thread runs them all.
 */
function inRows(
  k: WasmKernel,
  d: Dims,
  task: number,
  rows: (first: number, count: number) => void,
  total = d.batch,
): void {
  const module = gruKernelModule(k);
  const work = d.batch * d.steps * 3 * d.units * d.units;
  const helper = total >= SPLIT_MIN_BATCH && work >= SPLIT_MIN_WORK && module !== null ? helperThread() : null;
  if (helper === null) return rows(0, total);
  const space = helper.attach(module!, k.memory);
  const mine = total >> 1;
  splitCount++;
  helper.run(task, [space, d.batch, d.steps, d.units, mine, total - mine], () => rows(0, mine));
}

/** The forward recurrence over all steps; `xw` is `[batch, nSteps, 3 units]` (z, r, h parts). */
export function forwardSimd(xw: Float32Array, rk: Float32Array, d: Dims): SimdSaved {
  const { batch, steps, units: u } = d;
  const k = kernel();
  if (resident !== null && !resident.consumed) evict(resident, k);
  const L = layout(d);
  const m = k.reserve(L.end);
  m.set(rk, L.rk);
  m.fill(0, L.zero, L.zero + batch * u);
  m.set(xw, L.xw);
  inRows(k, d, TASKS.gruForward, (first, count) => forwardRows(k, d, first, count));
  // the outputs stay where the recurrence wrote them: the caller copies them into a tensor at once
  resident = { dims: d, out: m.subarray(L.out, L.out + batch * steps * u), evicted: null, consumed: false };
  return resident;
}

/**
 * Back-propagation through time: the gradients of `xw` (`[batch, nSteps, 3 units]`) and of
 * the recurrent kernel (`[units, 3 units]`) from the gradient `dy` of the outputs. `dxw` is a view
 * of the kernel's memory (read it before the next forward or backward pass), `dR` a copy.
 */
export function backwardSimd(dy: Float32Array, s: SimdSaved, rk: Float32Array, d: Dims): {
  dxw: Float32Array;
  dR: Float32Array;
} {
  const { batch, steps, units: u } = d;
  const g = 3 * u;
  const k = kernel();
  const L = layout(d);
  const m = restore(s, k);
  for (let i = 0; i < u; i++) {
    for (let j = 0; j < g; j++) m[L.rt + j * u + i] = rk[i * g + j]; // [3u, u]
  }
  m.fill(0, L.zero, L.zero + batch * u);
  m.fill(0, L.dh, L.dh + batch * u);
  m.set(dy, L.dy);
  inRows(k, d, TASKS.gruBackward, (first, count) => backwardRows(k, d, first, count));
  // dR = sum over steps of hPrev^T [dPreZ dPreR] (hPrev of step 0 is zero) and (r * hPrev)^T dPreH,
  // its rows (the units) halved between the threads
  inRows(k, d, TASKS.gruWeightGradient, (first, count) => weightGradientRows(k, d, first, count), u);
  s.consumed = true;
  return { dxw: m.subarray(L.xw, L.xw + batch * steps * g), dR: m.slice(L.dR, L.dR + u * g) };
}
