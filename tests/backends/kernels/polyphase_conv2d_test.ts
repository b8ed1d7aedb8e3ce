import { assertLess } from "@std/assert";
import * as tf from "@tensorflow/tfjs-core";
import { Random } from "../../../core/random.ts";
import { compareBackends, normalInput, setupBackends } from "./_parity.ts";

interface Case {
  x: [number, number, number, number];
  filter: [number, number, number, number];
  pad: "same" | "valid" | [[number, number], [number, number], [number, number], [number, number]];
}

const CASES: Case[] = [
  { x: [3, 5, 40, 1], filter: [1, 16, 1, 4], pad: "same" }, // P = 8
  { x: [2, 4, 50, 1], filter: [1, 17, 1, 3], pad: "same" }, // P = 5, odd kernel
  { x: [2, 3, 45, 1], filter: [1, 12, 1, 2], pad: "valid" }, // 34 outputs: no P in 4..8 divides it, stock path
  { x: [2, 3, 60, 1], filter: [1, 21, 1, 8], pad: "valid" }, // 40 outputs
  { x: [1, 2, 48, 1], filter: [1, 20, 1, 5], pad: [[0, 0], [0, 0], [3, 9], [0, 0]] },
  { x: [2, 3, 40, 2], filter: [1, 16, 2, 4], pad: "same" }, // two input channels: stock path
  { x: [2, 3, 40, 1], filter: [2, 16, 1, 4], pad: "same" }, // kernel height 2: stock path
];

Deno.test("conv2d and fused conv2d on wasm match cpu for long one-channel kernels", async () => {
  await setupBackends();
  const random = new Random(101);
  for (const c of CASES) {
    const error = await compareBackends(
      { x: normalInput(random, c.x), filter: normalInput(random, c.filter) },
      ({ x, filter }) => [
        tf.conv2d(x as tf.Tensor4D, filter as tf.Tensor4D, 1, c.pad),
        tf.fused.conv2d({ x: x as tf.Tensor4D, filter: filter as tf.Tensor4D, strides: 1, pad: c.pad }),
      ],
    );
    assertLess(error, 1e-5, `case ${JSON.stringify(c)}`);
  }
});

Deno.test("fused conv2d with bias and activation on wasm matches cpu (stock path)", async () => {
  await setupBackends();
  const random = new Random(102);
  const error = await compareBackends(
    {
      x: normalInput(random, [2, 3, 40, 1]),
      filter: normalInput(random, [1, 16, 1, 4]),
      bias: normalInput(random, [4]),
    },
    ({ x, filter, bias }) =>
      tf.fused.conv2d({
        x: x as tf.Tensor4D,
        filter: filter as tf.Tensor4D,
        strides: 1,
        pad: "same",
        bias,
        activation: "relu",
      }),
  );
  assertLess(error, 1e-5);
});
