/**
 * The geometry on which both depthwise-convolution gradients take a fast path, and its threshold.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs-core";

/**
 * Largest depthwise multiplier that the spanning fast paths handle with one
 * broadcast product per multiplier (larger ones take a single product or a matrix product).
 */
export const MAX_SPLIT_MULTIPLIER = 4;

/**
 * The axis along which a depthwise convolution's filter spans the whole
 * (padded) input: one undilated output position along it, while the other
 * axis is a plain 1-tap, stride-1, unpadded pass (EEGNet's `[nChans, 1]`
 * spatial filter spans axis 1).
 *
 * @param info The convolution's geometry (`computeConv2DInfo`, depthwise).
 * @returns 1 (height), 2 (width), or null when neither axis spans.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { spanningAxis } from "./_spanning_axis.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const conv = (x: number[], filter: number[], pad: "valid" | "same") =>
 *   tf.backend_util.computeConv2DInfo(x as never, filter as never, 1, 1, pad, undefined, true);
 * assertEquals(spanningAxis(conv([2, 16, 50, 8], [16, 1, 8, 2], "valid")), 1);
 * assertEquals(spanningAxis(conv([2, 50, 16, 8], [1, 16, 8, 2], "valid")), 2);
 * assertEquals(spanningAxis(conv([2, 16, 50, 8], [3, 3, 8, 2], "same")), null);
 * ```
 */
export function spanningAxis(info: tf.backend_util.Conv2DInfo): 1 | 2 | null {
  const { outHeight, outWidth, filterHeight: fh, filterWidth: fw, strideHeight, strideWidth } = info;
  const { dilationHeight, dilationWidth, inHeight, inWidth, padInfo } = info;
  if (
    outHeight === 1 && dilationHeight === 1 && fw === 1 && strideWidth === 1 && padInfo.left === 0 &&
    outWidth === inWidth
  ) {
    return 1;
  }
  if (
    outWidth === 1 && dilationWidth === 1 && fh === 1 && strideHeight === 1 && padInfo.top === 0 &&
    outHeight === inHeight
  ) {
    return 2;
  }
  return null;
}
