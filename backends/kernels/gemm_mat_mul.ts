/**
 * Plain matrix products (`BatchMatMul` and `_FusedMatMul` without transposes, a batch of one)
 * for the tfjs `wasm` backend on megflow's WebAssembly SIMD product (`core/_wasm_gemm.ts`),
 * which reads and writes the tensors where they are, on the backend's heap (its instance imports
 * the backend's memory).
 *
 * Why: XNNPACK packs the second operand on every call (tfjs keeps no packed weights across
 * steps for these), and its micro-kernels for 128-bit SIMD use a multiply and an add where
 * the relaxed-SIMD fused multiply-add is available. On the shapes of the recurrent models'
 * training steps (`[4000, 248] x [248, 64]`, `[4000, 64] x [64, 192]`, `[38400, 40] x [40, 16]`)
 * this product takes about half XNNPACK's CPU time. Transposed products reach it through
 * `batch_mat_mul.ts`, which transposes explicitly and then asks for a plain product.
 *
 * Anything else (a batch of several, non-float32, a fused activation other than `linear`, a
 * PReLU, a bias that is not a vector over the columns, a backend without an importable memory)
 * goes to the stock kernel.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type { WasmKernel } from "../../core/_wasm_gemm.ts";
import { type HelperThread, helperThread, splitRows, TASKS } from "../../core/_helper_thread.ts";
import {
  heapByteOffset,
  heapKernel,
  heapMemory,
  heapOffset,
  type WasmHeapBackend,
  type WasmHeapInternals,
} from "./_heap_kernel.ts";
import { deferOutputInPlace } from "./_deferred.ts";
import { gemmKernels } from "./_gemm_wasm.ts";
import { gemmPasses } from "../../core/_gemm_passes.ts";
import { addPendingTransposer, type LazyTranspose, lazyTransposeOf } from "./transpose.ts";
import { isDeferred } from "../../core/_deferred.ts";
import { callKernel, disposeInfo, type KernelArgs, reshape, transpose, WASM } from "./_wasm_ops.ts";

/** Products computed by this file's kernels since the process started (for tests). */
let computed = 0;
/** Of those, products split with the helper thread. */
let split = 0;
/** Of those, products that read a pending transpose's input instead of the transpose. */
let folded = 0;

/** How many products the WebAssembly product kernels of this file have computed. */
export function gemmProducts(): number {
  return computed;
}

/** How many of {@linkcode gemmProducts} were split between this thread and the helper thread. */
export function gemmSplitProducts(): number {
  return split;
}

/** How many of {@linkcode gemmProducts} read a pending transpose's input in place of the transpose. */
export function gemmFoldedTransposes(): number {
  return folded;
}

/** Every leading (batch) dimension of `x` is 1. */
const singleBatch = (x: tf.TensorInfo) => x.shape.length >= 2 && x.shape.slice(0, -2).every((n) => n === 1);

const at = heapOffset;

/** Rows of `a` and `b` per call of `gemmTN`: the panels of both stay in the caches. */
const DEPTH_CHUNK = 128;

/** `[m, k, n]` of `op(a) op(b)` when both are single float32 matrices with matching depths, else null. */
function dims(a: tf.TensorInfo, b: tf.TensorInfo, transposeA: boolean, transposeB: boolean): number[] | null {
  if (a.dtype !== "float32" || b.dtype !== "float32" || !singleBatch(a) || !singleBatch(b)) return null;
  const [a0, a1] = a.shape.slice(-2);
  const [b0, b1] = b.shape.slice(-2);
  const [m, k] = transposeA ? [a1, a0] : [a0, a1];
  const [k2, n] = transposeB ? [b1, b0] : [b0, b1];
  return k === k2 ? [m, k, n] : null;
}

/** The output `[...batch of ones, m, n]` (the longer batch of the two, as the stock kernels). */
function makeProduct(backend: WasmHeapBackend, a: tf.TensorInfo, b: tf.TensorInfo, m: number, n: number) {
  const batch = a.shape.length >= b.shape.length ? a.shape.slice(0, -2) : b.shape.slice(0, -2);
  return backend.makeOutput([...batch, m, n], "float32");
}

