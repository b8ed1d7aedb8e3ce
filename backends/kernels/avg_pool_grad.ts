/**
 * `AvgPoolGrad` for the tfjs `wasm` backend when the pooling windows tile the input (stride =
 * window, no padding): every input position receives its window's gradient times
 * `1 / (window area)`, copied on the heap one channel vector at a time.
 *
 * Why: the stock wasm `AvgPoolGrad` took ~22 ms of CPU for tsa's `segment_mean` (`[32, 32, 10,
 * 32]` pooled by `[1, 10]`), a tensor of 330k values; this copy takes well under 1 ms. Other
 * poolings (overlapping or padded windows) keep the stock kernel.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { callKernel, type KernelArgs, pair, WASM } from "./_wasm_ops.ts";
import { heapByteOffset, type WasmHeapInternals } from "./_heap_kernel.ts";

let computed = 0;

/** How many gradients the tiling path has computed since the process started (tests). */
export function tilingAvgPoolGrads(): number {
  return computed;
}

/** Whether a padding attribute adds no padding for windows that tile the input exactly. */
function noPadding(pad: tf.AvgPoolGradAttrs["pad"]): boolean {
  if (pad === "valid" || pad === "same" || pad === 0) return true; // "same" adds none when stride = window divides
  return false;
}

/**
 * Kernel config for `AvgPoolGrad` with the tiling fast path, falling back to `stock`.
 *
 * @param stock the stock wasm `AvgPoolGrad` kernel config
 * @returns the replacement config
 */
export function tilingAvgPoolGradConfig(stock: tf.KernelConfig): tf.KernelConfig {
  function avgPoolGrad(args: KernelArgs): tf.TensorInfo {
    const backend = args.backend as WasmHeapInternals;
    const dy = args.inputs.dy as tf.TensorInfo;
    const input = args.inputs.input as tf.TensorInfo;
    const attrs = args.attrs as unknown as tf.AvgPoolGradAttrs;
    const [fh, fw] = pair(attrs.filterSize);
    const [sh, sw] = pair(attrs.strides);
    if (dy.dtype !== "float32" || dy.shape.length !== 4 || input.shape.length !== 4) return callKernel(stock, args);
    const [batch, inH, inW, channels] = input.shape;
    const [, outH, outW] = dy.shape;
    if (fh !== sh || fw !== sw || outH * fh !== inH || outW * fw !== inW || !noPadding(attrs.pad)) {
      return callKernel(stock, args);
    }
    const out = backend.makeOutput(input.shape, "float32");
    const heap = backend.wasm.HEAPF32;
    const src = heapByteOffset(backend, dy) >> 2;
    const dst = heapByteOffset(backend, out) >> 2;
    const scale = 1 / (fh * fw);
    const row = new Float32Array(channels);
    for (let b = 0; b < batch; b++) {
      for (let oh = 0; oh < outH; oh++) {
        for (let ow = 0; ow < outW; ow++) {
          const s = src + ((b * outH + oh) * outW + ow) * channels;
          for (let c = 0; c < channels; c++) row[c] = heap[s + c] * scale;
          for (let kh = 0; kh < fh; kh++) {
            const rowStart = ((b * inH + oh * fh + kh) * inW + ow * fw) * channels;
            for (let kw = 0; kw < fw; kw++) heap.set(row, dst + rowStart + kw * channels);
          }
        }
      }
    }
    computed++;
    return out;
  }
  return {
    ...stock,
    kernelName: tf.AvgPoolGrad,
    backendName: WASM,
    kernelFunc: avgPoolGrad as unknown as tf.KernelFunc,
  };
}
