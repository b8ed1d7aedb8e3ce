import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import "@tensorflow/tfjs-backend-cpu";
import { assertEquals, assertThrows } from "@std/assert";
import { BatchToSequence } from "../../../models/layers/batch_to_sequence.ts";
import { assertConfigRoundTrip } from "./_config.ts";

await tf.setBackend("cpu");

Deno.test("BatchToSequence makes row b * nSteps + s step s of example b", () => {
  const x = tf.tensor2d([[0, 1], [2, 3], [4, 5], [6, 7], [8, 9], [10, 11]]);
  const y = new BatchToSequence({ nSteps: 3 }).apply(x) as tf.Tensor;
  assertEquals(y.arraySync(), [[[0, 1], [2, 3], [4, 5]], [[6, 7], [8, 9], [10, 11]]]);
  tf.dispose([x, y]);
});

Deno.test("BatchToSequence gives [null, nSteps, features] symbolically", () => {
  const out = new BatchToSequence({ nSteps: 25 }).apply(tfl.input({ shape: [64] })) as tfl.SymbolicTensor;
  assertEquals(out.shape, [null, 25, 64]);
  assertEquals(new BatchToSequence({ nSteps: 25 }).computeOutputShape([50, 64]), [2, 25, 64]);
});

Deno.test("BatchToSequence rejects a bad nSteps, a wrong rank and a batch that is not a multiple of nSteps", () => {
  assertThrows(() => new BatchToSequence({ nSteps: 0 }), RangeError, "nSteps");
  const layer = new BatchToSequence({ nSteps: 4 });
  assertThrows(() => layer.apply(tfl.input({ shape: [5, 3] })), TypeError, "[batch * nSteps, features]");
  const x = tf.zeros([6, 2]);
  assertThrows(() => layer.apply(x), RangeError, "6 rows are not a multiple of nSteps = 4");
  x.dispose();
});

Deno.test("BatchToSequence is registered and rebuilds from its config", () => {
  assertConfigRoundTrip(BatchToSequence, new BatchToSequence({ nSteps: 7, name: "steps" }));
});
