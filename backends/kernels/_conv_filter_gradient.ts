/**
 * The filter gradient of an NHWC conv2d (dilation 1) as a conv2d with batch and channel axes
 * swapped; shared by `Conv2DBackpropFilter` and the single-channel case of
 * `DepthwiseConv2dNativeBackpropFilter`.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs-core";
import { conv2d, disposeInfo, reshape, slice, transpose } from "./_wasm_ops.ts";

/**
 * `dW[i, j, ci, co] = sum_{n, ho, wo} x[n, ho*s + i - pad, wo*s + j - pad, ci] * dy[n, ho, wo, co]`
 * computed as a `conv2d` of `x` as `[ci, H, W, n]` (batch ci, channels n) with `dy` as the filter
 * `[Ho, Wo, n, co]`, stride 1 and dilation = the original stride; the output `[ci, fh, fw, co]`
 * goes back to `[fh, fw, ci, co]`.
 *
 * @param backend the wasm backend
 * @param x the conv input, NHWC
 * @param dy the gradient of the conv output, NHWC
 * @param info the forward conv's geometry (channelsLast, dilation 1)
 * @returns the filter gradient `[fh, fw, inChannels, outChannels]`
 */
export function filterGradientByConv(
  backend: tf.KernelBackend,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
): tf.TensorInfo {
  const { filterHeight: fh, filterWidth: fw, inChannels, outChannels, strideHeight, strideWidth } = info;
  const { inHeight, inWidth, outHeight, outWidth } = info;
  const { top, left } = info.padInfo;
  const xT = transpose(backend, x, [3, 1, 2, 0]);
  const dyT = transpose(backend, dy, [1, 2, 0, 3]);
  // Pad so that the output is at least [fh, fw]; rows/cols beyond are taps the forward conv never
  // had (when (H + pads - fh) is not a multiple of the stride) and are sliced off.
  const bottom = Math.max(0, fh + (outHeight - 1) * strideHeight - inHeight - top);
  const right = Math.max(0, fw + (outWidth - 1) * strideWidth - inWidth - left);
  const full = conv2d(backend, xT, dyT, [1, 1], [strideHeight, strideWidth], [
    [0, 0],
    [top, bottom],
    [left, right],
    [0, 0],
  ]);
  disposeInfo(backend, xT, dyT);
  let cropped = full;
  if (full.shape[1] !== fh || full.shape[2] !== fw) {
    cropped = slice(backend, full, [0, 0, 0, 0], [inChannels, fh, fw, outChannels]);
    disposeInfo(backend, full);
  }
  // [ci, fh, fw, co] -> [fh, fw, ci, co]; with one input channel this is a reshape.
  const out = inChannels === 1
    ? reshape(backend, cropped, [fh, fw, inChannels, outChannels])
    : transpose(backend, cropped, [1, 2, 0, 3]);
  disposeInfo(backend, cropped);
  return out;
}