/** `a b (+ bias)`, or `a^T b` with `transposeA`, on the heap (into `into`, when given, instead of a new output). */
function product(
  backend: WasmHeapBackend,
  kernel: WasmKernel,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  transposeA: boolean,
  bias?: tf.TensorInfo,
  into?: tf.TensorInfo,
): tf.TensorInfo {
  const [m, k, n] = dims(a, b, transposeA, false)!;
  const out = into ?? makeProduct(backend, a, b, m, n);
  computed++;
  const mine = splitRows(m, k, n);
  const helper = mine > 0 ? helperThread() : null;
  const split = helper !== null && helper.fits(operandFloats(m, k, n));
  // a product the helper shares runs as before, on the copy; else, before any offset of `a` is read
  // (reading it would compute a pending transpose), the input of a pending transpose is read in place
  const lazy = !split && n % 8 === 0 ? lazyTransposeOf(backend, a.dataId) : null;
  if (lazy !== null && lazy.batch * lazy.cols === (transposeA ? k : m) && lazy.rows === (transposeA ? m : k)) {
    foldedProduct(backend, lazy, b, out, transposeA, bias);
    return out;
  }
  const c = at(backend, out);
  if (bias !== undefined && m > 0) {
    const heap = backend.typedArrayFromHeap(out) as Float32Array;
    heap.set(backend.typedArrayFromHeap(bias) as Float32Array, 0);
    for (let rows = 1; rows < m; rows *= 2) heap.copyWithin(rows * n, 0, Math.min(rows, m - rows) * n);
  }
  // the inputs' offsets are read after makeOutput, which may have grown (not moved) the heap
  const [pa, pb] = [at(backend, a), at(backend, b)];
  if (split) {
    splitProduct(kernel, helper!, { pa, pb, c, m, k, n }, mine, transposeA, bias !== undefined);
  } else if (!transposeA) {
    kernel.gemm(pa, pb, c, m, k, n, k, n, n, bias !== undefined);
  } else if (k === 0) {
    (backend.typedArrayFromHeap(out) as Float32Array).fill(0);
  } else {
    for (let p = 0; p < k; p += DEPTH_CHUNK) {
      kernel.gemmTN(pa + p * m, pb + p * n, c, m, Math.min(DEPTH_CHUNK, k - p), n, m, n, n, p > 0);
    }
  }
  return out;
}

/**
 * `a b (+ bias)` or `a^T b` where `a` (`[batch * cols, rows]`) is a pending transpose of `lazy.source`
 * (`batch` matrices `[rows, cols]`, vivit_cross's `[32, 5, 50, 400]` before its cell filters), computed
 * from the source where it is, so the transpose is never written (it is dropped unread when nothing else
 * reads it). The SIMD row blocks of `_gemm_wasm.ts` read `op(A)` through a row and a depth stride:
 * `a b` is one product per source matrix (`X_i^T B`: rows one value apart, depth one source row
 * apart); `a^T b` sums `X_i B_i` over the matrices in order, each added to `C`. Every output is
 * the same sum as {@linkcode product} computes from the transposed copy (`acc = acc + a b` in
 * order of `k`, fused or not as the copy's product, from zero or the bias), so bit for bit the same
 * values. `n` is a multiple of 8 (the row blocks' width). One thread: a product that
 * `splitRows` shares with the helper thread (tsa's and cnn's projections of their input windows,
 * when a core is free) reads the transposed copy as before.
 */
function foldedProduct(
  backend: WasmHeapBackend,
  lazy: LazyTranspose,
  b: tf.TensorInfo,
  out: tf.TensorInfo,
  transposeA: boolean,
  bias?: tf.TensorInfo,
): void {
  // byte offsets from the backend's records: reading a view would compute a pending tensor
  const offset = (x: tf.TensorInfo) => heapByteOffset(backend as unknown as WasmHeapInternals, x);
  const { batch, rows, cols } = lazy;
  const n = out.shape[out.shape.length - 1];
  const kernels = gemmKernels(heapMemory(backend)!);
  const [px, pb, pc] = [offset(lazy.source), offset(b), offset(out)];
  const common = { pc, n8: n, relu: false };
  if (!transposeA) {
    // C[i cols + c, :] = sum over r of X_i[r, c] B[r, :]
    gemmPasses(kernels, {
      ...common,
      pa: px,
      pb,
      pBias: bias === undefined ? 0 : offset(bias),
      m: cols,
      k: rows,
      rowStride: 4,
      kStride: 4 * cols,
      batch,
      sa: 4 * rows * cols,
      sb: 0,
      sc: 4 * cols * n,
      chunk: rows,
    });
  } else {
    // C = sum over i of X_i B_i (B_i: rows i cols ... (i + 1) cols of b), one whole matrix per pass
    const plan = { ...common, pa: px, pb, pBias: 0, m: rows, k: cols, rowStride: 4 * cols, kStride: 4, chunk: cols };
    gemmPasses(kernels, { ...plan, batch: 1, sa: 0, sb: 0, sc: 0 });
    if (batch > 1) {
      const [sa, sb] = [4 * rows * cols, 4 * cols * n];
      gemmPasses(kernels, { ...plan, pa: px + sa, pb: pb + sb, batch: batch - 1, sa, sb, sc: 0, accumulate: true });
    }
  }
  folded++;
}

/** Floats of the helper's operands in its shared memory (at most: all of `a`, `b`, `c`). */
const operandFloats = (m: number, k: number, n: number) => m * k + k * n + m * n;

