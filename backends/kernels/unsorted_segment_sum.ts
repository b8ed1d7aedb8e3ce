/**
 * `UnsortedSegmentSum` for the tfjs `wasm` backend.
 *
 * Why it exists: tfjs-backend-wasm 4.22 has no `UnsortedSegmentSum`, and it is the gradient of
 * `gather` (embedding lookups, token/class selection in attention models), so training such a
 * model on wasm fails. The segment sum is a matrix product with a one-hot matrix:
 *
 *   out[s, :] = sum_i [ids[i] == s] * x[i, :]  =  oneHot(ids, numSegments)^T @ x
 *
 * built from the wasm `OneHot` and `BatchMatMul` (XNNPACK) kernels. Ids outside
 * `[0, numSegments)` get an all-zero one-hot row and are dropped, as in TensorFlow. Large inputs
 * are processed in row chunks so the one-hot matrix stays below ~16M entries. `int32` data is
 * summed in float32 (exact while the sums stay below 2^24).
 *
 * Float32 data is summed in place on the heap instead ({@linkcode segmentSumInHeap}), each
 * output in the order of the rows, where the backend exposes its heap: the one-hot product costs
 * `numSegments` times the additions. vivit's FIR cell filters (models/layers/temporal_filter_bank.ts)
 * gather their 257 taps into a `[63, 256]` banded matrix, whose gradient is a segment sum of
 * 16 128 values into 257 segments: a 4.1M-entry one-hot matrix, ~8 ms of a ~35 ms training step.
 * A one-hot row times a value is exact (1 x v = v, 0 x v = ±0) and the product sums each
 * output's terms in row order, so both paths give the same bits (SHA-256 of every weight after
 * seeded Adam steps, session 21) but for a non-finite value in another segment (0 x Inf is NaN
 * in the product; TensorFlow drops it, as the loop does).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import {
  addInto,
  batchMatMul,
  cast,
  disposeInfo,
  fill,
  type KernelArgs,
  reshape,
  runWasmKernel,
  slice,
  WASM,
} from "./_wasm_ops.ts";
import type { WasmHeapBackend } from "./_heap_kernel.ts";

/** Largest one-hot block (rows x segments) built at once. */
const MAX_ONE_HOT = 1 << 24;

/**
 * The kernel function, building one-hot blocks of at most `maxOneHot` entries (tests use a
 * small value to exercise the chunking).
 *
 * @param maxOneHot largest one-hot block, rows x segments
 * @param inHeap sum float32 data in place on the heap where the backend allows it (default true;
 * false: always the one-hot product, for tests)
 * @returns the `UnsortedSegmentSum` kernel function
 */
export function makeUnsortedSegmentSum(maxOneHot: number, inHeap = true): tf.KernelFunc {
  return ((args: KernelArgs) => unsortedSegmentSum(args, maxOneHot, inHeap)) as unknown as tf.KernelFunc;
}

function unsortedSegmentSum(args: KernelArgs, maxOneHot: number, inHeap: boolean): tf.TensorInfo {
  const { backend } = args;
  const x = args.inputs.x as tf.TensorInfo;
  const segmentIds = args.inputs.segmentIds as tf.TensorInfo;
  const numSegments = (args.attrs as unknown as tf.UnsortedSegmentSumAttrs).numSegments;
  // Leading axes of x covered by the ids are flattened into rows; the rest is the row payload.
  const idRank = segmentIds.shape.length;
  const rows = tf.util.sizeFromShape(segmentIds.shape);
  const rowShape = x.shape.slice(idRank);
  const rowSize = tf.util.sizeFromShape(rowShape);
  const outShape = [numSegments, ...rowShape];
  if (rows === 0 || rowSize === 0 || numSegments === 0) return fill(backend, outShape, 0, x.dtype);

  if (inHeap && x.dtype === "float32" && typeof (backend as WasmHeapBackend).typedArrayFromHeap === "function") {
    return segmentSumInHeap(backend as WasmHeapBackend, x, segmentIds, rows, rowSize, outShape);
  }
  const xFloat = x.dtype === "float32" ? x : cast(backend, x, "float32");
  const x3 = reshape(backend, xFloat, [1, rows, rowSize]);
  const ids = reshape(backend, segmentIds, [rows]);
  const chunk = Math.max(1, Math.floor(maxOneHot / numSegments));
  let total: tf.TensorInfo | null = null;
  for (let start = 0; start < rows; start += chunk) {
    const count = Math.min(chunk, rows - start);
    const idsPart = count === rows ? ids : slice(backend, ids, [start], [count]);
    const xPart = count === rows ? x3 : slice(backend, x3, [0, start, 0], [1, count, rowSize]);
    // The wasm OneHot kernel writes int32 whatever dtype it is asked for: cast explicitly.
    const oneHotInt = runWasmKernel(backend, "OneHot", { indices: idsPart }, {
      depth: numSegments,
      onValue: 1,
      offValue: 0,
      dtype: "int32",
    });
    const oneHot = cast(backend, oneHotInt, "float32");
    const oneHot3 = reshape(backend, oneHot, [1, count, numSegments]);
    const part = batchMatMul(backend, oneHot3, xPart, true, false);
    disposeInfo(backend, oneHotInt, oneHot, oneHot3);
    if (idsPart !== ids) disposeInfo(backend, idsPart, xPart);
    total = addInto(backend, total, part);
  }
  disposeInfo(backend, x3, ids);
  if (xFloat !== x) disposeInfo(backend, xFloat);
  const summed = total as tf.TensorInfo;
  const shaped = reshape(backend, summed, outShape);
  disposeInfo(backend, summed);
  if (x.dtype === "float32") return shaped;
  const out = cast(backend, shaped, x.dtype);
  disposeInfo(backend, shaped);
  return out;
}

/**
 * The segment sum of float32 `x` (`rows` rows of `rowSize` values) read and written on the wasm heap:
 * `out[s] = sum over i with ids[i] == s of x[i]`, each output's terms added in row order in float32;
 * ids outside `[0, numSegments)` are dropped.
 */
function segmentSumInHeap(
  backend: WasmHeapBackend,
  x: tf.TensorInfo,
  segmentIds: tf.TensorInfo,
  rows: number,
  rowSize: number,
  outShape: number[],
): tf.TensorInfo {
  const out = backend.makeOutput(outShape, "float32");
  // views taken after the output is made: making it may grow the heap and detach older views
  const sums = backend.typedArrayFromHeap(out) as Float32Array;
  const values = backend.typedArrayFromHeap(x) as Float32Array;
  const ids = backend.typedArrayFromHeap(segmentIds);
  const numSegments = outShape[0];
  sums.fill(0);
  for (let i = 0; i < rows; i++) {
    const segment = ids[i];
    if (!(segment >= 0 && segment < numSegments)) continue;
    const to = segment * rowSize;
    const from = i * rowSize;
    for (let j = 0; j < rowSize; j++) sums[to + j] += values[from + j];
  }
  return out;
}

/** Kernel config registering {@linkcode unsortedSegmentSum} for the wasm backend. */
export const unsortedSegmentSumConfig: tf.KernelConfig = {
  kernelName: tf.UnsortedSegmentSum,
  backendName: WASM,
  kernelFunc: makeUnsortedSegmentSum(MAX_ONE_HOT),
};
