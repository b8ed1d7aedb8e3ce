/**
 * A faster `Tile` for the tfjs `wasm` backend, wrapping the stock kernel.
 *
 * Why it exists: tfjs-core's `FusedBatchNorm` gradient tiles the per-channel `1/sqrt(var)` to the
 * full activation shape (`tile([1, 1, 1, C] -> [N, H, W, C])`), and the stock wasm `Tile` kernel
 * computes every output element's source index separately: on an EEGNet activation of
 * `[32, 248, 250, 8]` it took ~1.3 s, as long as the rest of the training step together.
 *
 * This kernel writes the output by block copies on the wasm heap, like the stock wasm `Concat`
 * does: the input's axes are merged where possible, each innermost run of the input is copied
 * once and every repetition is produced by doubling `copyWithin` (memmove speed). When the
 * innermost runs are very short (e.g. tiling `[n, 1]` to `[n, 8]`, which would mean one JS call
 * per few elements), or for string tensors, it hands over to the stock kernel.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { WASM } from "./_wasm_ops.ts";

/** Mean contiguous run (elements) below which the stock kernel is used instead. */
const MIN_RUN = 64;

/** The heap-access part of the wasm backend that this kernel uses. */
interface WasmHeapBackend extends tf.KernelBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

type HeapArray = Float32Array | Int32Array | Uint8Array;

/**
 * Builds the `Tile` kernel function, falling back to `stock` (the kernel function tfjs registered
 * for wasm) where block copies would not pay.
 *
 * @param stock the original wasm `Tile` kernel function
 * @returns the replacement kernel function
 */
export function makeFastTile(stock: tf.KernelFunc): tf.KernelFunc {
  function tile(args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap }) {
    const x = args.inputs.x as tf.TensorInfo;
    const reps = (args.attrs as unknown as tf.TileAttrs).reps;
    const backend = args.backend as WasmHeapBackend;
    if (x.dtype === "string" || x.dtype === "complex64" || typeof backend.typedArrayFromHeap !== "function") {
      return stock(args as Parameters<tf.KernelFunc>[0]);
    }
    const outShape = x.shape.map((size, i) => size * reps[i]);
    const outSize = tf.util.sizeFromShape(outShape);
    const levels = mergeAxes(x.shape, reps);
    let outerCalls = 1;
    for (let i = 0; i < levels.length - 1; i++) outerCalls *= levels[i][0];
    if (outSize === 0 || outSize / outerCalls < MIN_RUN) {
      return stock(args as Parameters<tf.KernelFunc>[0]);
    }
    const out = backend.makeOutput(outShape, x.dtype);
    // Views are taken after makeOutput: a heap growth there detaches earlier views.
    const src = backend.typedArrayFromHeap(x);
    const dst = backend.typedArrayFromHeap(out);
    copyTiled(src, dst, levels);
    return out;
  }
  return tile as unknown as tf.KernelFunc;
}

/**
 * Merges axes into `[inputSize, reps]` levels: runs of un-repeated axes become one axis, axes of
 * size 1 are folded into their neighbours. Always returns at least one level.
 */
function mergeAxes(shape: number[], reps: number[]): [number, number][] {
  const levels: [number, number][] = [];
  for (let i = 0; i < shape.length; i++) {
    const size = shape[i];
    const rep = reps[i];
    if (size === 1 && rep === 1) continue;
    const last = levels[levels.length - 1];
    if (last !== undefined && last[1] === 1 && rep === 1) {
      last[0] *= size;
    } else if (last !== undefined && last[0] === 1 && size === 1) {
      last[1] *= rep;
    } else {
      levels.push([size, rep]);
    }
  }
  if (levels.length === 0) levels.push([1, 1]);
  return levels;
}

/** Writes `src` tiled by `levels` into `dst`. */
function copyTiled(src: HeapArray, dst: HeapArray, levels: [number, number][]): void {
  const depth = levels.length;
  const srcStrides = new Array<number>(depth);
  const dstStrides = new Array<number>(depth);
  srcStrides[depth - 1] = 1;
  dstStrides[depth - 1] = 1;
  for (let i = depth - 2; i >= 0; i--) {
    srcStrides[i] = srcStrides[i + 1] * levels[i + 1][0];
    dstStrides[i] = dstStrides[i + 1] * levels[i + 1][0] * levels[i + 1][1];
  }
  function write(level: number, srcOffset: number, dstOffset: number): void {
    const [size, rep] = levels[level];
    if (level === depth - 1) {
      dst.set(src.subarray(srcOffset, srcOffset + size), dstOffset);
    } else {
      for (let k = 0; k < size; k++) {
        write(level + 1, srcOffset + k * srcStrides[level], dstOffset + k * dstStrides[level]);
      }
    }
    const block = size * dstStrides[level];
    const total = block * rep;
    for (let filled = block; filled < total;) {
      const count = Math.min(filled, total - filled);
      dst.copyWithin(dstOffset + filled, dstOffset, dstOffset + count);
      filled += count;
    }
  }
  write(0, 0, 0);
}

/**
 * Kernel config for the fast `Tile`, wrapping the stock wasm config (whose setup function must
 * still run when the backend initialises, since the fallback calls into it).
 *
 * @param stock the stock wasm `Tile` kernel config
 * @returns the replacement config
 */
export function fastTileConfig(stock: tf.KernelConfig): tf.KernelConfig {
  return {
    kernelName: tf.Tile,
    backendName: WASM,
    kernelFunc: makeFastTile(stock.kernelFunc),
    setupFunc: stock.setupFunc,
    disposeFunc: stock.disposeFunc,
  };
}
