import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import "@tensorflow/tfjs-backend-cpu";
import { assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { SpaceToDepth } from "../../../models/layers/space_to_depth.ts";
import { assertConfigRoundTrip } from "./_config.ts";

await tf.setBackend("cpu");

Deno.test("SpaceToDepth moves every block into the channels in TensorFlow's order, zero-padding a partial block", () => {
  const [batch, rows, cols, channels, k] = [2, 5, 4, 3, 2];
  const x = tf.randomNormal([batch, rows, cols, channels], 0, 1, "float32", 1);
  const y = (new SpaceToDepth({ blockSize: k }).apply(x) as tf.Tensor).arraySync() as number[][][][];
  const image = x.arraySync() as number[][][][];
  assertEquals([y.length, y[0].length, y[0][0].length, y[0][0][0].length], [batch, 3, 2, k * k * channels]);
  for (let b = 0; b < batch; b++) {
    for (let r = 0; r < 3; r++) {
      for (let s = 0; s < 2; s++) {
        for (let i = 0; i < k; i++) {
          for (let j = 0; j < k; j++) {
            for (let c = 0; c < channels; c++) {
              const [row, col] = [r * k + i, s * k + j];
              const expected = row < rows && col < cols ? image[b][row][col][c] : 0;
              assertEquals(y[b][r][s][(i * k + j) * channels + c], expected);
            }
          }
        }
      }
    }
  }
  x.dispose();
});

Deno.test("SpaceToDepth followed by a dense layer is a conv2d with kernel = stride = blockSize", () => {
  const [k, channels, filters] = [2, 3, 4];
  const x = tf.randomNormal([2, 6, 4, channels], 0, 1, "float32", 2);
  const kernel = tf.randomNormal([k, k, channels, filters], 0, 1, "float32", 3);
  const blocks = new SpaceToDepth({ blockSize: k }).apply(x) as tf.Tensor4D;
  const dense = tf.matMul(tf.reshape(blocks, [-1, k * k * channels]), tf.reshape(kernel, [k * k * channels, filters]));
  const conv = tf.conv2d(x as tf.Tensor4D, kernel as tf.Tensor4D, k, "valid");
  const [a, b] = [Array.from(dense.dataSync()), Array.from(conv.dataSync())];
  assertEquals(a.length, b.length);
  b.forEach((value, i) => assertAlmostEquals(a[i], value, 1e-5));
  tf.dispose([x, kernel, blocks, dense, conv]);
});

Deno.test("SpaceToDepth gives rounded-up sizes symbolically and leaves an image alone with blockSize 1", () => {
  const out = new SpaceToDepth({ blockSize: 2 }).apply(tfl.input({ shape: [5, 5, 16] })) as tfl.SymbolicTensor;
  assertEquals(out.shape, [null, 3, 3, 64]);
  const x = tf.randomNormal([1, 3, 3, 2], 0, 1, "float32", 4);
  const y = new SpaceToDepth({ blockSize: 1 }).apply(x) as tf.Tensor;
  assertEquals(Array.from(y.dataSync()), Array.from(x.dataSync()));
  tf.dispose([x, y]);
});

Deno.test("SpaceToDepth rejects a bad block size and an input that is not [batch, rows, cols, channels]", () => {
  assertThrows(() => new SpaceToDepth({ blockSize: 0 }), RangeError, "blockSize");
  assertThrows(
    () => new SpaceToDepth().apply(tfl.input({ shape: [4, 4] })),
    TypeError,
    "[batch, rows, cols, channels]",
  );
});

Deno.test("SpaceToDepth is registered and rebuilds from its config", () => {
  assertConfigRoundTrip(SpaceToDepth, new SpaceToDepth({ blockSize: 3, name: "blocks" }));
});
