import { assertLess } from "@std/assert";
import * as tf from "@tensorflow/tfjs-core";
import { Random } from "../../../core/random.ts";
import { compareBackends, normalInput, setupBackends } from "./_parity.ts";

interface Case {
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: [number, number];
  pad: "same" | "valid" | [[number, number], [number, number], [number, number], [number, number]];
  dataFormat?: "NHWC" | "NCHW";
}

const CASES: Case[] = [
  { x: [2, 5, 7, 3], filter: [3, 3, 3, 4], strides: [1, 1], pad: "same" },
  { x: [3, 6, 9, 2], filter: [3, 2, 2, 5], strides: [1, 1], pad: "valid" },
  { x: [2, 7, 11, 3], filter: [3, 3, 3, 2], strides: [2, 2], pad: "same" },
  { x: [2, 8, 10, 2], filter: [3, 4, 2, 3], strides: [2, 3], pad: "valid" },
  { x: [1, 9, 9, 1], filter: [2, 2, 1, 2], strides: [3, 3], pad: "valid" },
  { x: [4, 6, 13, 1], filter: [1, 5, 1, 4], strides: [1, 1], pad: "same" }, // EEGNet-like temporal conv
  { x: [2, 5, 6, 3], filter: [1, 1, 3, 4], strides: [1, 1], pad: "valid" }, // pointwise
  { x: [2, 5, 7, 2], filter: [3, 3, 2, 3], strides: [1, 2], pad: [[0, 0], [1, 2], [0, 1], [0, 0]] },
  { x: [2, 3, 5, 6], filter: [2, 3, 3, 2], strides: [1, 1], pad: "same", dataFormat: "NCHW" },
];

Deno.test("Conv2DBackpropFilter on wasm matches cpu over strides, paddings and shapes", async () => {
  await setupBackends();
  const random = new Random(11);
  for (const c of CASES) {
    const dataFormat = c.dataFormat ?? "NHWC";
    // Output shape from the forward conv on cpu.
    const dyShape = tf.tidy(() => {
      const xs = dataFormat === "NCHW" ? tf.transpose(tf.zeros(c.x), [0, 2, 3, 1]) : tf.zeros(c.x);
      const y = tf.conv2d(xs as tf.Tensor4D, tf.zeros(c.filter) as tf.Tensor4D, c.strides, c.pad);
      return dataFormat === "NCHW" ? [y.shape[0], y.shape[3], y.shape[1], y.shape[2]] : y.shape;
    });
    const error = await compareBackends(
      { x: normalInput(random, c.x), dy: normalInput(random, dyShape) },
      ({ x, dy }) =>
        tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, {
          strides: c.strides,
          pad: c.pad,
          dataFormat,
          filterShape: c.filter,
        }) as tf.Tensor,
    );
    assertLess(error, 1e-4, `case ${JSON.stringify(c)}`);
  }
});

Deno.test("conv2d filter gradients on wasm match cpu through tf.grads", async () => {
  await setupBackends();
  const random = new Random(12);
  const error = await compareBackends(
    { x: normalInput(random, [3, 6, 20, 2]), w: normalInput(random, [1, 7, 2, 4]) },
    ({ x, w }) => {
      const f = (filter: tf.Tensor) =>
        tf.sum(tf.square(tf.conv2d(x as tf.Tensor4D, filter as tf.Tensor4D, [1, 2], "same")));
      return tf.grad(f)(w);
    },
  );
  assertLess(error, 1e-4);
});
