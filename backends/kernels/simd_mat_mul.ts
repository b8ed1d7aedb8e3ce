/**
 * `BatchMatMul` and `_FusedMatMul` for the tfjs `wasm` backend on megflow's own SIMD product
 * (`_gemm_wasm.ts`): every float32 product of a training step.
 *
 * Why: tfjs's wasm products create an XNNPACK operator and pack ("copy into its layout") the
 * second operand for every new tensor, and a training step's weights and gradients are new every
 * step: ~120 µs per call before any arithmetic (`[32, 1240] x [1240, 32]` ~570 µs of CPU against
 * ~220 here). A product with a batch of more than one matrix (attention's `[batch, heads, seq,
 * seq]` scores) runs a plain scalar loop there. A weight gradient `x^T dy` over many rows
 * (`[10240, 32]^T x [10240, 64]`, tsa's MLP) went through two transposes and a packing: 11.6 ms
 * of CPU, ~3 ms here, where the sum over the 10240 rows runs in chunks of 256 (each chunk of
 * `A` and `B` stays in cache) added to `C`. And XNNPACK's wasm kernels multiply and add in two
 * instructions where the SIMD product uses a fused multiply-add (relaxed SIMD, when the engine
 * has it): vivit's tubelet embedding `[1280, 2500] x [2500, 128]` 53 -> 46 ms of CPU. The SIMD
 * product reads `A` where it is, transposed or not, in any batch; a transposed `B` is transposed
 * first by the wasm `Transpose` kernel. Values: each output is a float32 sum over `k` in order
 * (with one rounding per step where fused), as the cpu backend's up to rounding.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { deferOutput } from "./_deferred.ts";
import { gemmKernels, sharedGemmModule } from "./_gemm_wasm.ts";
import { gemmPasses, type PassPlan } from "../../core/_gemm_passes.ts";
import { type HelperThread, helperThread, splitRows, TASKS } from "../../core/_helper_thread.ts";
import { heapByteOffset, heapMemory, type WasmHeapInternals } from "./_heap_kernel.ts";
import { callKernel, type KernelArgs, transpose, WASM } from "./_wasm_ops.ts";

/** Steps along `k` per pass over `C`. */
const K_CHUNK = 256;

/** Products computed by this module's kernel since the process started (tests, diagnostics). */
let products = 0;
/** Of those, products split with the helper thread. */
let splitProducts = 0;

/** How many products the SIMD kernel has computed since the process started. */
export function simdProductCount(): number {
  return products;
}

/** How many of {@linkcode simdProductCount} were split between this thread and the helper thread. */
export function simdSplitProductCount(): number {
  return splitProducts;
}

/** Where the helper's operands start in its shared memory (float32 elements; offset 0 means "no bias"). */
const SHARED_BASE = 16;

/**
 * Runs `plan` (a single product, `C` `n8` wide) with its output rows split: this thread the first
 * `mine` rows (`splitRows`) on the heap, the helper thread the rest on copies of its rows of `op(A)`, of `B` and of the
 * bias in the shared memory, its rows of `C` copied back. Each output is computed with the same
 * instructions in the same order as by one thread ({@linkcode gemmPasses}), so bit for bit the same.
 */
