/**
 * A bank of FIR filters run over every channel's series as a direct convolution on the wasm heap
 * (`MegflowFirFilterBank`), with its gradient (`MegflowFirFilterBankGrad`): the function of
 * `models/layers/temporal_filter_bank.ts`, which computes it as one product of the series' overlapping
 * windows with a banded (Toeplitz) matrix, bit for bit.
 *
 * Why: the banded product multiplies every window by the whole band, zeros included (about twice a
 * convolution's multiply-adds), and around it run a gather of the taps, 8 slices and a stack of the
 * windows, a transpose and a slice of the output; its gradients a product of the same size each, the
 * stack's `Unpack`, 8 pads and 7 additions, and the gather's segment sum. vivit's FIR filters
 * (`[32, 250, 8]` series, 8 filters of 32 taps) spent about 8 ms of a ~23 ms step there.
 *
 * Bit for bit: every output of the banded product is `acc = acc + a b` over the band's rows in order,
 * from zero, with the same (fused where the engine has relaxed SIMD) multiply-add as these products; a
 * term with a zero band entry adds a signed zero, which leaves a sum that started at `+0` unchanged. So
 * each value here is the same multiply-adds over the band's nonzero entries, in the same order:
 * - forward: `y[b, t, c, f] = sum over k of s[b c, t + k] w[k, f]` (`s` the zero-padded series), row
 *   blocks of `backends/kernels/_gemm_wasm.ts` reading `s` with a row and a depth stride of one value;
 * - input gradient: each window's gradient `sum over (t, f) of dy[t, f] band[w, t f]` in the product's
 *   order (`core/_wasm_gemm.ts`'s `gemm`, its column blocks of 8, 4 and single columns as in the product
 *   over all `2 k - 1` window columns), over the band's rows only; then each series value the sum of its
 *   (at most two) windows' gradients, as the stack's and the slices' gradients add them;
 * - taps gradient: for every output time `t` of a block, `sum over windows r of s[r, t + k] dy[r, t, f]`
 *   in order of the windows (the banded product's weight gradient, entries on the band only), then the
 *   band's diagonals summed in order of `t` from zero in float32, as the gather's segment sum adds them.
 *
 * With the helper thread (`core/_helper_thread.ts`), it computes the last windows' gradients as whole rows of
 * the banded product (the same function, the same bits), on copies of their `dy` rows and of the band in its
 * memory, while this thread computes the other windows' gradients and the taps' gradient: about as many
 * multiply-adds each (the banded product's three products were split with it row by row before).
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs-core";
import { type GemmKernels, gemmKernels } from "./_gemm_wasm.ts";
import { rowPasses } from "../../core/_gemm_passes.ts";
import {
  heapByteOffset,
  heapKernel,
  heapMemory,
  type WasmHeapBackend,
  type WasmHeapInternals,
} from "./_heap_kernel.ts";
import { disposeInfo, type KernelArgs, transpose, WASM } from "./_wasm_ops.ts";
import { helperThread, SPLIT_MIN_PRODUCT, TASKS } from "../../core/_helper_thread.ts";

/** The kernels' names. */
export const FIR_FILTER_BANK_KERNEL = "MegflowFirFilterBank";
export const FIR_FILTER_BANK_GRAD_KERNEL = "MegflowFirFilterBankGrad";

let computed = 0;
let split = 0;

/** How many filter bank gradients shared their windows' gradients with the helper thread (tests). */
export function firFilterBankSplitCount(): number {
  return split;
}

/** How many filter bank kernels (forward or gradient) have run since the process started (tests). */
export function firFilterBankKernelCount(): number {
  return computed;
}

/**
 * The geometry of `temporal_filter_bank.ts`'s banded product for `nTimes` frames and `taps` taps:
 * blocks of `block` output frames, windows of `window` frames, `nBlocks` windows per series, `before`
 * zeros before the series; `padded` frames of the zero-padded series kept here (`nTimes + taps - 1`).
 *
 * @example
 * ```ts
 * import { firGeometry } from "./fir_filter_bank.ts";
 * import { assertEquals } from "@std/assert";
 *
 * // vivit's bank: 250 frames, 32 taps: 8 windows of 63 frames per series, 15 zeros before
 * assertEquals(firGeometry(250, 32), { block: 32, window: 63, nBlocks: 8, before: 15, padded: 281 });
 * ```
 */
