/**
 * The GRU recurrence (forward and back-propagation through time) with every step in
 * WebAssembly: the two products of a step and its element-wise work (`_gru_kernel.ts`) on
 * operands kept in one kernel memory. For the `tanh` candidate and `units` a multiple of 4
 * (`simdSupported`); `_gru_sequence.ts` runs the other cases.
 *
 * @module
 */

import type { WasmKernel } from "../../core/_wasm_gemm.ts";
import { gruKernel } from "./_gru_kernel.ts";

/** What the forward pass keeps for the backward pass, layout `[batch, nSteps, units]` each. */
export interface Saved {
  out: Float32Array;
  z: Float32Array;
  r: Float32Array;
  hh: Float32Array;
  rh: Float32Array;
}

/** Dimensions of one call. */
export interface Dims {
  batch: number;
  steps: number;
  units: number;
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

/**
 * Element offsets of the operands in the kernel's memory: the recurrent kernel `[u, 3u]` and
 * its transpose, a zero state, step rows `a`/`c` (`[batch, 2u]`, `[batch, u]`, also `dRh`,
 * `dh`, `dhPrev` backward), `xw` / its gradient `[batch, steps, 3u]`, and the sequences
 * `out`, `z`, `r`, `hh`, `rh`, `dy` `[batch, steps, u]`, then `dR` `[u, 3u]`.
 */
function layout(d: Dims) {
  const { batch, steps, units: u } = d;
  const row = batch * u, seq = batch * steps * u;
  const rk = 0, rt = 3 * u * u, zero = 6 * u * u;
  const a = zero + row, c = a + 2 * row, dhPrev = c + row, xw = dhPrev + row;
  const out = xw + 3 * seq, z = out + seq, r = z + seq, hh = r + seq, rh = hh + seq, dy = rh + seq;
  const dR = dy + seq;
  return { rk, rt, zero, a, c, dRh: a, dh: c, dhPrev, xw, out, z, r, hh, rh, dy, dR, end: dR + 3 * u * u };
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
  const { gates, candidate } = k.exports;
  const [ldx, lds] = [4 * steps * 3 * u, 4 * steps * u];
  for (let t = 0; t < steps; t++) {
    const [h, ldh] = t === 0 ? [L.zero, u] : [L.out + (t - 1) * u, steps * u];
    k.gemm(h, L.rk, L.a, batch, u, 2 * u, ldh, 3 * u, 2 * u); // h [Rz Rr]
    const x = 4 * (L.xw + t * 3 * u);
    gates(x, ldx, 4 * L.a, 4 * h, 4 * ldh, 4 * (L.z + t * u), 4 * (L.r + t * u), 4 * (L.rh + t * u), lds, batch, 4 * u);
    k.gemm(L.rh + t * u, L.rk + 2 * u, L.c, batch, u, u, steps * u, 3 * u, u); // (r * h) Rh
    const out = 4 * (L.out + t * u);
    candidate(x + 8 * u, ldx, 4 * L.c, 4 * h, 4 * ldh, 4 * (L.z + t * u), 4 * (L.hh + t * u), out, lds, batch, 4 * u);
  }
  resident = { dims: d, out: m.slice(L.out, L.out + batch * steps * u), evicted: null, consumed: false };
  return resident;
}

/**
 * Back-propagation through time: the gradients of `xw` (`[batch, nSteps, 3 units]`) and of
 * the recurrent kernel (`[units, 3 units]`) from the gradient `dy` of the outputs.
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
  const { backZH, backR } = k.exports;
  const [ldx, lds] = [4 * steps * g, 4 * steps * u];
  for (let t = steps - 1; t >= 0; t--) {
    const [hp, ldh] = t === 0 ? [L.zero, u] : [L.out + (t - 1) * u, steps * u];
    const dx = L.xw + t * g;
    backZH(
      4 * (L.dy + t * u),
      4 * L.dh,
      4 * hp,
      4 * ldh,
      4 * (L.z + t * u),
      4 * (L.hh + t * u),
      4 * dx,
      ldx,
      4 * L.dhPrev,
      lds,
      batch,
      4 * u,
    );
    k.gemm(dx + 2 * u, L.rt + 2 * u * u, L.dRh, batch, u, u, steps * g, u, u); // dPreH Rh^T
    backR(4 * L.dRh, 4 * hp, 4 * ldh, 4 * (L.r + t * u), 4 * dx, ldx, 4 * L.dhPrev, 4 * L.dh, lds, batch, 4 * u);
    k.gemm(dx, L.rt, L.dh, batch, 2 * u, u, steps * g, u, u, true); // dh += [dPreZ dPreR] [Rz Rr]^T
  }
  // dR = sum over steps of hPrev^T [dPreZ dPreR] (hPrev of step 0 is zero) and (r * hPrev)^T dPreH
  for (let b = 0; b < batch; b++) {
    const o = b * steps;
    k.gemmTN(L.out + o * u, L.xw + (o + 1) * g, L.dR, u, steps - 1, 2 * u, u, g, g, b > 0);
  }
  k.gemmTN(L.rh, L.xw + 2 * u, L.dR + 2 * u, u, batch * steps, u, u, g, g);
  s.consumed = true;
  return { dxw: m.slice(L.xw, L.xw + batch * steps * g), dR: m.slice(L.dR, L.dR + u * g) };
}
