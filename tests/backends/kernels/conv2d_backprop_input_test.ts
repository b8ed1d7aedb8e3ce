import { assertEquals, assertLess } from "@std/assert";
import * as tf from "@tensorflow/tfjs-core";
import { Random } from "../../../core/random.ts";
import { deferredStats } from "../../../backends/kernels/_deferred.ts";
import { compareBackends, normalInput, relativeError, setupBackends } from "./_parity.ts";

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
  { x: [2, 5, 6, 2], filter: [2, 2, 2, 1], strides: [1, 1], pad: [[0, 0], [3, 0], [0, 2], [0, 0]] },
  { x: [2, 3, 5, 6], filter: [2, 3, 3, 2], strides: [1, 1], pad: "same", dataFormat: "NCHW" },
];

Deno.test("Conv2DBackpropInput on wasm matches cpu over strides, paddings and shapes", async () => {
  await setupBackends();
  const random = new Random(61);
  for (const c of CASES) {
    const dataFormat = c.dataFormat ?? "NHWC";
    const dyShape = tf.tidy(() => {
      const xs = dataFormat === "NCHW" ? tf.transpose(tf.zeros(c.x), [0, 2, 3, 1]) : tf.zeros(c.x);
      const y = tf.conv2d(xs as tf.Tensor4D, tf.zeros(c.filter) as tf.Tensor4D, c.strides, c.pad);
      return dataFormat === "NCHW" ? [y.shape[0], y.shape[3], y.shape[1], y.shape[2]] : y.shape;
    });
    const error = await compareBackends(
      { dy: normalInput(random, dyShape), filter: normalInput(random, c.filter) },
      ({ dy, filter }) =>
        tf.engine().runKernel(tf.Conv2DBackpropInput, { dy, filter }, {
          strides: c.strides,
          pad: c.pad,
          dataFormat,
          inputShape: c.x,
        }) as tf.Tensor,
    );
    assertLess(error, 1e-4, `case ${JSON.stringify(c)}`);
  }
});

Deno.test("conv2d input gradients on wasm match cpu through tf.grads", async () => {
  await setupBackends();
  const random = new Random(62);
  const error = await compareBackends(
    { x: normalInput(random, [3, 6, 20, 2]), w: normalInput(random, [3, 7, 2, 4]) },
    ({ x, w }) => {
      const f = (input: tf.Tensor) =>
        tf.sum(tf.square(tf.conv2d(input as tf.Tensor4D, w as tf.Tensor4D, [2, 1], "same")));
      return tf.grad(f)(x);
    },
  );
  assertLess(error, 1e-4);
});

Deno.test("the input gradient of a fused conv2d is never computed on wasm when only the filter's is used", async () => {
  await setupBackends();
  await tf.setBackend("wasm");
  const random = new Random(63);
  const x = tf.tensor(normalInput(random, [2, 3, 16, 1]).values, [2, 3, 16, 1]) as tf.Tensor4D;
  const filter = tf.tensor(normalInput(random, [1, 5, 1, 4]).values, [1, 5, 1, 4]) as tf.Tensor4D;
  const loss = (w: tf.Tensor) =>
    tf.sum(tf.square(tf.fused.conv2d({ x, filter: w as tf.Tensor4D, strides: 1, pad: "same" })));
  const before = deferredStats();
  const filterGrad = tf.grad(loss)(filter);
  const afterFilter = deferredStats();
  assertEquals(afterFilter.deferred - before.deferred, 1);
  assertEquals(afterFilter.dropped - before.dropped, 1);
  assertEquals(afterFilter.computed, before.computed);
  // Asking for the input's gradient computes it.
  const inputGrad = tf.grad((input: tf.Tensor) =>
    tf.sum(tf.square(tf.fused.conv2d({ x: input as tf.Tensor4D, filter, strides: 1, pad: "same" })))
  )(x);
  await inputGrad.data();
  assertEquals(deferredStats().computed - afterFilter.computed, 1);
  tf.dispose([x, filter, filterGrad, inputGrad]);
});

Deno.test("a deferred input gradient on wasm is right even after its inputs were disposed", async () => {
  await setupBackends();
  const random = new Random(64);
  const dySpec = normalInput(random, [2, 5, 7, 4]);
  const filterSpec = normalInput(random, [3, 3, 3, 4]);
  const run = async (backend: string) => {
    await tf.setBackend(backend);
    const dy = tf.tensor(dySpec.values, dySpec.shape);
    const filter = tf.tensor(filterSpec.values, filterSpec.shape);
    const dx = tf.engine().runKernel(tf.Conv2DBackpropInput, { dy, filter }, {
      strides: [1, 1],
      pad: "same",
      dataFormat: "NHWC",
      inputShape: [2, 5, 7, 3],
    }) as tf.Tensor;
    tf.dispose([dy, filter]);
    const values = Float32Array.from(await dx.data() as Float32Array);
    dx.dispose();
    return values;
  };
  const cpu = await run("cpu");
  const wasm = await run("wasm");
  assertLess(relativeError(wasm, cpu), 1e-5);
});
