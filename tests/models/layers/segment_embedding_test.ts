import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import "@tensorflow/tfjs-backend-cpu";
import { assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { SegmentEmbedding } from "../../../models/layers/segment_embedding.ts";
import { assertConfigRoundTrip } from "./_config.ts";

await tf.setBackend("cpu");

Deno.test("SegmentEmbedding projects every segment of every sensor and adds its (sensor, segment) position", () => {
  const layer = new SegmentEmbedding({ segLen: 3, dModel: 2 });
  const x = tf.randomNormal([2, 4, 6], 0, 1, "float32", 1); // [batch, nChans, nTimes]: 2 segments per sensor
  const y = (layer.apply(x) as tf.Tensor).arraySync() as number[][][][];
  const [kernel, bias, position] = layer.getWeights().map((w) => w.arraySync()) as [
    number[][],
    number[],
    number[][][],
  ];
  assertEquals(layer.getWeights().map((w) => w.shape), [[3, 2], [2], [4, 2, 2]]);
  const xs = x.arraySync() as number[][][];
  for (let b = 0; b < 2; b++) {
    for (let c = 0; c < 4; c++) {
      for (let s = 0; s < 2; s++) {
        for (let e = 0; e < 2; e++) {
          let expected = bias[e] + position[c][s][e];
          for (let t = 0; t < 3; t++) expected += xs[b][c][s * 3 + t] * kernel[t][e];
          assertAlmostEquals(y[b][c][s][e], expected, 1e-5);
        }
      }
    }
  }
});

Deno.test("SegmentEmbedding gives each (sensor, segment) its own position", () => {
  const layer = new SegmentEmbedding({ segLen: 5, dModel: 3 });
  const y = layer.apply(tf.zeros([1, 3, 10])) as tf.Tensor; // zero input: only bias + position remain
  assertEquals(y.shape, [1, 3, 2, 3]);
  const rows = (tf.reshape(y, [6, 3]).arraySync() as number[][]).map((r) => r.join(","));
  assertEquals(new Set(rows).size, 6);
});

Deno.test("SegmentEmbedding rejects a segLen that does not divide nTimes and bad arguments", () => {
  assertThrows(
    () => new SegmentEmbedding({ segLen: 7 }).apply(tfl.input({ shape: [4, 20] })),
    RangeError,
    "nTimes 20 is not a multiple of 7",
  );
  assertThrows(
    () => new SegmentEmbedding().apply(tfl.input({ shape: [4, 5, 25] })),
    TypeError,
    "[batch, nChans, nTimes]",
  );
  assertThrows(() => new SegmentEmbedding({ segLen: 0 }), RangeError, "segLen");
  assertThrows(() => new SegmentEmbedding({ dModel: 2.5 }), RangeError, "dModel");
  assertThrows(() => new SegmentEmbedding({ positionStddev: -1 }), RangeError, "positionStddev");
});

Deno.test("SegmentEmbedding computes its output shape symbolically", () => {
  const out = new SegmentEmbedding({ segLen: 25, dModel: 16 }).apply(tfl.input({ shape: [248, 250] }));
  assertEquals((out as tfl.SymbolicTensor).shape, [null, 248, 10, 16]);
});

Deno.test("SegmentEmbedding getConfig() round-trips through fromConfig()", () => {
  const layer = new SegmentEmbedding({ segLen: 10, dModel: 8, positionStddev: 0.1, name: "embed" });
  assertEquals([layer.getConfig().segLen, layer.getConfig().dModel], [10, 8]);
  assertConfigRoundTrip(SegmentEmbedding, layer);
});

Deno.test("SegmentEmbedding apply() leaks no tensors", () => {
  const layer = new SegmentEmbedding({ segLen: 2, dModel: 3 });
  const x = tf.randomNormal([2, 3, 4]);
  tf.dispose(layer.apply(x) as tf.Tensor);
  const before = tf.memory().numTensors;
  tf.dispose(layer.apply(x) as tf.Tensor);
  assertEquals(tf.memory().numTensors, before);
  x.dispose();
});
