/**
 * The GRU recurrence of `models/layers/_gru_steps.ts` (its step kernel: `models/layers/_gru_kernel.ts`) for a range of batch rows: the operands' layout in the
 * kernel memory, and the forward and backward loops over the time steps for rows
 * `[first, first + count)`. Batch rows are independent until the recurrent kernel's gradient
 * (summed over rows after the loop), so two threads can each run their rows over the same shared
 * memory (`_helper_thread.ts` runs the second half), and every value is computed with the
 * same instructions in the same order as in one call over all rows.
 *
 * @module
 */

import type { WasmKernel } from "./_wasm_gemm.ts";

/** Dimensions of one call. */
export interface Dims {
  batch: number;
  steps: number;
  units: number;
}

/**
 * Element offsets of the operands in the kernel's memory: the recurrent kernel `[u, 3u]` and
 * its transpose, a zero state, step rows `a`/`c` (`[batch, 2u]`, `[batch, u]`, also `dRh`,
 * `dh`, `dhPrev` backward), `xw` / its gradient `[batch, steps, 3u]`, and the sequences
 * `out`, `z`, `r`, `hh`, `rh`, `dy` `[batch, steps, u]`, then `dR` `[u, 3u]`.
 */
export function layout(d: Dims) {
  const { batch, steps, units: u } = d;
  const row = batch * u, seq = batch * steps * u;
  const rk = 0, rt = 3 * u * u, zero = 6 * u * u;
  const a = zero + row, c = a + 2 * row, dhPrev = c + row, xw = dhPrev + row;
  const out = xw + 3 * seq, z = out + seq, r = z + seq, hh = r + seq, rh = hh + seq, dy = rh + seq;
  const dR = dy + seq;
  return { rk, rt, zero, a, c, dRh: a, dh: c, dhPrev, xw, out, z, r, hh, rh, dy, dR, end: dR + 3 * u * u };
}

/** What the loops use of a kernel instance: its products (element offsets) and its functions (bytes). */
type Kernel = Pick<WasmKernel, "gemm" | "gemmTN" | "exports">;

/**
 * The forward recurrence over all steps for batch rows `[first, first + count)`; `xw` and the
 * recurrent kernel are in place (`layout`), the zero state zeroed.
 */
export function forwardRows(k: Kernel, d: Dims, first: number, count: number): void {
  const { steps, units: u } = d;
  const L = layout(d);
  const { gates, candidate } = k.exports;
  const [ldx, lds] = [4 * steps * 3 * u, 4 * steps * u];
  const seqRow = first * steps * u; // first row of a [batch, steps, u] sequence
  const [a, c] = [L.a + first * 2 * u, L.c + first * u];
  for (let t = 0; t < steps; t++) {
    const [h, ldh] = t === 0 ? [L.zero + first * u, u] : [L.out + seqRow + (t - 1) * u, steps * u];
    k.gemm(h, L.rk, a, count, u, 2 * u, ldh, 3 * u, 2 * u); // h [Rz Rr]
    const x = 4 * (L.xw + first * steps * 3 * u + t * 3 * u);
    const at = seqRow + t * u;
    gates(x, ldx, 4 * a, 4 * h, 4 * ldh, 4 * (L.z + at), 4 * (L.r + at), 4 * (L.rh + at), lds, count, 4 * u);
    k.gemm(L.rh + at, L.rk + 2 * u, c, count, u, u, steps * u, 3 * u, u); // (r * h) Rh
    candidate(
      x + 8 * u,
      ldx,
      4 * c,
      4 * h,
      4 * ldh,
      4 * (L.z + at),
      4 * (L.hh + at),
      4 * (L.out + at),
      lds,
      count,
      4 * u,
    );
  }
}

/**
 * Back-propagation through time for batch rows `[first, first + count)`: the gradient of `xw`
 * written over `xw`, from `dy` and the forward pass's sequences in place, with the transposed
 * recurrent kernel and zeroed `zero` and `dh` rows.
 */
export function backwardRows(k: Kernel, d: Dims, first: number, count: number): void {
  const { steps, units: u } = d;
  const g = 3 * u;
  const L = layout(d);
  const { backZH, backR } = k.exports;
  const [ldx, lds] = [4 * steps * g, 4 * steps * u];
  const seqRow = first * steps * u;
  const [dh, dhPrev, dRh] = [L.dh + first * u, L.dhPrev + first * u, L.dRh + first * u];
  for (let t = steps - 1; t >= 0; t--) {
    const [hp, ldh] = t === 0 ? [L.zero + first * u, u] : [L.out + seqRow + (t - 1) * u, steps * u];
    const dx = L.xw + first * steps * g + t * g;
    const at = seqRow + t * u;
    backZH(
      4 * (L.dy + at),
      4 * dh,
      4 * hp,
      4 * ldh,
      4 * (L.z + at),
      4 * (L.hh + at),
      4 * dx,
      ldx,
      4 * dhPrev,
      lds,
      count,
      4 * u,
    );
    k.gemm(dx + 2 * u, L.rt + 2 * u * u, dRh, count, u, u, steps * g, u, u); // dPreH Rh^T
    backR(4 * dRh, 4 * hp, 4 * ldh, 4 * (L.r + at), 4 * dx, ldx, 4 * dhPrev, 4 * dh, lds, count, 4 * u);
    k.gemm(dx, L.rt, dh, count, 2 * u, u, steps * g, u, u, true); // dh += [dPreZ dPreR] [Rz Rr]^T
  }
}

/**
 * Rows `[first, first + count)` of the recurrent kernel's gradient `dR` (`[units, 3 units]`):
 * the sum over batch rows and steps of `hPrev^T [dPreZ dPreR]` (`hPrev` of step 0 is zero) and
 * `(r * hPrev)^T dPreH`, after {@linkcode backwardRows} has written the pre-activation gradients
 * over `xw`. Each row of `dR` is summed in the same order whichever rows a call computes.
 */
export function weightGradientRows(k: Kernel, d: Dims, first: number, count: number): void {
  const { batch, steps, units: u } = d;
  const g = 3 * u;
  const L = layout(d);
  for (let b = 0; b < batch; b++) {
    const o = b * steps;
    k.gemmTN(L.out + o * u + first, L.xw + (o + 1) * g, L.dR + first * g, count, steps - 1, 2 * u, u, g, g, b > 0);
  }
  k.gemmTN(L.rh + first, L.xw + 2 * u, L.dR + first * g + 2 * u, count, batch * steps, u, u, g, g);
}