function splitPasses(
  backend: WasmHeapInternals,
  helper: HelperThread,
  plan: PassPlan,
  mine: number,
  transposeA: boolean,
): void {
  const { pa, pb, pBias, m, k, n8, pc } = plan;
  const space = helper.attach(sharedGemmModule(), helper.memory);
  const theirs = m - mine;
  const [sa, sb, sBias] = [SHARED_BASE, SHARED_BASE + theirs * k, SHARED_BASE + theirs * k + k * n8];
  const sc = sBias + n8;
  const shared = helper.reserve(sc + theirs * n8);
  const heap = backend.wasm.HEAPF32;
  const [a, b] = [pa >> 2, pb >> 2];
  if (!transposeA) shared.set(heap.subarray(a + mine * k, a + m * k), sa);
  else helper.copyRows(heapMemory(backend)!, sa, a + mine, k, theirs, m, theirs);
  shared.set(heap.subarray(b, b + k * n8), sb);
  if (pBias !== 0) shared.set(heap.subarray(pBias >> 2, (pBias >> 2) + n8), sBias);
  helper.run(
    TASKS.blockGemm,
    [
      space,
      4 * sa,
      4 * sb,
      4 * sc,
      pBias === 0 ? 0 : 4 * sBias,
      theirs,
      k,
      n8,
      transposeA ? 4 : 4 * k,
      transposeA ? 4 * theirs : 4,
      plan.relu ? 1 : 0,
      plan.chunk,
    ],
    () => gemmPasses(gemmKernels(heapMemory(backend)!), { ...plan, m: mine }),
  );
  backend.wasm.HEAPF32.set(helper.f32.subarray(sc, sc + theirs * n8), (pc >> 2) + mine * n8);
  splitProducts++;
}

/** Shapes of one product `op(A) op(B)` over a batch. */
interface Plan {
  m: number;
  k: number;
  n: number;
  batch: number;
  batchA: number;
  batchB: number;
  outShape: number[];
}

/** The plan of a product this module computes, or null for the stock kernel. */
function planFor(a: tf.TensorInfo, b: tf.TensorInfo, transposeA: boolean, transposeB: boolean): Plan | null {
  if (a.dtype !== "float32" || b.dtype !== "float32" || a.shape.length < 2 || b.shape.length < 2) return null;
  const ra = a.shape.length, rb = b.shape.length;
  const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const k = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  const kb = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
  const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  if (k !== kb || m === 0 || n === 0 || k === 0) return null;
  const dimsA = a.shape.slice(0, -2), dimsB = b.shape.slice(0, -2);
  const batchA = tf.util.sizeFromShape(dimsA), batchB = tf.util.sizeFromShape(dimsB);
  let batchDims: number[];
  if (batchA === batchB && tf.util.arraysEqual(dimsA, dimsB)) batchDims = dimsA;
  else if (batchA === 1 && dimsA.length <= dimsB.length) batchDims = dimsB;
  else if (batchB === 1 && dimsB.length <= dimsA.length) batchDims = dimsA;
  else return null;
  const batch = Math.max(batchA, batchB);
  return { m, k, n, batch, batchA, batchB, outShape: [...batchDims, m, n] };
}

/**
 * `op(A) op(B) (+ bias, relu)` on the SIMD kernel. `B` (when transposed or its width is not a
 * multiple of 8), the bias and `C` (width not a multiple of 8) go through zero-padded copies.
 */
