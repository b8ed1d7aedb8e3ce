import { assertEquals, assertLess } from "@std/assert";
import * as tf from "@tensorflow/tfjs-core";
import { Random } from "../../../core/random.ts";
import { tilingAvgPoolGrads } from "../../../backends/kernels/avg_pool_grad.ts";
import { compareBackends, normalInput, setupBackends } from "./_parity.ts";

/** [input shape, window, strides, padding, whether the windows tile the input] */
const CASES: Array<[number[], [number, number], [number, number], "valid" | "same", boolean]> = [
  [[2, 4, 10, 3], [1, 10], [1, 10], "valid", true], // tsa's segment mean
  [[2, 3, 4, 5], [1, 4], [1, 4], "valid", true], // vivit's patch mean
  [[3, 6, 8, 2], [2, 4], [2, 4], "valid", true],
  [[2, 6, 8, 2], [3, 2], [3, 2], "same", true],
  [[2, 5, 7, 3], [1, 1], [1, 1], "valid", true],
  [[2, 6, 8, 2], [2, 2], [1, 1], "valid", false], // overlapping windows: the stock kernel
  [[2, 7, 8, 2], [2, 4], [2, 4], "valid", false], // a row left over: the stock kernel
];

Deno.test("the gradient of an average pooling on wasm matches cpu, through the tiling copy where the windows tile the input", async () => {
  await setupBackends();
  const random = new Random(141);
  for (const [shape, window, strides, pad, tiles] of CASES) {
    const before = tilingAvgPoolGrads();
    const error = await compareBackends(
      { x: normalInput(random, shape), w: normalInput(random, [1]) },
      ({ x, w }) =>
        tf.grad((x: tf.Tensor) => {
          const pooled = tf.avgPool(x as tf.Tensor4D, window, strides, pad);
          return tf.sum(tf.mul(tf.square(pooled), w));
        })(x),
    );
    const label = `${JSON.stringify(shape)} window ${window} strides ${strides} ${pad}`;
    assertLess(error, 1e-6, label);
    assertEquals(tilingAvgPoolGrads() - before, tiles ? 1 : 0, label);
  }
});
