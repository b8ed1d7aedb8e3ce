/**
 * `DepthwiseConv2dNativeBackpropFilter` for the tfjs `wasm` backend.
 *
 * Why it exists: tfjs-backend-wasm 4.22 has no `DepthwiseConv2dNativeBackpropFilter`, so the
 * filter gradient of `depthwiseConv2d` / `separableConv2d` (EEGNet's spatial and separable
 * blocks) fails on wasm. With multiplier M the gradient is, for every input channel c,
 *
 *   dW[i, j, c, m] = sum_{n, ho, wo} x[n, ho*s + i*d - pad, wo*s + j*d - pad, c] * dy[n, ho, wo, c*M + m]
 *
 * which is a depthwise convolution over the channel pairs (c, n): `x` as a single image
 * `[1, H, W, c*n]`, `dy` as the depthwise filter `[Ho, Wo, c*n, M]`, stride = the original
 * dilation, dilation = the original stride; the result `[fh, fw, c, n, M]` is summed over n.
 * With a single input channel (undilated) the depthwise conv is a plain conv2d with M outputs,
 * and its filter gradient is computed as such (`_conv_filter_gradient.ts`): XNNPACK runs that
 * much faster than a depthwise conv with an `Ho x Wo` kernel (EEGNet's temporal conv written as
 * a depthwise conv over the one-channel input: ~0.3 s instead of ~1.6 s per step).
 * When the filter spans the whole (padded) input along one axis and the other axis is a plain
 * 1-tap pass (EEGNet's `[nChans, 1]` spatial filter), the depthwise conv above would have a
 * `1 x W` kernel (~90-150 ms on EEGNet's `[32, 248, 250, 8]`). Instead, per multiplier m,
 * `x * dy_m` summed over W and n (~40 ms there), or for many multipliers a batched matrix
 * product per channel, `x[c] as [H, n*W] @ dy[c] as [n*W, M]`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { filterGradientByConv } from "./_conv_filter_gradient.ts";
import { MAX_SPLIT_MULTIPLIER, spanningAxis } from "./_spanning_axis.ts";
import {
  batchMatMul,
  depthwiseConv2d,
  disposeInfo,
  fill,
  type KernelArgs,
  multiply,
  padZeros,
  pair,
  reshape,
  runWasmKernel,
  slice,
  sum,
  transpose,
  WASM,
} from "./_wasm_ops.ts";

function depthwiseConv2dNativeBackpropFilter(args: KernelArgs): tf.TensorInfo {
  const { backend } = args;
  const x = args.inputs.x as tf.TensorInfo;
  const dy = args.inputs.dy as tf.TensorInfo;
  const attrs = args.attrs as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs;
  const dilations = pair(attrs.dilations);
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterShape,
    attrs.strides,
    dilations,
    attrs.pad,
    attrs.dimRoundingMode,
    true,
  );
  const { batchSize: n, filterHeight: fh, filterWidth: fw, inChannels: c, outHeight, outWidth } = info;
  const { strideHeight, strideWidth, dilationHeight, dilationWidth, inHeight, inWidth } = info;
  const m = attrs.filterShape[3];
  const { top, left } = info.padInfo;
  if (c === 1 && dilationHeight === 1 && dilationWidth === 1) {
    // computeConv2DInfo's depthwise outChannels is c * M = M: the same geometry as conv2d.
    return filterGradientByConv(backend, x, dy, info);
  }
  const axis = spanningAxis(info);
  if (axis !== null) return spanningFilter(backend, x, dy, info, m, axis);

  // x [n, H, W, c] -> [1, H, W, c*n]; dy [n, Ho, Wo, c*M] -> [Ho, Wo, c*n, M].
  const xT = transpose(backend, x, [1, 2, 3, 0]);
  const xImage = reshape(backend, xT, [1, inHeight, inWidth, c * n]);
  const dy5 = reshape(backend, dy, [n, outHeight, outWidth, c, m]);
  const dyT = transpose(backend, dy5, [1, 2, 3, 0, 4]);
  const dyFilter = reshape(backend, dyT, [outHeight, outWidth, c * n, m]);
  disposeInfo(backend, xT, dy5, dyT);

  // Output tap i reads input row i*d + ho*s - top: a conv with stride d and dilation s. Pad at the
  // end so that the output has at least fh x fw taps; surplus taps are sliced off.
  const bottom = Math.max(0, (fh - 1) * dilationHeight + (outHeight - 1) * strideHeight + 1 - inHeight - top);
  const right = Math.max(0, (fw - 1) * dilationWidth + (outWidth - 1) * strideWidth + 1 - inWidth - left);
  const full = depthwiseConv2d(
    backend,
    xImage,
    dyFilter,
    [dilationHeight, dilationWidth],
    [strideHeight, strideWidth],
    [[0, 0], [top, bottom], [left, right], [0, 0]],
  );
  disposeInfo(backend, xImage, dyFilter);
  let cropped = full;
  if (full.shape[1] !== fh || full.shape[2] !== fw) {
    cropped = slice(backend, full, [0, 0, 0, 0], [1, fh, fw, c * n * m]);
    disposeInfo(backend, full);
  }
  // [1, fh, fw, c*n*M] -> [fh, fw, c, n, M] -> sum over n.
  const perPair = reshape(backend, cropped, [fh, fw, c, n, m]);
  const out = sum(backend, perPair, [3]);
  disposeInfo(backend, cropped, perPair);
  return out;
}

/**
 * The fast path: along `axis` (1 or 2) one output position covers the whole padded input, the
 * other axis is a plain pass. `G[s, c, m] = sum_{n, t} x[n, s, t, c] * dy[n, 0, t, c*M + m]` (for
 * axis 1; transposed for axis 2) lands on filter taps `s + pad`.
 */