function product(
  backend: WasmHeapInternals,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
  plan: Plan,
  bias: tf.TensorInfo | null,
  relu: boolean,
): tf.TensorInfo {
  const { m, k, n, batch, batchA, batchB } = plan;
  const n8 = Math.ceil(n / 8) * 8;
  const direct = n8 === n;
  const out = backend.makeOutput(plan.outShape, "float32");
  const temps: tf.TensorInfo[] = [];
  const scratch = (size: number) => {
    const info = backend.makeOutput([size], "float32");
    temps.push(info);
    return info;
  };
  // B^T by the wasm Transpose kernel (one pass), then as a plain B.
  const plainB = transposeB ? transpose(backend, b, swapLastTwo(b.shape.length)) : b;
  if (plainB !== b) temps.push(plainB);
  const packedB = !direct ? scratch(batchB * k * n8) : null;
  const packedBias = bias !== null && !direct ? scratch(n8) : null;
  const paddedC = direct ? null : scratch(batch * m * n8);
  // Offsets after every allocation (an allocation may grow the memory).
  const heap = backend.wasm.HEAPF32;
  const pa = heapByteOffset(backend, a);
  let pb = heapByteOffset(backend, plainB);
  let pBias = bias === null ? 0 : heapByteOffset(backend, bias);
  if (packedB !== null) {
    const dst = heapByteOffset(backend, packedB) >> 2;
    packB(heap, pb >> 2, dst, batchB, k, n, n8);
    pb = dst << 2;
  }
  if (packedBias !== null) {
    const dst = heapByteOffset(backend, packedBias);
    heap.fill(0, dst >> 2, (dst >> 2) + n8);
    heap.copyWithin(dst >> 2, pBias >> 2, (pBias >> 2) + n);
    pBias = dst;
  }
  const pc = heapByteOffset(backend, paddedC ?? out);
  const rowStride = transposeA ? 4 : 4 * k, kStride = transposeA ? 4 * m : 4;
  const sa = batchA > 1 ? 4 * m * k : 0, sb = batchB > 1 ? 4 * k * n8 : 0, sc = 4 * m * n8;
  const passes: PassPlan = { pa, pb, pc, pBias, m, k, n8, rowStride, kStride, batch, sa, sb, sc, relu, chunk: K_CHUNK };
  const mine = batch === 1 ? splitRows(m, k, n8) : 0;
  const helper = mine > 0 ? helperThread() : null;
  if (helper !== null && helper.fits(SHARED_BASE + m * k + k * n8 + n8 + m * n8)) {
    splitPasses(backend, helper, passes, mine, transposeA);
  } else {
    gemmPasses(gemmKernels(heapMemory(backend)!), passes);
  }
  if (paddedC !== null) {
    copyRows(new Int32Array(heap.buffer), pc >> 2, n8, heapByteOffset(backend, out) >> 2, n, batch * m, n);
  }
  for (const info of temps) backend.disposeData(info.dataId);
  products++;
  return out;
}

/** Copies `B` (`[batch, k, n]`) to `[batch, k, n8]`, zero-padded. */
function packB(heap: Float32Array, src: number, dst: number, batch: number, k: number, n: number, n8: number): void {
  heap.fill(0, dst, dst + batch * k * n8);
  copyRows(new Int32Array(heap.buffer), src, n, dst, n8, batch * k, n);
}

/** Rows shorter than this are copied word by word (a `copyWithin` call costs more than a short row). */
const SHORT_ROW = 32;

/**
 * Copies `count` rows of `n` 4-byte words, `srcStride` words apart from `src`, to rows `dstStride`
 * words apart from `dst` (every bit, NaN payloads too: the words are integers): a `copyWithin`
 * per row, or for short rows a loop over the words (attention's `[1280, 4, 4]` scores: 5120 rows
 * of 4 values, 20480 rows of `B`).
 */
function copyRows(
  words: Int32Array,
  src: number,
  srcStride: number,
  dst: number,
  dstStride: number,
  count: number,
  n: number,
): void {
  if (n >= SHORT_ROW) {
    for (let row = 0; row < count; row++) {
      words.copyWithin(dst + row * dstStride, src + row * srcStride, src + row * srcStride + n);
    }
    return;
  }
  for (let row = 0; row < count; row++) {
    const [from, to] = [src + row * srcStride, dst + row * dstStride];
    for (let j = 0; j < n; j++) words[to + j] = words[from + j];
  }
}

/** The permutation that swaps the last two of `rank` axes. */
function swapLastTwo(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, i) => i);
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return perm;
}

/**
 * A `BatchMatMul` config computing on the SIMD product the products it plans that have at least
 * `minProduct` multiply-adds, and handing the others to `next`. A product `a @ b^T` is deferred
 * as `next` defers it (`batch_mat_mul.ts`: a dense layer's unused input gradient).
 */
