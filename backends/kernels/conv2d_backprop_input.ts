/**
 * `Conv2DBackpropInput` for the tfjs `wasm` backend, built on XNNPACK's convolution.
 *
 * Why it exists: the stock wasm `Conv2DBackpropInput` is a direct loop nest; on the gradient of
 * EEGNet's first layer (`dy [32, 248, 250, 8]`, filter `[1, 64, 1, 8]`) it took ~2.4 s, more than
 * the rest of the step. tfjs-layers' `Conv2D` calls the fused conv2d op, whose gradient computes
 * the input gradient eagerly even for the first layer, where nobody uses it (see
 * `models/backend.ts`); layers further in do need it. This kernel computes it as the transposed
 * convolution: a `conv2d` of `dy` (zeros inserted between rows/cols for the stride) padded by
 * `filter - 1 - pad`, with the filter flipped spatially and its in/out channel axes swapped
 * (~1.3 s on that shape). And because the first layer's input gradient is computed although
 * nobody uses it, the output is deferred (`_deferred.ts`): computed on first use, skipped when
 * the tensor is disposed untouched.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { deferOutput } from "./_deferred.ts";
import {
  conv2d,
  disposeInfo,
  type KernelArgs,
  padZeros,
  reshape,
  reverse,
  slice,
  transpose,
  WASM,
} from "./_wasm_ops.ts";

function conv2DBackpropInput(args: KernelArgs): tf.TensorInfo {
  const attrs = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
  const dy = args.inputs.dy as tf.TensorInfo;
  const filter = args.inputs.filter as tf.TensorInfo;
  return deferOutput(args.backend, [...attrs.inputShape], [dy, filter], () => transposedConv(args));
}

/** The input gradient as a transposed convolution (see the module comment). */
function transposedConv(args: KernelArgs): tf.TensorInfo {
  const { backend } = args;
  const filter = args.inputs.filter as tf.TensorInfo;
  const attrs = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
  const channelsLast = attrs.dataFormat !== "NCHW";
  const info = tf.backend_util.computeConv2DInfo(
    attrs.inputShape,
    filter.shape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    tf.backend_util.convertConv2DDataFormat(attrs.dataFormat),
  );
  const { batchSize: n, inHeight, inWidth, inChannels, outChannels, outHeight, outWidth } = info;
  const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw } = info;
  const dy = channelsLast
    ? args.inputs.dy as tf.TensorInfo
    : transpose(backend, args.inputs.dy as tf.TensorInfo, [0, 2, 3, 1]);

  // Insert (stride - 1) zeros after every row and column of dy.
  let dyDilated = dy;
  if (sh > 1 || sw > 1) {
    const dy6 = reshape(backend, dy, [n, outHeight, 1, outWidth, 1, outChannels]);
    const padded = padZeros(backend, dy6, [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]]);
    dyDilated = reshape(backend, padded, [n, outHeight * sh, outWidth * sw, outChannels]);
    disposeInfo(backend, dy6, padded);
  }
  const padTop = fh - 1 - info.padInfo.top;
  const padLeft = fw - 1 - info.padInfo.left;
  const padBottom = inHeight + fh - 1 - dyDilated.shape[1] - padTop;
  const padRight = inWidth + fw - 1 - dyDilated.shape[2] - padLeft;
  const usedTop = Math.max(0, padTop);
  const usedLeft = Math.max(0, padLeft);
  const pad: [[number, number], [number, number], [number, number], [number, number]] = [
    [0, 0],
    [usedTop, Math.max(0, padBottom)],
    [usedLeft, Math.max(0, padRight)],
    [0, 0],
  ];

  const flipped = reverse(backend, filter, [0, 1]);
  const swapped = transpose(backend, flipped, [0, 1, 3, 2]);
  const conv = conv2d(backend, dyDilated, swapped, [1, 1], [1, 1], pad);
  disposeInfo(backend, flipped, swapped);
  if (dyDilated !== dy) disposeInfo(backend, dyDilated);
  if (!channelsLast) disposeInfo(backend, dy);

  let cropped = conv;
  if (conv.shape[1] !== inHeight || conv.shape[2] !== inWidth) {
    cropped = slice(backend, conv, [0, usedTop - padTop, usedLeft - padLeft, 0], [n, inHeight, inWidth, inChannels]);
    disposeInfo(backend, conv);
  }
  if (channelsLast) return cropped;
  const out = transpose(backend, cropped, [0, 3, 1, 2]);
  disposeInfo(backend, cropped);
  return out;
}

/** Kernel config replacing the stock wasm `Conv2DBackpropInput`. */
export const conv2DBackpropInputConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropInput,
  backendName: WASM,
  kernelFunc: conv2DBackpropInput as unknown as tf.KernelFunc,
};