export function firGeometry(nTimes: number, taps: number) {
  const block = Math.min(taps, nTimes);
  return {
    block,
    window: block + taps - 1,
    nBlocks: Math.ceil(nTimes / block),
    before: Math.floor((taps - 1) / 2),
    padded: nTimes + taps - 1,
  };
}

function heapOf(backend: tf.KernelBackend, name: string): { memory: WebAssembly.Memory; f: GemmKernels } {
  const memory = heapMemory(backend);
  if (memory === null) throw new Error(`${name}: needs the wasm backend's heap`);
  return { memory, f: gemmKernels(memory) };
}

/**
 * Forward: inputs `x` `[batch, nTimes, channels]` and `taps` `[taps, 1, 1, filters]` (float32,
 * `filters` a multiple of 8); outputs `y` `[batch, nTimes, channels, filters]` and the zero-padded
 * series `[batch * channels, nTimes + taps - 1]` that the gradient reads.
 */
function firFilterBank(args: KernelArgs): tf.TensorInfo[] {
  const backend = args.backend as WasmHeapInternals;
  const { x, taps } = args.inputs as { x: tf.TensorInfo; taps: tf.TensorInfo };
  const [batch, nTimes, channels] = x.shape;
  const [k, , , filters] = taps.shape;
  const { before, padded } = firGeometry(nTimes, k);
  const { memory, f } = heapOf(backend, FIR_FILTER_BANK_KERNEL);
  const series = backend.makeOutput([batch * channels, padded], "float32");
  const y = backend.makeOutput([batch, nTimes, channels, filters], "float32");
  const [px, ps, pw, py] = [x, series, taps, y].map((info) => heapByteOffset(backend, info));
  const heap = new Float32Array(memory.buffer);
  const s0 = ps >> 2, x0 = px >> 2;
  heap.fill(0, s0, s0 + batch * channels * padded);
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < nTimes; t++) {
      const from = x0 + (b * nTimes + t) * channels, to = s0 + b * channels * padded + before + t;
      for (let c = 0; c < channels; c++) heap[to + c * padded] = heap[from + c];
    }
  }
  // per series: y[t, :] = sum over k of s[t + k] w[k, :] (rows t one value apart, depth one value apart)
  for (let b = 0; b < batch; b++) {
    for (const [gemm, blocks, row] of rowPasses(f, nTimes)) {
      if (blocks === 0) continue;
      gemm(
        ps + 4 * (b * channels * padded + row),
        pw,
        py + 4 * ((b * nTimes + row) * channels * filters),
        0,
        blocks,
        filters >> 3,
        k,
        4,
        4,
        4 * filters,
        4 * channels * filters,
        channels,
        4 * padded,
        0,
        4 * filters,
        0,
        0,
      );
    }
  }
  computed++;
  return [y, series];
}

/**
 * Of `rows` windows, how many this thread computes the input gradient of when the helper thread takes the rest
 * (as whole rows of the banded product, `width x window` multiply-adds each): as many as balance the two
 * threads' multiply-adds, this thread's including the taps' gradient of every window.
 */
function ownRows(rows: number, width: number, window: number, block: number, k: number, filters: number): number {
  let banded = 0; // multiply-adds per window of this thread's input gradient (the band's rows only)
  for (let col = 0; col < window; col += 8) {
    const n = Math.min(8, window - col);
    banded += (Math.min(block - 1, col + n - 1) - Math.max(0, col - k + 1) + 1) * filters * n;
  }
  const full = width * window, taps = rows * block * k * filters;
  return Math.max(0, Math.min(rows, Math.round((rows * full - taps) / (full + banded))));
}

/** Rows of the windows per pass of the gradients' products (their operands stay in the caches). */
const ROW_CHUNK = 128;