function spanningFilter(
  backend: tf.KernelBackend,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
  m: number,
  axis: 1 | 2,
): tf.TensorInfo {
  const { inHeight, inWidth, inChannels: c, filterHeight: fh, filterWidth: fw } = info;
  const spanned = axis === 1 ? inHeight : inWidth;
  const pad = axis === 1 ? info.padInfo.top : info.padInfo.left;
  const taps = axis === 1 ? fh : fw;
  let rows = axis === 1 && m <= MAX_SPLIT_MULTIPLIER
    ? rowsByMultiplier(backend, x, dy, info, m)
    : rowsByMatMul(backend, x, dy, info, m, axis);
  // rows: [spanned, c, M], onto taps pad .. pad + spanned - 1.
  const kept = Math.min(spanned, taps - pad);
  if (kept <= 0) {
    // No tap meets the input: the gradient is zero.
    disposeInfo(backend, rows);
    return fill(backend, [fh, fw, c, m], 0, "float32");
  }
  if (kept < spanned) {
    const cut = slice(backend, rows, [0, 0, 0], [kept, c, m]);
    disposeInfo(backend, rows);
    rows = cut;
  }
  if (pad > 0 || taps - pad - kept > 0) {
    const padded = padZeros(backend, rows, [[pad, taps - pad - kept], [0, 0], [0, 0]]);
    disposeInfo(backend, rows);
    rows = padded;
  }
  const out = reshape(backend, rows, [fh, fw, c, m]);
  disposeInfo(backend, rows);
  return out;
}

/**
 * `G [spanned, c, M]` as one batched matrix product per channel:
 * `x[c] as [spanned, n*passed] @ dy[c] as [n*passed, M]` (after transposing x).
 */
function rowsByMatMul(
  backend: tf.KernelBackend,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
  m: number,
  axis: 1 | 2,
): tf.TensorInfo {
  const { batchSize: n, inHeight, inWidth, inChannels: c } = info;
  const spanned = axis === 1 ? inHeight : inWidth;
  const passed = axis === 1 ? inWidth : inHeight;
  // x -> [c, spanned, n, passed]; dy -> [c, n, passed, M].
  const xT = transpose(backend, x, axis === 1 ? [3, 1, 0, 2] : [3, 2, 0, 1]);
  const xMat = reshape(backend, xT, [c, spanned, n * passed]);
  const dy4 = reshape(backend, dy, [n, passed, c, m]);
  const dyT = transpose(backend, dy4, [2, 0, 1, 3]);
  const dyMat = reshape(backend, dyT, [c, n * passed, m]);
  const g = batchMatMul(backend, xMat, dyMat, false, false);
  disposeInfo(backend, xT, xMat, dy4, dyT, dyMat);
  const rows = transpose(backend, g, [1, 0, 2]);
  disposeInfo(backend, g);
  return rows;
}

/**
 * `G [H, c, M]` (axis 1) with one broadcast product per multiplier and no transpose of x:
 * `sum_{n, w} x[n, h, w, c] * dy_m[n, 0, w, c]`, the sums running over W (a middle axis) and
 * then n (the leading axis), both on the fast reductions of `reduce_sum_mean.ts`. For EEGNet's
 * spatial filter this avoided transposing the `[32, 248, 250, 8]` activation.
 */
function rowsByMultiplier(
  backend: tf.KernelBackend,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
  m: number,
): tf.TensorInfo {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c } = info;
  const dy5 = reshape(backend, dy, [n, 1, w, c, m]);
  const parts: tf.TensorInfo[] = [];
  for (let k = 0; k < m; k++) {
    const dyPart = slice(backend, dy5, [0, 0, 0, 0, k], [n, 1, w, c, 1]);
    const dyRow = reshape(backend, dyPart, [n, 1, w, c]);
    const product = multiply(backend, x, dyRow);
    const overW = sum(backend, product, [2]);
    const overN = sum(backend, overW, [0]);
    parts.push(reshape(backend, overN, [h, c, 1]));
    disposeInfo(backend, dyPart, dyRow, product, overW, overN);
  }
  disposeInfo(backend, dy5);
  if (parts.length === 1) return parts[0];
  const rows = runWasmKernel(backend, tf.Concat, parts as unknown as tf.NamedTensorInfoMap, { axis: 2 });
  disposeInfo(backend, ...parts);
  return rows;
}

/** Kernel config registering {@linkcode depthwiseConv2dNativeBackpropFilter} for the wasm backend. */
export const depthwiseConv2dNativeBackpropFilterConfig: tf.KernelConfig = {
  kernelName: tf.DepthwiseConv2dNativeBackpropFilter,
  backendName: WASM,
  kernelFunc: depthwiseConv2dNativeBackpropFilter as unknown as tf.KernelFunc,
};
