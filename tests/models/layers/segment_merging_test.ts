import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import "@tensorflow/tfjs-backend-cpu";
import { assertEquals, assertThrows } from "@std/assert";
import { SegmentMerging } from "../../../models/layers/segment_merging.ts";
import { assertConfigRoundTrip } from "./_config.ts";

await tf.setBackend("cpu");

/** Tokens `[1, 2, nSegs, 1]` whose values are sensor * 10 + segment. */
function numbered(nSegs: number): tf.Tensor {
  const values = [0, 1].flatMap((c) => Array.from({ length: nSegs }, (_, s) => c * 10 + s));
  return tf.tensor4d(values, [1, 2, nSegs, 1]);
}

Deno.test("SegmentMerging concatenates adjacent segments of each sensor, never across sensors", () => {
  const merged = new SegmentMerging({ window: 2 }).apply(numbered(4)) as tf.Tensor;
  assertEquals(merged.arraySync(), [[[[0, 1], [2, 3]], [[10, 11], [12, 13]]]]);
});

Deno.test("SegmentMerging repeats the last segments when the window does not divide them, as Crossformer pads", () => {
  assertEquals((new SegmentMerging({ window: 2 }).apply(numbered(5)) as tf.Tensor).arraySync(), [[
    [[0, 1], [2, 3], [4, 4]],
    [[10, 11], [12, 13], [14, 14]],
  ]]);
  assertEquals((new SegmentMerging({ window: 3 }).apply(numbered(4)) as tf.Tensor).arraySync(), [[
    [[0, 1, 2], [3, 2, 3]],
    [[10, 11, 12], [13, 12, 13]],
  ]]);
  // fewer segments than the padding: the first one is repeated
  assertEquals((new SegmentMerging({ window: 4 }).apply(numbered(1)) as tf.Tensor).arraySync(), [[
    [[0, 0, 0, 0]],
    [[10, 10, 10, 10]],
  ]]);
});

Deno.test("SegmentMerging passes gradients back to the segments it merged (padding adds up)", () => {
  const x = numbered(3);
  const grad = tf.grad((t: tf.Tensor) => tf.sum(new SegmentMerging({ window: 2 }).apply(t) as tf.Tensor))(x);
  assertEquals(grad.arraySync(), [[[[1], [1], [2]], [[1], [1], [2]]]]);
});

Deno.test("SegmentMerging computes its output shape symbolically and rejects bad input", () => {
  const out = new SegmentMerging({ window: 2 }).apply(tfl.input({ shape: [248, 5, 32] })) as tfl.SymbolicTensor;
  assertEquals(out.shape, [null, 248, 3, 64]);
  assertEquals((new SegmentMerging({ window: 1 }).apply(numbered(3)) as tf.Tensor).shape, [1, 2, 3, 1]);
  assertThrows(
    () => new SegmentMerging().apply(tfl.input({ shape: [5, 32] })),
    TypeError,
    "[batch, nChans, nSegs, dModel]",
  );
  assertThrows(() => new SegmentMerging({ window: 0 }), RangeError, "window");
});

Deno.test("SegmentMerging getConfig() round-trips through fromConfig()", () => {
  const layer = new SegmentMerging({ window: 3, name: "merge" });
  assertEquals(layer.getConfig().window, 3);
  assertConfigRoundTrip(SegmentMerging, layer);
});

Deno.test("SegmentMerging apply() leaks no tensors", () => {
  const layer = new SegmentMerging({ window: 2 });
  const x = numbered(5);
  tf.dispose(layer.apply(x) as tf.Tensor);
  const before = tf.memory().numTensors;
  tf.dispose(layer.apply(x) as tf.Tensor);
  assertEquals(tf.memory().numTensors, before);
  x.dispose();
});