/** One gradient's sizes, the element offsets of its operands on the heap, the heap and its product kernel. */
interface GradPlan {
  nSeries: number;
  nTimes: number;
  channels: number;
  filters: number;
  k: number;
  block: number;
  window: number;
  nBlocks: number;
  before: number;
  padded: number;
  rows: number;
  width: number;
  heap: Float32Array;
  kernel: NonNullable<ReturnType<typeof heapKernel>>;
  /** `dy` by series, the banded product's `dy` rows, its windows, the band's transpose, the windows' gradients. */
  pdyT: number;
  pdy: number;
  pwin: number;
  pband: number;
  pdwin: number;
  /** The band's weight gradient on its diagonals, the padded series, the taps, `dx`, the taps' gradient. */
  pdiag: number;
  ps: number;
  pw: number;
  pdx: number;
  pdt: number;
}

/** The banded product's operands: its `dy` rows (zero after the last frame), its windows and the band's transpose. */
function fillOperands(p: GradPlan): void {
  const { heap, nSeries, nTimes, filters, nBlocks, width, block, window, padded, k } = p;
  for (let i = 0; i < nSeries; i++) {
    const to = p.pdy + i * nBlocks * width, from = p.pdyT + i * nTimes * filters;
    heap.copyWithin(to, from, from + nTimes * filters);
    heap.fill(0, to + nTimes * filters, to + nBlocks * width);
    for (let j = 0; j < nBlocks; j++) {
      const at = p.ps + i * padded + j * block, row = p.pwin + (i * nBlocks + j) * window;
      const end = Math.min(window, padded - j * block);
      heap.copyWithin(row, at, at + end);
      heap.fill(0, row + end, row + window);
    }
  }
  heap.fill(0, p.pband, p.pband + width * window);
  for (let t = 0; t < block; t++) {
    for (let tap = 0; tap < k; tap++) {
      for (let f = 0; f < filters; f++) {
        heap[p.pband + (t * filters + f) * window + t + tap] = heap[p.pw + tap * filters + f];
      }
    }
  }
}

/**
 * The input gradients of the first `mine` windows (the band's rows of each column block only) and the band's weight
 * gradient on its diagonals (for every `t` its `k` band rows, summed over all windows in order), in row chunks.
 */
function products(p: GradPlan, mine: number): void {
  const { kernel, rows, window, width, filters, block, k } = p;
  p.heap.fill(0, p.pdiag, p.pdiag + block * k * filters);
  for (let r0 = 0; r0 < rows; r0 += ROW_CHUNK) {
    const m = Math.min(ROW_CHUNK, rows - r0), own = Math.min(m, mine - r0);
    // column blocks of 8, the last 1-7 columns in one call (as the product's 4-column block and single columns)
    for (let col = 0; own > 0 && col < window; col += 8) {
      const n = Math.min(8, window - col);
      const lo = Math.max(0, col - k + 1), hi = Math.min(block - 1, col + n - 1);
      const a = p.pdy + r0 * width + lo * filters, b = p.pband + lo * filters * window + col;
      kernel.gemm(a, b, p.pdwin + r0 * window + col, own, (hi - lo + 1) * filters, n, width, window, window);
    }
    for (let t = 0; t < block; t++) {
      const a = p.pwin + r0 * window + t, b = p.pdy + r0 * width + t * filters;
      kernel.gemmTN(a, b, p.pdiag + t * k * filters, k, m, filters, window, width, filters, r0 > 0);
    }
  }
}

/**
 * {@linkcode products} for every window, or with the helper thread: the last windows' gradients as the banded
 * product computes them (all of `k`, the same bits) on copies of their `dy` rows and of the band in its memory,
 * while this thread computes the rest.
 */
function sharedProducts(p: GradPlan): void {
  const { rows, width, window, block, k, filters, heap } = p;
  const mine = ownRows(rows, width, window, block, k, filters);
  const helper = mine < rows && rows * width * window >= SPLIT_MIN_PRODUCT ? helperThread() : null;
  if (helper === null || !helper.fits((rows - mine) * (width + window) + width * window)) return products(p, rows);
  const theirs = rows - mine, sb = theirs * width, sc = sb + width * window;
  const shared = helper.reserve(sc + theirs * window);
  shared.set(heap.subarray(p.pdy + mine * width, p.pdy + rows * width), 0);
  shared.set(heap.subarray(p.pband, p.pband + width * window), sb);
  const args = [0, 4 * sb, 4 * sc, theirs, width, window, 4 * width, 4 * window, 4 * window, 0];
  helper.run(TASKS.gemm, args, () => products(p, mine));
  split++;
  heap.set(helper.f32.subarray(sc, sc + theirs * window), p.pdwin + mine * window);
}

