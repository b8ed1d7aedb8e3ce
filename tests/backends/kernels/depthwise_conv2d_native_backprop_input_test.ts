import { assertLess } from "@std/assert";
import * as tf from "@tensorflow/tfjs-core";
import { Random } from "../../../core/random.ts";
import { compareBackends, normalInput, setupBackends } from "./_parity.ts";

interface Case {
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: [number, number];
  dilations: [number, number];
  pad: "same" | "valid" | [[number, number], [number, number], [number, number], [number, number]];
}

const CASES: Case[] = [
  // General path (transposed convolution).
  { x: [2, 5, 7, 3], filter: [3, 3, 3, 1], strides: [1, 1], dilations: [1, 1], pad: "same" },
  { x: [3, 6, 9, 2], filter: [3, 2, 2, 3], strides: [1, 1], dilations: [1, 1], pad: "valid" },
  { x: [2, 7, 11, 3], filter: [3, 3, 3, 2], strides: [2, 2], dilations: [1, 1], pad: "same" },
  { x: [2, 8, 10, 2], filter: [3, 4, 2, 1], strides: [2, 3], dilations: [1, 1], pad: "valid" },
  { x: [2, 9, 9, 2], filter: [3, 2, 2, 2], strides: [1, 1], dilations: [2, 3], pad: "same" },
  { x: [1, 9, 10, 3], filter: [2, 3, 3, 2], strides: [1, 1], dilations: [3, 2], pad: "valid" },
  { x: [3, 1, 15, 4], filter: [1, 5, 4, 1], strides: [1, 1], dilations: [1, 1], pad: "same" }, // separable
  { x: [2, 6, 7, 2], filter: [3, 3, 2, 2], strides: [2, 1], dilations: [1, 1], pad: [[0, 0], [2, 1], [1, 0], [0, 0]] },
  { x: [2, 5, 6, 2], filter: [2, 2, 2, 1], strides: [1, 1], dilations: [1, 1], pad: [[0, 0], [3, 0], [0, 2], [0, 0]] },
  // Fast path: the filter spans one axis (EEGNet's [nChans, 1] spatial filter and its transpose).
  { x: [4, 7, 13, 3], filter: [7, 1, 3, 2], strides: [1, 1], dilations: [1, 1], pad: "valid" },
  { x: [2, 7, 5, 2], filter: [7, 1, 2, 1], strides: [1, 1], dilations: [1, 1], pad: "same" },
  { x: [2, 6, 5, 2], filter: [5, 1, 2, 3], strides: [2, 1], dilations: [1, 1], pad: "valid" },
  { x: [2, 5, 6, 2], filter: [7, 1, 2, 2], strides: [1, 1], dilations: [1, 1], pad: [[0, 0], [2, 0], [0, 0], [0, 0]] },
  { x: [2, 5, 6, 2], filter: [8, 1, 2, 1], strides: [1, 1], dilations: [1, 1], pad: [[0, 0], [1, 2], [0, 0], [0, 0]] },
  { x: [3, 6, 8, 2], filter: [1, 8, 2, 2], strides: [1, 1], dilations: [1, 1], pad: "valid" },
  { x: [2, 5, 6, 2], filter: [5, 1, 2, 5], strides: [1, 1], dilations: [1, 1], pad: "valid" }, // many multipliers
];

/** Inserts (dilation - 1) zeros between the taps of a `[fh, fw, c, m]` filter. */
function dilateFilter(filter: tf.Tensor, [dh, dw]: [number, number]): tf.Tensor {
  const [fh, fw, c, m] = filter.shape;
  const spread = tf.pad(tf.reshape(filter, [fh, 1, fw, 1, c, m]), [[0, 0], [0, dh - 1], [0, 0], [0, dw - 1], [0, 0], [
    0,
    0,
  ]]);
  const grid = tf.reshape(spread, [fh * dh, fw * dw, c, m]);
  return tf.slice(grid, [0, 0, 0, 0], [(fh - 1) * dh + 1, (fw - 1) * dw + 1, c, m]);
}

Deno.test("DepthwiseConv2dNativeBackpropInput on wasm matches cpu over strides, dilations and paddings", async () => {
  await setupBackends();
  const random = new Random(31);
  for (const c of CASES) {
    const dyShape = tf.tidy(() =>
      tf.depthwiseConv2d(
        tf.zeros(c.x) as tf.Tensor4D,
        tf.zeros(c.filter) as tf.Tensor4D,
        c.strides,
        c.pad,
        "NHWC",
        c.dilations,
      )
        .shape
    );
    const run = (dy: tf.Tensor, filter: tf.Tensor, dilations: [number, number]) =>
      tf.engine().runKernel(tf.DepthwiseConv2dNativeBackpropInput, { dy, filter }, {
        strides: c.strides,
        dilations,
        pad: c.pad,
        inputShape: c.x,
      }) as tf.Tensor;
    const error = await compareBackends(
      { dy: normalInput(random, dyShape), filter: normalInput(random, c.filter) },
      ({ dy, filter }) => run(dy, filter, c.dilations),
      // The cpu kernel ignores dilations. Reference: the same filter with zeros between the taps.
      ({ dy, filter }) => run(dy, dilateFilter(filter, c.dilations), [1, 1]),
    );
    assertLess(error, 1e-4, `case ${JSON.stringify(c)}`);
  }
});

Deno.test("depthwiseConv2d input gradients on wasm match cpu through tf.grads", async () => {
  await setupBackends();
  const random = new Random(32);
  const error = await compareBackends(
    { x: normalInput(random, [3, 6, 20, 2]), w: normalInput(random, [6, 1, 2, 2]) },
    ({ x, w }) => {
      const f = (input: tf.Tensor) =>
        tf.sum(tf.square(tf.depthwiseConv2d(input as tf.Tensor4D, w as tf.Tensor4D, 1, "valid")));
      return tf.grad(f)(x);
    },
  );
  assertLess(error, 1e-4);
});
