/**
 * `Conv2DBackpropFilter` for the tfjs `wasm` backend.
 *
 * Why it exists: tfjs-backend-wasm 4.22 has no `Conv2DBackpropFilter`, so the gradient of every
 * `conv2d` (and `conv1d`, `separableConv2d`'s pointwise step) with respect to its filter fails on
 * wasm. The filter gradient is itself a convolution (batch and channel axes swapped, see
 * `_conv_filter_gradient.ts`) and runs on XNNPACK's conv. NCHW inputs are transposed to NHWC.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { filterGradientByConv } from "./_conv_filter_gradient.ts";
import { disposeInfo, type KernelArgs, transpose, WASM } from "./_wasm_ops.ts";

function conv2DBackpropFilter(args: KernelArgs): tf.TensorInfo {
  const { backend } = args;
  const x = args.inputs.x as tf.TensorInfo;
  const dy = args.inputs.dy as tf.TensorInfo;
  const attrs = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    tf.backend_util.convertConv2DDataFormat(attrs.dataFormat),
  );
  if (attrs.dataFormat !== "NCHW") return filterGradientByConv(backend, x, dy, info);
  const xNhwc = transpose(backend, x, [0, 2, 3, 1]);
  const dyNhwc = transpose(backend, dy, [0, 2, 3, 1]);
  const out = filterGradientByConv(backend, xNhwc, dyNhwc, info);
  disposeInfo(backend, xNhwc, dyNhwc);
  return out;
}

/** Kernel config registering {@linkcode conv2DBackpropFilter} for the wasm backend. */
export const conv2DBackpropFilterConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropFilter,
  backendName: WASM,
  kernelFunc: conv2DBackpropFilter as unknown as tf.KernelFunc,
};
