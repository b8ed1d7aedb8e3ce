/**
 * `DepthwiseConv2dNativeBackpropInput` for the tfjs `wasm` backend.
 *
 * Why it exists: tfjs-backend-wasm 4.22 has no `DepthwiseConv2dNativeBackpropInput`, so the
 * gradient flowing back through a `depthwiseConv2d` (needed by every layer before it, e.g. the
 * temporal conv in front of EEGNet's spatial depthwise conv) fails on wasm.
 *
 * General path: the transposed convolution, i.e. a depthwise convolution (multiplier 1, channels
 * c*M) of `dy` with zeros inserted between rows/cols for the stride, padded by
 * `(f - 1) * dilation - pad`, with the spatially flipped filter; then a sum over the M outputs of
 * every input channel.
 *
 * Fast path: when the filter spans the whole (padded) input along one axis, so that axis has one
 * output position, and the other axis is a plain 1-tap, stride-1, unpadded pass (EEGNet's
 * `[nChans, 1]` spatial filter), the transposed convolution above would mostly multiply padding:
 * `dx[n, h, w, c] = sum_m dy[n, 0, w, c*M + m] * W[h + padTop, 0, c, m]` is just a broadcast
 * product and a sum over m (one product per m when there are few: see
 * `spanningRowsByMultiplier`).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { MAX_SPLIT_MULTIPLIER, spanningAxis } from "./_spanning_axis.ts";
import {
  addInto,
  depthwiseConv2d,
  disposeInfo,
  fill,
  type KernelArgs,
  multiply,
  padZeros,
  pair,
  reshape,
  reverse,
  runWasmKernel,
  slice,
  sum,
  WASM,
} from "./_wasm_ops.ts";

function depthwiseConv2dNativeBackpropInput(args: KernelArgs): tf.TensorInfo {
  const { backend } = args;
  const dy = args.inputs.dy as tf.TensorInfo;
  const filter = args.inputs.filter as tf.TensorInfo;
  const attrs = args.attrs as unknown as tf.DepthwiseConv2dNativeBackpropInputAttrs;
  const info = tf.backend_util.computeConv2DInfo(
    attrs.inputShape,
    filter.shape as [number, number, number, number],
    attrs.strides,
    pair(attrs.dilations),
    attrs.pad,
    attrs.dimRoundingMode,
    true,
  );
  // Axis 1 spans the filter, axis 2 is a plain pass (or the other way round).
  const axis = spanningAxis(info);
  if (axis !== null) return spanningFilter(backend, dy, filter, info, axis);
  return transposedConvolution(backend, dy, filter, info);
}

/** The fast path: `axis` (1 or 2) has one output position covering the whole padded input. */
function spanningFilter(
  backend: tf.KernelBackend,
  dy: tf.TensorInfo,
  filter: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
  axis: 1 | 2,
): tf.TensorInfo {
  const { batchSize: n, inHeight, inWidth, inChannels: c } = info;
  const m = filter.shape[3];
  const size = axis === 1 ? inHeight : inWidth;
  const pad = axis === 1 ? info.padInfo.top : info.padInfo.left;
  const taps = filter.shape[axis - 1];
  // Filter taps pad..pad+size-1 meet input rows 0..size-1; taps past the filter end are zeros.
  const available = Math.max(0, Math.min(size, taps - pad));
  if (available === 0) return fill(backend, [n, inHeight, inWidth, c], 0, "float32");
  const begin = [0, 0, 0, 0];
  begin[axis - 1] = pad;
  const sliceSize = [filter.shape[0], filter.shape[1], c, m];
  sliceSize[axis - 1] = available;
  let rows = slice(backend, filter, begin, sliceSize);
  if (available < size) {
    const paddings: [number, number][] = [[0, 0], [0, 0], [0, 0], [0, 0]];
    paddings[axis - 1] = [0, size - available];
    const padded = padZeros(backend, rows, paddings);
    disposeInfo(backend, rows);
    rows = padded;
  }
  if (axis === 1 && m <= MAX_SPLIT_MULTIPLIER) {
    const out = spanningRowsByMultiplier(backend, dy, rows, info, m);
    disposeInfo(backend, rows);
    return out;
  }
  // dy [n, 1, W, c*M] times W [1, H, 1, c, M] (axis 1), or dy [n, H, 1, c*M] times W [1, 1, W, c, M].
  const dy5 = reshape(backend, dy, [n, axis === 1 ? 1 : inHeight, axis === 1 ? inWidth : 1, c, m]);
  const w5 = reshape(backend, rows, [1, axis === 1 ? inHeight : 1, axis === 1 ? 1 : inWidth, c, m]);
  const product = multiply(backend, dy5, w5);
  disposeInfo(backend, rows, dy5, w5);
  const out = m === 1 ? reshape(backend, product, [n, inHeight, inWidth, c]) : sum(backend, product, [4]);
  disposeInfo(backend, product);
  return out;
}