/**
 * `dx`: each series value the sum of its (at most two) windows' gradients, as the stack's and the slices' gradients
 * add them; the taps' gradient: the band's diagonals summed in order of `t` from zero, as the gather's segment sum.
 */
function sums(p: GradPlan): void {
  const { heap, nSeries, channels, nTimes, nBlocks, window, block, before, k, filters } = p;
  heap.fill(0, p.pdx, p.pdx + nSeries * nTimes);
  for (let i = 0; i < nSeries; i++) {
    const b = Math.floor(i / channels), c = i - b * channels;
    const out = p.pdx + b * nTimes * channels + c;
    for (let j = 0; j < nBlocks; j++) {
      const row = p.pdwin + (i * nBlocks + j) * window;
      const first = Math.max(0, before - j * block), last = Math.min(window, before + nTimes - j * block);
      for (let w = first; w < last; w++) heap[out + (j * block + w - before) * channels] += heap[row + w];
    }
  }
  const size = k * filters;
  heap.fill(0, p.pdt, p.pdt + size);
  const taps = heap.subarray(p.pdt, p.pdt + size);
  for (let t = 0; t < block; t++) {
    const from = p.pdiag + t * size;
    for (let i = 0; i < size; i++) taps[i] += heap[from + i];
  }
}

/**
 * Gradient: inputs `dy` `[batch, nTimes, channels, filters]`, the padded `series` of the forward pass
 * and `taps`; outputs `dx` `[batch, nTimes, channels]` and `dTaps` (the shape of `taps`).
 */
function firFilterBankGrad(args: KernelArgs): tf.TensorInfo[] {
  const backend = args.backend as WasmHeapInternals & WasmHeapBackend;
  const { dy, series, taps } = args.inputs as { dy: tf.TensorInfo; series: tf.TensorInfo; taps: tf.TensorInfo };
  const [batch, nTimes, channels, filters] = dy.shape;
  const k = taps.shape[0];
  const geometry = firGeometry(nTimes, k);
  const { block, window, nBlocks } = geometry;
  const memory = heapMemory(backend);
  const kernel = heapKernel(backend);
  if (memory === null || kernel === null) {
    throw new Error(`${FIR_FILTER_BANK_GRAD_KERNEL}: needs the wasm backend's heap`);
  }
  const nSeries = batch * channels, rows = nSeries * nBlocks, width = block * filters;
  // dy by series: [batch * channels, nTimes, filters]
  const dyT = transpose(backend, dy, [0, 2, 1, 3]);
  const scratch = [[rows, width], [rows, window], [width, window], [rows, window], [block, k, filters]].map((shape) =>
    backend.makeOutput(shape, "float32")
  );
  const dx = backend.makeOutput([batch, nTimes, channels], "float32");
  const dTaps = backend.makeOutput(taps.shape, "float32");
  // offsets after every allocation (an allocation may grow the memory)
  const [pdyT, pdy, pwin, pband, pdwin, pdiag, ps, pw, pdx, pdt] = [dyT, ...scratch, series, taps, dx, dTaps].map((
    info,
  ) => heapByteOffset(backend, info) >> 2);
  const plan: GradPlan = {
    ...geometry,
    nSeries,
    nTimes,
    channels,
    filters,
    k,
    rows,
    width,
    heap: new Float32Array(memory.buffer),
    kernel,
    ...{ pdyT, pdy, pwin, pband, pdwin, pdiag, ps, pw, pdx, pdt },
  };
  fillOperands(plan);
  sharedProducts(plan);
  sums(plan);
  disposeInfo(backend, dyT, ...scratch);
  computed++;
  return [dx, dTaps];
}

/** The two kernel configs for the wasm backend. */
export const FIR_FILTER_BANK_CONFIGS: readonly tf.KernelConfig[] = [
  { kernelName: FIR_FILTER_BANK_KERNEL, backendName: WASM, kernelFunc: firFilterBank as unknown as tf.KernelFunc },
  {
    kernelName: FIR_FILTER_BANK_GRAD_KERNEL,
    backendName: WASM,
    kernelFunc: firFilterBankGrad as unknown as tf.KernelFunc,
  },
];