/** Heap offsets (float32 elements) and sizes of one product. */
interface Operands {
  pa: number;
  pb: number;
  c: number;
  m: number;
  k: number;
  n: number;
}

/**
 * `a b` (+ the bias already in `c`) or `a^T b` with the output rows split between this thread
 * (the first half, on the heap) and the helper thread (the rest, on copies of its operands in
 * the shared memory, copied back): every output is computed with the same instructions in the
 * same order as {@linkcode product} computes it on one thread, so the result is bit for bit the
 * same. This thread keeps the first `mine` rows (`splitRows`).
 */
function splitProduct(
  kernel: WasmKernel,
  helper: HelperThread,
  { pa, pb, c, m, k, n }: Operands,
  mine: number,
  transposeA: boolean,
  accumulate: boolean,
): void {
  const theirs = m - mine;
  const heap = () => new Float32Array(kernel.memory.buffer as ArrayBuffer); // the heap may have grown
  if (!transposeA) {
    // helper: rows [mine, m) of a [m, k], all of b [k, n], rows of c (with the bias when accumulating)
    const [sa, sb, sc] = [0, theirs * k, theirs * k + k * n];
    const shared = helper.reserve(sc + theirs * n);
    shared.set(heap().subarray(pa + mine * k, pa + m * k), sa);
    shared.set(heap().subarray(pb, pb + k * n), sb);
    if (accumulate) shared.set(heap().subarray(c + mine * n, c + m * n), sc);
    helper.run(
      TASKS.gemm,
      [4 * sa, 4 * sb, 4 * sc, theirs, k, n, 4 * k, 4 * n, 4 * n, accumulate ? 1 : 0],
      () => kernel.gemm(pa, pb, c, mine, k, n, k, n, n, accumulate),
    );
    heap().set(helper.f32.subarray(sc, sc + theirs * n), c + mine * n);
  } else {
    // a is [k, m]: the helper's output rows are its columns [mine, m), copied as [k, theirs]
    const [sa, sb, sc] = [0, k * theirs, k * theirs + k * n];
    const shared = helper.reserve(sc + theirs * n);
    helper.copyRows(kernel.memory, sa, pa + mine, k, theirs, m, theirs);
    shared.set(heap().subarray(pb, pb + k * n), sb);
    helper.run(
      TASKS.gemmTNChunked,
      [4 * sa, 4 * sb, 4 * sc, theirs, k, n, 4 * theirs, 4 * n, 4 * n, DEPTH_CHUNK],
      () => {
        for (let p = 0; p < k; p += DEPTH_CHUNK) {
          kernel.gemmTN(pa + p * m, pb + p * n, c, mine, Math.min(DEPTH_CHUNK, k - p), n, m, n, n, p > 0);
        }
      },
    );
    heap().set(helper.f32.subarray(sc, sc + theirs * n), c + mine * n);
  }
  split++;
}

/** A deferred `a b^T` single product: `a` `[m, k]`, `b` `[n, k]` (each possibly with leading ones). */
interface LazyProduct {
  a: tf.TensorInfo;
  b: tf.TensorInfo;
  m: number;
  k: number;
  n: number;
}

/** The inputs and sizes of each deferred `a b^T` product, by the output's data. */
const lazyProducts = new WeakMap<object, LazyProduct>();
let transposedProducts = 0;

/** How many transposes of pending `a b^T` products were computed as products of their own (tests). */
export function gemmTransposedProducts(): number {
  return transposedProducts;
}

/**
 * The transpose of the last two axes of `x`, a reshape `[batch..., rows, cols]` of a pending `a b^T` product
 * (`batch * rows = m`, `cols = n`, `rows` a multiple of 8), computed without the product: block `i` of the
 * output is `b A_i^T` (`[n, k] x [k, rows]`, `A_i` rows `i rows ... (i + 1) rows` of `a`, transposed first by the
 * SIMD copy), through the row blocks of `_gemm_wasm.ts`. Each value is `sum over s of a[j, s] b[c, s]` in order
 * of `s`, from zero, with the same multiply-add as the product's: the bits of the product's transpose (vivit's
 * spatial filters' input gradient `[1280, 8] x [400, 8]^T`, transposed back to `[32, 5, 400, 8]`). Else null.
 */
