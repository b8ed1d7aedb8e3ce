import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import "@tensorflow/tfjs-backend-cpu";
import { assertEquals, assertThrows } from "@std/assert";
import { FramesToBatch } from "../../../models/layers/frames_to_batch.ts";
import { assertConfigRoundTrip } from "./_config.ts";

await tf.setBackend("cpu");

Deno.test("FramesToBatch puts stack s of example b in row b * nSteps + s, its frames as channels", () => {
  const [batch, nTimes, rows, cols, depth] = [2, 7, 3, 4, 3];
  const x = tf.randomNormal([batch, nTimes, rows, cols], 0, 1, "float32", 1);
  const y = (new FramesToBatch({ depth }).apply(x) as tf.Tensor).arraySync() as number[][][][];
  const frames = x.arraySync() as number[][][][];
  const nSteps = 2; // floor(7 / 3); the 7th frame is dropped
  assertEquals([y.length, y[0].length, y[0][0].length, y[0][0][0].length], [batch * nSteps, rows, cols, depth]);
  for (let b = 0; b < batch; b++) {
    for (let s = 0; s < nSteps; s++) {
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < cols; c++) {
          for (let d = 0; d < depth; d++) assertEquals(y[b * nSteps + s][r][c][d], frames[b][s * depth + d][r][c]);
        }
      }
    }
  }
  x.dispose();
});

Deno.test("FramesToBatch with depth 1 makes every frame a one-channel image", () => {
  const x = tf.randomNormal([2, 3, 4, 5], 0, 1, "float32", 2);
  const y = new FramesToBatch({ depth: 1 }).apply(x) as tf.Tensor;
  assertEquals(y.shape, [6, 4, 5, 1]);
  assertEquals(Array.from(y.dataSync()), Array.from(x.dataSync()));
  tf.dispose([x, y]);
});

Deno.test("FramesToBatch gives [null, rows, cols, depth] symbolically", () => {
  const out = new FramesToBatch({ depth: 10 }).apply(tfl.input({ shape: [250, 20, 20] })) as tfl.SymbolicTensor;
  assertEquals(out.shape, [null, 20, 20, 10]);
  assertEquals(new FramesToBatch({ depth: 10 }).computeOutputShape([4, 25, 20, 20]), [8, 20, 20, 10]);
});

Deno.test("FramesToBatch rejects a bad depth, a wrong rank and a sequence shorter than one stack", () => {
  assertThrows(() => new FramesToBatch({ depth: 0 }), RangeError, "depth");
  assertThrows(() => new FramesToBatch({ depth: 2.5 }), RangeError, "depth");
  const layer = new FramesToBatch({ depth: 10 });
  assertThrows(() => layer.apply(tfl.input({ shape: [250, 20] })), TypeError, "[batch, nTimes, rows, cols]");
  assertThrows(() => layer.apply(tfl.input({ shape: [5, 20, 20] })), RangeError, "nTimes 5 is shorter");
});

Deno.test("FramesToBatch is registered and rebuilds from its config", () => {
  assertConfigRoundTrip(FramesToBatch, new FramesToBatch({ depth: 5, name: "stacks" }));
  const overlapping = new FramesToBatch({ depth: 5, before: 2, after: 3, name: "overlapping" });
  assertConfigRoundTrip(FramesToBatch, overlapping);
  assertEquals([overlapping.getConfig().before, overlapping.getConfig().after], [2, 3]);
});

Deno.test("FramesToBatch with before and after adds the neighbouring frames to every stack, zeros outside the sequence", () => {
  const [batch, rows, cols, depth, before, after] = [2, 2, 3, 3, 2, 3];
  for (const nTimes of [7, 9]) {
    const x = tf.randomNormal([batch, nTimes, rows, cols], 0, 1, "float32", 2);
    const layer = new FramesToBatch({ depth, before, after });
    const y = (layer.apply(x) as tf.Tensor).arraySync() as number[][][][];
    const frames = x.arraySync() as number[][][][];
    const nSteps = Math.floor(nTimes / depth);
    const width = before + depth + after;
    assertEquals(layer.computeOutputShape([null, nTimes, rows, cols]), [null, rows, cols, width]);
    assertEquals([y.length, y[0].length, y[0][0].length, y[0][0][0].length], [batch * nSteps, rows, cols, width]);
    for (let b = 0; b < batch; b++) {
      for (let s = 0; s < nSteps; s++) {
        for (let c = 0; c < width; c++) {
          const t = s * depth - before + c; // frames after the last full stack are read when they exist
          for (let r = 0; r < rows; r++) {
            for (let k = 0; k < cols; k++) {
              const expected = t >= 0 && t < nTimes ? frames[b][t][r][k] : 0;
              assertEquals(y[b * nSteps + s][r][k][c], expected, `nTimes ${nTimes}, stack ${s}, channel ${c}`);
            }
          }
        }
      }
    }
    x.dispose();
  }
  assertThrows(() => new FramesToBatch({ depth: 2, before: -1 }), RangeError, "before");
  assertThrows(() => new FramesToBatch({ depth: 2, after: 0.5 }), RangeError, "after");
});
