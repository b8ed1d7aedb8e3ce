/**
 * `BatchMatMul` and `_FusedMatMul` for the tfjs `wasm` backend on megflow's own SIMD product
 * (`_gemm_wasm.ts`) for the small and batched products of a training step.
 *
 * Why: tfjs's wasm products cost ~100-150 µs per call before any arithmetic (an XNNPACK operator
 * is created, and its second operand packed, for every new tensor: a training step's weights and
 * gradients are new every step), `[32, 1240] x [1240, 32]` ~1.9 ms where the arithmetic takes
 * ~0.4 ms; and a product with a batch of more than one matrix (attention's `[batch, heads, seq,
 * seq]` scores) runs a plain scalar loop. The SIMD product here reads both operands where they
 * are, transposed or not, in any batch: the `[8, 16] x [16, 8]` product costs ~1 µs instead of
 * ~120. Large single products (at least {@linkcode LARGE_PRODUCT} multiply-adds) stay with
 * XNNPACK, whose packed kernel is faster there. Values: each output is the float32 sum over `k`
 * in order, as XNNPACK's (bit-identical in the tests' products) and the cpu backend's up to rounding.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { deferOutput } from "./_deferred.ts";
import { gemmKernels } from "./_gemm_wasm.ts";
import { callKernel, type KernelArgs, WASM } from "./_wasm_ops.ts";

/** Single products with at least this many multiply-adds go to the stock (XNNPACK) kernel. */
export const LARGE_PRODUCT = 1 << 23;

/** Products computed by this module's kernel since the process started (tests, diagnostics). */
let products = 0;

/** How many products the SIMD kernel has computed since the process started. */
export function simdProductCount(): number {
  return products;
}

/** The wasm backend internals the product works with. */
interface WasmBackend extends tf.KernelBackend {
  wasm: { asm: { memory: WebAssembly.Memory }; HEAPF32: Float32Array };
  dataIdMap: { get(dataId: object): { memoryOffset: number } };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
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
  if (batch === 1 && m * n * k >= LARGE_PRODUCT) return null;
  return { m, k, n, batch, batchA, batchB, outShape: [...batchDims, m, n] };
}

/** Byte offset of a tensor's values on the wasm heap. */
function offsetOf(backend: WasmBackend, info: tf.TensorInfo): number {
  return backend.dataIdMap.get(info.dataId).memoryOffset;
}

/**
 * `op(A) op(B) (+ bias, relu)` on the SIMD kernel. `B` (when transposed or its width is not a
 * multiple of 8), the bias and `C` (width not a multiple of 8) go through zero-padded copies.
 */
function product(
  backend: WasmBackend,
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
  const packedB = transposeB || !direct ? scratch(batchB * k * n8) : null;
  const packedBias = bias !== null && !direct ? scratch(n8) : null;
  const paddedC = direct ? null : scratch(batch * m * n8);
  // Offsets after every allocation (an allocation may grow the memory).
  const heap = backend.wasm.HEAPF32;
  const pa = offsetOf(backend, a);
  let pb = offsetOf(backend, b);
  let pBias = bias === null ? 0 : offsetOf(backend, bias);
  if (packedB !== null) {
    const dst = offsetOf(backend, packedB) >> 2;
    packB(heap, pb >> 2, dst, batchB, k, n, n8, transposeB);
    pb = dst << 2;
  }
  if (packedBias !== null) {
    const dst = offsetOf(backend, packedBias);
    heap.fill(0, dst >> 2, (dst >> 2) + n8);
    heap.copyWithin(dst >> 2, pBias >> 2, (pBias >> 2) + n);
    pBias = dst;
  }
  const pc = offsetOf(backend, paddedC ?? out);
  const { gemm4, gemm1 } = gemmKernels(backend.wasm.asm.memory);
  const rowStride = transposeA ? 4 : 4 * k, kStride = transposeA ? 4 * m : 4;
  const sa = batchA > 1 ? 4 * m * k : 0, sb = batchB > 1 ? 4 * k * n8 : 0, sc = 4 * m * n8;
  const blocks = m >> 2, rest = m & 3, cols = n8 >> 3, r = relu ? 1 : 0;
  if (blocks > 0) gemm4(pa, pb, pc, pBias, blocks, cols, k, rowStride, kStride, 4 * n8, 4 * n8, batch, sa, sb, sc, r);
  if (rest > 0) {
    const a0 = pa + 4 * blocks * rowStride, c0 = pc + 16 * blocks * n8;
    gemm1(a0, pb, c0, pBias, rest, cols, k, rowStride, kStride, 4 * n8, 4 * n8, batch, sa, sb, sc, r);
  }
  if (paddedC !== null) {
    const src = pc >> 2, dst = offsetOf(backend, out) >> 2;
    for (let row = 0; row < batch * m; row++) heap.copyWithin(dst + row * n, src + row * n8, src + row * n8 + n);
  }
  for (const info of temps) backend.disposeData(info.dataId);
  products++;
  return out;
}