/**
 * Axis-1 fast path with few multipliers: one broadcast product per multiplier m,
 * `dy_m [n, 1, W*c] * W_m [1, H, W*c]` (the filter rows tiled along W), summed. Both operands
 * broadcast over runs of `W*c` contiguous values, which XNNPACK handles at memory speed, where
 * the single product over `[n, H, W, c, M]` broadcast over runs of `c*M` values (and then needed
 * a sum over M) was several times slower.
 */
function spanningRowsByMultiplier(
  backend: tf.KernelBackend,
  dy: tf.TensorInfo,
  rows: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
  m: number,
): tf.TensorInfo {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c } = info;
  const dy5 = reshape(backend, dy, [n, 1, w, c, m]);
  const rows4 = reshape(backend, rows, [h, 1, c, m]);
  let total: tf.TensorInfo | null = null;
  for (let k = 0; k < m; k++) {
    const dyPart = slice(backend, dy5, [0, 0, 0, 0, k], [n, 1, w, c, 1]);
    const dyRow = reshape(backend, dyPart, [n, 1, w * c]);
    const wPart = slice(backend, rows4, [0, 0, 0, k], [h, 1, c, 1]);
    const wTiled = runWasmKernel(backend, tf.Tile, { x: wPart }, { reps: [1, w, 1, 1] });
    const wRow = reshape(backend, wTiled, [1, h, w * c]);
    const product = multiply(backend, dyRow, wRow);
    disposeInfo(backend, dyPart, dyRow, wPart, wTiled, wRow);
    total = addInto(backend, total, product);
  }
  disposeInfo(backend, dy5, rows4);
  const out = reshape(backend, total as tf.TensorInfo, [n, h, w, c]);
  disposeInfo(backend, total as tf.TensorInfo);
  return out;
}

/** The general path: a depthwise convolution of the stride-dilated `dy` with the flipped filter. */
function transposedConvolution(
  backend: tf.KernelBackend,
  dy: tf.TensorInfo,
  filter: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
): tf.TensorInfo {
  const { batchSize: n, inHeight, inWidth, inChannels: c, outHeight, outWidth } = info;
  const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw } = info;
  const { dilationHeight: dh, dilationWidth: dw } = info;
  const m = filter.shape[3];
  const k = c * m;

  // Insert (stride - 1) zeros after every row and column of dy.
  let dyDilated = dy;
  if (sh > 1 || sw > 1) {
    const dy6 = reshape(backend, dy, [n, outHeight, 1, outWidth, 1, k]);
    const padded = padZeros(backend, dy6, [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]]);
    dyDilated = reshape(backend, padded, [n, outHeight * sh, outWidth * sw, k]);
    disposeInfo(backend, dy6, padded);
  }
  const dilatedHeight = dyDilated.shape[1];
  const dilatedWidth = dyDilated.shape[2];

  // Flip the filter spatially; one output channel per (c, m) pair.
  const flipped = reverse(backend, filter, [0, 1]);
  const flippedFilter = reshape(backend, flipped, [fh, fw, k, 1]);
  disposeInfo(backend, flipped);

  // dx row h reads dilated rows h - (fh-1)*d + top + i*d: pad (fh-1)*d - top in front.
  const padTop = (fh - 1) * dh - info.padInfo.top;
  const padLeft = (fw - 1) * dw - info.padInfo.left;
  const padBottom = inHeight + (fh - 1) * dh - dilatedHeight - padTop;
  const padRight = inWidth + (fw - 1) * dw - dilatedWidth - padLeft;
  const usedTop = Math.max(0, padTop);
  const usedLeft = Math.max(0, padLeft);
  const conv = depthwiseConv2d(backend, dyDilated, flippedFilter, [1, 1], [dh, dw], [
    [0, 0],
    [usedTop, Math.max(0, padBottom)],
    [usedLeft, Math.max(0, padRight)],
    [0, 0],
  ]);
  if (dyDilated !== dy) disposeInfo(backend, dyDilated);
  disposeInfo(backend, flippedFilter);
  let cropped = conv;
  if (conv.shape[1] !== inHeight || conv.shape[2] !== inWidth) {
    cropped = slice(backend, conv, [0, usedTop - padTop, usedLeft - padLeft, 0], [n, inHeight, inWidth, k]);
    disposeInfo(backend, conv);
  }
  const perPair = reshape(backend, cropped, [n, inHeight, inWidth, c, m]);
  const out = m === 1 ? reshape(backend, perPair, [n, inHeight, inWidth, c]) : sum(backend, perPair, [4]);
  disposeInfo(backend, cropped, perPair);
  return out;
}

/** Kernel config registering {@linkcode depthwiseConv2dNativeBackpropInput} for the wasm backend. */
export const depthwiseConv2dNativeBackpropInputConfig: tf.KernelConfig = {
  kernelName: tf.DepthwiseConv2dNativeBackpropInput,
  backendName: WASM,
  kernelFunc: depthwiseConv2dNativeBackpropInput as unknown as tf.KernelFunc,
};
