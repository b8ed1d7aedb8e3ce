/**
 * `Conv2D` and `FusedConv2D` for the tfjs `wasm` backend with a fast path for long 1-D kernels on
 * a single input channel (EEGNet's temporal convolution: `[1, 64]` kernels, 1 input channel,
 * 8 filters).
 *
 * Why it exists: XNNPACK's convolution multiplies one input value per kernel tap when there is
 * a single input channel, which leaves its vector units mostly idle: the temporal conv of an
 * EEGNet-8,2 training batch (`[32, 248, 250, 1]`, 1 G multiply-adds) took ~190 ms. Polyphase
 * form: with the time axis split as `t = P*q + r`, the input `[N, H, T, 1]` is the image
 * `[N, H, T/P, P]` (a free reshape) and the convolution becomes one over `q` with
 * `ceil((K + P - 1) / P)` taps, P input channels and `P * F` output channels, whose output
 * `[N, H, T/P, P*F]` is `[N, H, T, F]` in memory. Same arithmetic (up to ~10% zero taps),
 * XNNPACK-friendly shape: ~100 ms. Used for stride 1, dilation 1, kernel height 1, a single
 * input channel, kernels of at least 2P taps, no bias/activation, and an output length that
 * P in 4..8 divides; anything else goes to the stock kernel.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { callKernel, conv2d, disposeInfo, type KernelArgs, padZeros, reshape, WASM } from "./_wasm_ops.ts";

/** The heap-access part of the wasm backend used to lay out the polyphase filter. */
interface WasmHeapBackend extends tf.KernelBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/** Phase counts tried, in order of preference. */
const PHASES = [8, 7, 6, 5, 4];

/** The phase count for this convolution, or 0 when the fast path does not apply. */
function phasesFor(x: tf.TensorInfo, filter: tf.TensorInfo, info: tf.backend_util.Conv2DInfo): number {
  if (x.dtype !== "float32" || filter.dtype !== "float32" || info.dataFormat !== "channelsLast") return 0;
  if (info.inChannels !== 1 || info.filterHeight !== 1 || info.strideHeight !== 1 || info.strideWidth !== 1) return 0;
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1 || info.padInfo.top !== 0 || info.padInfo.bottom !== 0) {
    return 0;
  }
  for (const p of PHASES) {
    if (info.outWidth % p === 0 && info.filterWidth >= 2 * p) return p;
  }
  return 0;
}

/** `w [1, K, 1, F]` as the polyphase filter `[1, J, P, P*F]`: `W'[j, p, r, f] = w[P*j + p - r, f]`. */
function polyphaseFilter(backend: WasmHeapBackend, filter: tf.TensorInfo, p: number, taps: number): tf.TensorInfo {
  const k = filter.shape[1];
  const f = filter.shape[3];
  const out = backend.makeOutput([1, taps, p, p * f], "float32");
  const dst = backend.typedArrayFromHeap(out);
  const src = backend.typedArrayFromHeap(filter);
  for (let j = 0; j < taps; j++) {
    for (let phase = 0; phase < p; phase++) {
      for (let r = 0; r < p; r++) {
        const tap = p * j + phase - r;
        const row = ((j * p + phase) * p + r) * f;
        for (let c = 0; c < f; c++) dst[row + c] = tap >= 0 && tap < k ? src[tap * f + c] : 0;
      }
    }
  }
  return out;
}

function polyphaseConv(
  backend: WasmHeapBackend,
  x: tf.TensorInfo,
  filter: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
  p: number,
): tf.TensorInfo {
  const { batchSize: n, inHeight: h, inWidth: t, outWidth, filterWidth: k, outChannels: f } = info;
  const q = outWidth / p;
  const taps = Math.floor((p + k - 2) / p) + 1;
  const left = info.padInfo.left;
  const length = p * (q + taps - 1);
  const x3 = reshape(backend, x, [n, h, t]);
  const padded = padZeros(backend, x3, [[0, 0], [0, 0], [left, length - t - left]]);
  const image = reshape(backend, padded, [n, h, q + taps - 1, p]);
  const weights = polyphaseFilter(backend, filter, p, taps);
  const y = conv2d(backend, image, weights, [1, 1], [1, 1], "valid");
  disposeInfo(backend, x3, padded, image, weights);
  const out = reshape(backend, y, [n, h, outWidth, f]);
  disposeInfo(backend, y);
  return out;
}

function wrap(stock: tf.KernelConfig, fused: boolean): tf.KernelConfig {
  function conv(args: KernelArgs): tf.TensorInfo {
    const x = args.inputs.x as tf.TensorInfo;
    const filter = args.inputs.filter as tf.TensorInfo;
    const attrs = args.attrs as unknown as tf.FusedConv2DAttrs;
    if (fused && (args.inputs.bias != null || (attrs.activation ?? "linear") !== "linear")) {
      return callKernel(stock, args);
    }
    if (x.shape.length !== 4 || filter.shape.length !== 4) return callKernel(stock, args);
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filter.shape as [number, number, number, number],
      attrs.strides,
      attrs.dilations ?? 1,
      attrs.pad,
      attrs.dimRoundingMode,
      false,
      tf.backend_util.convertConv2DDataFormat(attrs.dataFormat ?? "NHWC"),
    );
    const p = phasesFor(x, filter, info);
    if (p === 0) return callKernel(stock, args);
    return polyphaseConv(args.backend as WasmHeapBackend, x, filter, info, p);
  }
  return { ...stock, backendName: WASM, kernelFunc: conv as unknown as tf.KernelFunc };
}

/**
 * Kernel config for `Conv2D` with the polyphase fast path, falling back to `stock`.
 *
 * @param stock the stock wasm `Conv2D` kernel config
 * @returns the replacement config
 */
export function polyphaseConv2DConfig(stock: tf.KernelConfig): tf.KernelConfig {
  return wrap(stock, false);
}

/**
 * Kernel config for `FusedConv2D` (what tfjs-layers' `Conv2D` runs) with the polyphase fast path
 * when there is neither bias nor activation, falling back to `stock`.
 *
 * @param stock the stock wasm `FusedConv2D` kernel config
 * @returns the replacement config
 */
export function polyphaseFusedConv2DConfig(stock: tf.KernelConfig): tf.KernelConfig {
  return wrap(stock, true);
}