function transposedProduct(kernelBackend: tf.KernelBackend, x: tf.TensorInfo): tf.TensorInfo | null {
  const lazy = lazyProducts.get(x.dataId);
  if (lazy === undefined || !isDeferred(kernelBackend, x.dataId)) return null;
  const backend = kernelBackend as WasmHeapBackend;
  const [rows, cols] = x.shape.slice(-2);
  const batch = lazy.m / rows;
  if (cols !== lazy.n || rows % 8 !== 0 || !Number.isInteger(batch) || heapMemory(backend) === null) return null;
  const offset = (t: tf.TensorInfo) => heapByteOffset(backend as unknown as WasmHeapInternals, t);
  const perm = x.shape.map((_, i) => i);
  [perm[perm.length - 2], perm[perm.length - 1]] = [perm.length - 1, perm.length - 2];
  const out = backend.makeOutput(perm.map((axis) => x.shape[axis]), "float32");
  const blocks = reshape(backend, lazy.a, [batch, rows, lazy.k]);
  const aT = transpose(backend, blocks, [0, 2, 1]);
  // offsets after every allocation (an allocation may grow the memory)
  const [pb, pa, pc] = [offset(lazy.b), offset(aT), offset(out)];
  const k = lazy.k;
  gemmPasses(gemmKernels(heapMemory(backend)!), {
    pa: pb,
    pb: pa,
    pc,
    pBias: 0,
    m: cols,
    k,
    n8: rows,
    rowStride: 4 * k,
    kStride: 4,
    batch,
    sa: 0,
    sb: 4 * k * rows,
    sc: 4 * cols * rows,
    relu: false,
    chunk: k,
  });
  disposeInfo(backend, blocks, aT);
  transposedProducts++;
  return out;
}

addPendingTransposer(transposedProduct);

/**
 * Kernel config for `BatchMatMul` that computes single float32 products itself (`a b`, `a^T b`,
 * and `a b^T` deferred as `batch_mat_mul.ts` does, with `b` transposed first), and passes batched
 * ones and `a^T b^T` to `inner`.
 *
 * @param inner the wasm `BatchMatMul` kernel config to fall back to
 * @returns the replacement config
 */
export function gemmBatchMatMulConfig(inner: tf.KernelConfig): tf.KernelConfig {
  function batchMatMul(args: KernelArgs): tf.TensorInfo {
    const backend = args.backend as WasmHeapBackend;
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = args.attrs as unknown as tf.BatchMatMulAttrs;
    const shape = transposeA && transposeB ? null : dims(a, b, transposeA, transposeB);
    const kernel = shape === null ? null : heapKernel(backend);
    if (shape === null || kernel === null) return callKernel(inner, args);
    if (!transposeB) return product(backend, kernel, a, b, transposeA);
    const [m, , n] = shape;
    const outShape = [...(a.shape.length >= b.shape.length ? a.shape : b.shape).slice(0, -2), m, n];
    // computed into the output when read (no copy of the product); a reshape does not read it, and its
    // transpose is computed as a product of its own (transposedProduct)
    const out = deferOutputInPlace(backend, outShape, [a, b], (target) => {
      const perm = b.shape.map((_, i) => i);
      [perm[perm.length - 2], perm[perm.length - 1]] = [perm.length - 1, perm.length - 2];
      const bPlain = transpose(backend, b, perm);
      product(backend, kernel, a, bPlain, false, undefined, target);
      disposeInfo(backend, bPlain);
    }, true);
    lazyProducts.set(out.dataId, { a, b, m, k: shape[1], n });
    return out;
  }
  return {
    ...inner,
    kernelName: tf.BatchMatMul,
    backendName: WASM,
    kernelFunc: batchMatMul as unknown as tf.KernelFunc,
  };
}

/**
 * Kernel config for `_FusedMatMul` (a dense layer's `x W + b`) that computes untransposed
 * single products with a vector bias and no activation itself, falling back to `stock`.
 *
 * @param stock the stock wasm `_FusedMatMul` kernel config
 * @returns the replacement config
 */
export function gemmFusedMatMulConfig(stock: tf.KernelConfig): tf.KernelConfig {
  function fusedMatMul(args: KernelArgs): tf.TensorInfo {
    const { a, b, bias, preluActivationWeights } = args.inputs as Record<string, tf.TensorInfo | undefined>;
    const { transposeA, transposeB, activation } = args.attrs as unknown as {
      transposeA: boolean;
      transposeB: boolean;
      activation?: string;
    };
    const plain = !transposeA && !transposeB && (activation === undefined || activation === "linear") &&
      preluActivationWeights == null && a !== undefined && b !== undefined;
    const backend = args.backend as WasmHeapBackend;
    const kernel = plain ? heapKernel(backend) : null;
    const vectorBias = bias == null ||
      (bias.dtype === "float32" && bias.shape.length === 1 && bias.shape[0] === b!.shape[b!.shape.length - 1]);
    if (kernel === null || !vectorBias || dims(a!, b!, false, false) === null) return callKernel(stock, args);
    return product(backend, kernel, a!, b!, false, bias ?? undefined);
  }
  return {
    ...stock,
    kernelName: tf._FusedMatMul,
    backendName: WASM,
    kernelFunc: fusedMatMul as unknown as tf.KernelFunc,
  };
}
