import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import "@tensorflow/tfjs-backend-cpu";
import { assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { TubeletEmbedding } from "../../../models/layers/tubelet_embedding.ts";
import { assertConfigRoundTrip } from "./_config.ts";

await tf.setBackend("cpu");

Deno.test("TubeletEmbedding projects each space-time patch as documented (loop reference)", () => {
  const [batch, nTimes, rows, cols] = [2, 6, 6, 6];
  const [t, h, w] = [3, 2, 3];
  const [nRows, nCols] = [rows / h, cols / w];
  const embedDim = 5;
  const layer = new TubeletEmbedding({ tubelet: [t, h, w], embedDim });
  const x = tf.randomNormal([batch, nTimes, rows, cols], 0, 1, "float32", 1);
  layer.apply(x); // builds the weights; give the bias non-zero values too
  layer.setWeights([layer.getWeights()[0], tf.randomNormal([embedDim], 0, 1, "float32", 2)]);
  const y = (layer.apply(x) as tf.Tensor).arraySync() as number[][][][];
  const kernel = layer.getWeights()[0].arraySync() as number[][];
  const bias = layer.getWeights()[1].arraySync() as number[];
  const frames = x.arraySync() as number[][][][];
  assertEquals([y.length, y[0].length, y[0][0].length, y[0][0][0].length], [
    batch,
    nTimes / t,
    nRows * nCols,
    embedDim,
  ]);
  for (let b = 0; b < batch; b++) {
    for (let g = 0; g < nTimes / t; g++) {
      for (let p = 0; p < y[0][0].length; p++) {
        const [pr, pc] = [Math.floor(p / nCols), p % nCols];
        for (let e = 0; e < embedDim; e++) {
          let sum = bias[e];
          for (let i = 0; i < h; i++) {
            for (let j = 0; j < w; j++) {
              for (let k = 0; k < t; k++) {
                // kernel rows ordered (row in patch, column in patch, time in patch)
                sum += frames[b][g * t + k][pr * h + i][pc * w + j] * kernel[(i * w + j) * t + k][e];
              }
            }
          }
          assertAlmostEquals(y[b][g][p][e], sum, 1e-4);
        }
      }
    }
  }
});

Deno.test("TubeletEmbedding gives [batch, nGroups, nPatches, embedDim] symbolically", () => {
  const out = new TubeletEmbedding({ tubelet: [25, 4, 4], embedDim: 64 })
    .apply(tfl.input({ shape: [250, 20, 20] })) as tfl.SymbolicTensor;
  assertEquals(out.shape, [null, 10, 25, 64]);
});

Deno.test("TubeletEmbedding rejects a tubelet that does not divide the input", () => {
  const layer = new TubeletEmbedding({ tubelet: [10, 4, 4] });
  assertThrows(() => layer.apply(tfl.input({ shape: [25, 16, 16] })), RangeError, "nTimes 25 is not a multiple of 10");
  assertThrows(() => layer.apply(tfl.input({ shape: [16, 16] })), TypeError, "[batch, nTimes, gridRows, gridCols]");
  assertThrows(() => new TubeletEmbedding({ tubelet: [0, 4, 4] }), RangeError, "tubelet[0]");
  assertThrows(() => new TubeletEmbedding({ embedDim: -2 }), RangeError, "embedDim");
});

Deno.test("TubeletEmbedding getConfig() round-trips through fromConfig()", () => {
  const layer = new TubeletEmbedding({ tubelet: [5, 2, 2], embedDim: 7, name: "tubelets" });
  const config = layer.getConfig();
  assertEquals([config.tubelet, config.embedDim], [[5, 2, 2], 7]);
  assertConfigRoundTrip(TubeletEmbedding, layer);
});

Deno.test("TubeletEmbedding apply() leaks no tensors", () => {
  const layer = new TubeletEmbedding({ tubelet: [2, 2, 2], embedDim: 3 });
  const x = tf.randomNormal([2, 4, 4, 4]);
  tf.dispose(layer.apply(x) as tf.Tensor);
  const before = tf.memory().numTensors;
  tf.dispose(layer.apply(x) as tf.Tensor);
  assertEquals(tf.memory().numTensors, before);
  x.dispose();
});