function batchMatMulConfig(next: tf.KernelConfig, minProduct: number): tf.KernelConfig {
  function batchMatMul(args: KernelArgs): tf.TensorInfo {
    const backend = args.backend as WasmHeapInternals;
    const a = args.inputs.a as tf.TensorInfo;
    const b = args.inputs.b as tf.TensorInfo;
    const { transposeA, transposeB } = args.attrs as unknown as tf.BatchMatMulAttrs;
    const plan = heapMemory(backend) === null ? null : planFor(a, b, transposeA, transposeB);
    if (plan === null || plan.batch * plan.m * plan.n * plan.k < minProduct) return callKernel(next, args);
    if (transposeB && !transposeA && plan.batchA === plan.batchB) {
      return deferOutput(backend, plan.outShape, [a, b], () => product(backend, a, b, false, true, plan, null, false));
    }
    return product(backend, a, b, transposeA, transposeB, plan, null, false);
  }
  return {
    ...next,
    kernelName: tf.BatchMatMul,
    backendName: WASM,
    kernelFunc: batchMatMul as unknown as tf.KernelFunc,
  };
}

/**
 * Kernel config for `BatchMatMul` on the SIMD product, falling back to `next` (the kernel it
 * replaces) for anything it does not handle. A product `a @ b^T` is deferred as `next` defers it
 * (`batch_mat_mul.ts`: a dense layer's unused input gradient).
 *
 * @param next the `BatchMatMul` config registered before this one
 * @returns the replacement config
 */
export function simdBatchMatMulConfig(next: tf.KernelConfig): tf.KernelConfig {
  return batchMatMulConfig(next, 0);
}

/** Products with at least this many multiply-adds go to this module's kernel first. */
export const LARGE_PRODUCT = 1 << 26;

/**
 * Kernel config for `BatchMatMul` that computes large products (at least {@linkcode LARGE_PRODUCT}
 * multiply-adds: vivit's tubelet embedding `[1280, 2500] x [2500, 128]` and its weight gradient,
 * 36.6 and 35.1 ms of CPU here against 45.5 and 40.1 in `gemm_mat_mul.ts`) on the SIMD product and
 * hands every other product to `next`.
 *
 * @param next the `BatchMatMul` config for the other products
 * @returns the replacement config
 */
export function largeSimdBatchMatMulConfig(next: tf.KernelConfig): tf.KernelConfig {
  return batchMatMulConfig(next, LARGE_PRODUCT);
}

/**
 * Kernel config for `_FusedMatMul` (every tfjs-layers `Dense`) on the SIMD product when the
 * activation is linear or relu and the bias, if any, is one value per output column; otherwise
 * (and for large single products) the stock kernel.
 *
 * @param stock the stock wasm `_FusedMatMul` config
 * @returns the replacement config
 */
export function simdFusedMatMulConfig(stock: tf.KernelConfig): tf.KernelConfig {
  function fusedMatMul(args: KernelArgs): tf.TensorInfo {
    const backend = args.backend as WasmHeapInternals;
    const { a, b, bias, preluActivationWeights } = args.inputs as Record<string, tf.TensorInfo | undefined>;
    const attrs = args.attrs as unknown as tf._FusedMatMulAttrs;
    const activation = attrs.activation ?? "linear";
    if (preluActivationWeights != null || (activation !== "linear" && activation !== "relu")) {
      return callKernel(stock, args);
    }
    const plan = heapMemory(backend) === null ? null : planFor(a!, b!, attrs.transposeA, attrs.transposeB);
    if (plan === null) return callKernel(stock, args);
    if (bias != null && (bias.shape.length !== 1 || bias.shape[0] !== plan.n || bias.dtype !== "float32")) {
      return callKernel(stock, args);
    }
    return product(backend, a!, b!, attrs.transposeA, attrs.transposeB, plan, bias ?? null, activation === "relu");
  }
  return {
    ...stock,
    kernelName: tf._FusedMatMul,
    backendName: WASM,
    kernelFunc: fusedMatMul as unknown as tf.KernelFunc,
  };
}
