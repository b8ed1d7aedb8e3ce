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
  { x: [2, 5, 7, 3], filter: [3, 3, 3, 1], strides: [1, 1], dilations: [1, 1], pad: "same" },
  { x: [3, 6, 9, 2], filter: [3, 2, 2, 3], strides: [1, 1], dilations: [1, 1], pad: "valid" },
  { x: [2, 7, 11, 3], filter: [3, 3, 3, 2], strides: [2, 2], dilations: [1, 1], pad: "same" },
  { x: [2, 8, 10, 2], filter: [3, 4, 2, 1], strides: [2, 3], dilations: [1, 1], pad: "valid" },
  { x: [2, 9, 9, 2], filter: [3, 2, 2, 2], strides: [1, 1], dilations: [2, 3], pad: "same" },
  { x: [1, 9, 10, 3], filter: [2, 3, 3, 2], strides: [1, 1], dilations: [3, 2], pad: "valid" },
  // One input channel: computed as a conv2d filter gradient.
  { x: [3, 4, 20, 1], filter: [1, 7, 1, 4], strides: [1, 1], dilations: [1, 1], pad: "same" }, // EEGNet temporal
  { x: [2, 5, 12, 1], filter: [2, 3, 1, 3], strides: [2, 2], dilations: [1, 1], pad: "valid" },
  { x: [2, 6, 9, 1], filter: [2, 2, 1, 2], strides: [1, 1], dilations: [2, 2], pad: "same" },
  // The filter spans one axis: computed as batched matrix products.
  { x: [4, 7, 13, 3], filter: [7, 1, 3, 2], strides: [1, 1], dilations: [1, 1], pad: "valid" }, // EEGNet spatial
  { x: [2, 5, 6, 2], filter: [7, 1, 2, 2], strides: [1, 1], dilations: [1, 1], pad: [[0, 0], [2, 0], [0, 0], [0, 0]] },
  { x: [2, 5, 6, 2], filter: [4, 1, 2, 1], strides: [2, 1], dilations: [1, 1], pad: "valid" },
  { x: [3, 6, 8, 2], filter: [1, 8, 2, 2], strides: [1, 1], dilations: [1, 1], pad: "valid" },
  { x: [2, 5, 6, 2], filter: [5, 1, 2, 5], strides: [1, 1], dilations: [1, 1], pad: "valid" }, // many multipliers
  { x: [3, 1, 15, 4], filter: [1, 5, 4, 1], strides: [1, 1], dilations: [1, 1], pad: "same" }, // separable
  { x: [2, 6, 7, 2], filter: [3, 3, 2, 2], strides: [2, 1], dilations: [1, 1], pad: [[0, 0], [2, 1], [1, 0], [0, 0]] },
];

Deno.test("DepthwiseConv2dNativeBackpropFilter on wasm matches cpu over strides, dilations, multipliers and spanning filters", async () => {
  await setupBackends();
  const random = new Random(21);
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
    const run = (x: tf.Tensor, dy: tf.Tensor, filterShape: number[], dilations: [number, number]) =>
      tf.engine().runKernel(tf.DepthwiseConv2dNativeBackpropFilter, { x, dy }, {
        strides: c.strides,
        dilations,
        pad: c.pad,
        filterShape,
      }) as tf.Tensor;
    const error = await compareBackends(
      { x: normalInput(random, c.x), dy: normalInput(random, dyShape) },
      ({ x, dy }) => run(x, dy, c.filter, c.dilations),
      // The cpu kernel ignores dilations. Reference: the gradient of the equivalent undilated
      // filter with zeros between the taps, sampled at the taps.
      ({ x, dy }) => {
        const [dh, dw] = c.dilations;
        const effective = [(c.filter[0] - 1) * dh + 1, (c.filter[1] - 1) * dw + 1, c.filter[2], c.filter[3]];
        const full = run(x, dy, effective, [1, 1]);
        return tf.stridedSlice(full, [0, 0, 0, 0], effective, [dh, dw, 1, 1]);
      },
    );
    assertLess(error, 1e-4, `case ${JSON.stringify(c)}`);
  }
});

Deno.test("depthwiseConv2d filter gradients on wasm match cpu through tf.grads", async () => {
  await setupBackends();
  const random = new Random(22);
  const error = await compareBackends(
    { x: normalInput(random, [3, 6, 20, 2]), w: normalInput(random, [6, 1, 2, 2]) },
    ({ x, w }) => {
      const f = (filter: tf.Tensor) =>
        tf.sum(tf.square(tf.depthwiseConv2d(x as tf.Tensor4D, filter as tf.Tensor4D, 1, "valid")));
      return tf.grad(f)(w);
    },
  );
  assertLess(error, 1e-4);
});