/** Copies `B` (`[batch, k, n]`, or `[batch, n, k]` when `transposed`) to `[batch, k, n8]`, zero-padded. */
function packB(
  heap: Float32Array,
  src: number,
  dst: number,
  batch: number,
  k: number,
  n: number,
  n8: number,
  transposed: boolean,
): void {
  heap.fill(0, dst, dst + batch * k * n8);
  for (let t = 0; t < batch; t++) {
    const s = src + t * k * n, d = dst + t * k * n8;
    if (!transposed) {
      for (let p = 0; p < k; p++) heap.copyWithin(d + p * n8, s + p * n, s + p * n + n);
    } else {
      for (let j = 0; j < n; j++) {
        for (let p = 0; p < k; p++) heap[d + p * n8 + j] = heap[s + j * k + p];
      }
    }
  }
}

/**
 * Kernel config for `BatchMatMul` on the SIMD product, falling back to `next` (the kernel it
 * replaces) for large single products and anything it does not handle. A product `a @ b^T` is
 * deferred as `next` defers it (`batch_mat_mul.ts`: a dense layer's unused input gradient).
 *
 * @param next the `BatchMatMul` config registered before this one
 * @returns the replacement config
 */
export function simdBatchMatMulConfig(next: tf.KernelConfig): tf.KernelConfig {
  function batchMatMul(args: KernelArgs): tf.TensorInfo {
    const backend = args.backend as WasmBackend;
    const a = args.inputs.a as tf.TensorInfo;
    const b = args.inputs.b as tf.TensorInfo;
    const { transposeA, transposeB } = args.attrs as unknown as tf.BatchMatMulAttrs;
    const plan = planFor(a, b, transposeA, transposeB);
    if (plan === null) return callKernel(next, args);
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
 * Kernel config for `_FusedMatMul` (every tfjs-layers `Dense`) on the SIMD product when the
 * activation is linear or relu and the bias, if any, is one value per output column; otherwise
 * (and for large single products) the stock kernel.
 *
 * @param stock the stock wasm `_FusedMatMul` config
 * @returns the replacement config
 */
export function simdFusedMatMulConfig(stock: tf.KernelConfig): tf.KernelConfig {
  function fusedMatMul(args: KernelArgs): tf.TensorInfo {
    const backend = args.backend as WasmBackend;
    const { a, b, bias, preluActivationWeights } = args.inputs as Record<string, tf.TensorInfo | undefined>;
    const attrs = args.attrs as unknown as tf._FusedMatMulAttrs;
    const activation = attrs.activation ?? "linear";
    if (preluActivationWeights != null || (activation !== "linear" && activation !== "relu")) {
      return callKernel(stock, args);
    }
    const plan = planFor(a!, b!, attrs.transposeA, attrs.transposeB);
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
