import { assertEquals, assertLess } from "@std/assert";
import * as tf from "@tensorflow/tfjs-core";
import { Random } from "../../../core/random.ts";
import { makeUnsortedSegmentSum } from "../../../backends/kernels/unsorted_segment_sum.ts";
import { compareBackends, type InputSpec, normalInput, runOn, setupBackends } from "./_parity.ts";

function ids(random: Random, count: number, low: number, high: number): InputSpec {
  const values = new Int32Array(count);
  for (let i = 0; i < count; i++) values[i] = low + random.int(high - low);
  return { shape: [count], values };
}

Deno.test("UnsortedSegmentSum on wasm matches cpu for repeated, missing and odd-shaped segments", async () => {
  await setupBackends();
  const random = new Random(41);
  const cases: Array<{ x: number[]; numSegments: number }> = [
    { x: [7], numSegments: 3 },
    { x: [10, 5], numSegments: 4 },
    { x: [9, 3, 2], numSegments: 12 }, // more segments than rows: some stay empty
    { x: [33, 17], numSegments: 1 },
  ];
  for (const c of cases) {
    const error = await compareBackends(
      { x: normalInput(random, c.x), segmentIds: ids(random, c.x[0], 0, c.numSegments) },
      ({ x, segmentIds }) => tf.unsortedSegmentSum(x, segmentIds as tf.Tensor1D, c.numSegments),
    );
    assertLess(error, 1e-4, `case ${JSON.stringify(c)}`);
  }
});

Deno.test("UnsortedSegmentSum on wasm drops ids outside [0, numSegments) and keeps int32", async () => {
  await setupBackends();
  const inputs = {
    x: { shape: [5, 2], values: new Int32Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) },
    segmentIds: { shape: [5], values: new Int32Array([0, -1, 2, 0, 3]) },
  };
  const wasm = await runOn("wasm", inputs, ({ x, segmentIds }) => {
    const out = tf.unsortedSegmentSum(x, segmentIds as tf.Tensor1D, 3);
    assertEquals(out.dtype, "int32");
    return out;
  });
  assertEquals(wasm.shapes, [[3, 2]]);
  assertEquals(Array.from(wasm.values[0]), [8, 10, 0, 0, 5, 6]);
});

Deno.test("gather gradients on wasm match cpu through tf.grads", async () => {
  await setupBackends();
  const random = new Random(42);
  const error = await compareBackends(
    { table: normalInput(random, [6, 4]), indices: ids(random, 15, 0, 6), weights: normalInput(random, [15, 4]) },
    ({ table, indices, weights }) => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, indices), weights)))(table),
  );
  assertLess(error, 1e-4);
});

Deno.test("UnsortedSegmentSum on wasm gives the same sums when it works in row chunks", async () => {
  await setupBackends();
  await tf.setBackend("wasm");
  const random = new Random(43);
  const rows = 23;
  const numSegments = 5;
  const x = normalInput(random, [rows, 3]);
  const segmentIds = ids(random, rows, -1, numSegments + 1);
  const xs = tf.tensor(x.values, x.shape);
  const idsTensor = tf.tensor(segmentIds.values, segmentIds.shape, "int32");
  const whole = tf.unsortedSegmentSum(xs, idsTensor as tf.Tensor1D, numSegments);
  // Two rows per one-hot block: 12 chunks, the last one short (the one-hot product: float32 is summed on the heap).
  const chunked = makeUnsortedSegmentSum(2 * numSegments + 3, false)({
    inputs: { x: xs, segmentIds: idsTensor },
    backend: tf.backend(),
    attrs: { numSegments },
  }) as tf.TensorInfo;
  const chunkedTensor = tf.engine().makeTensorFromTensorInfo(chunked);
  assertEquals(chunkedTensor.shape, [numSegments, 3]);
  const expected = new Float64Array(numSegments * 3);
  for (let i = 0; i < rows; i++) {
    const id = segmentIds.values[i];
    if (id < 0 || id >= numSegments) continue;
    for (let j = 0; j < 3; j++) expected[id * 3 + j] += x.values[i * 3 + j];
  }
  for (const result of [await whole.data(), await chunkedTensor.data()]) {
    for (let k = 0; k < expected.length; k++) assertLess(Math.abs(result[k] - expected[k]), 1e-5);
  }
  tf.dispose([xs, idsTensor, whole, chunkedTensor]);
});

Deno.test("UnsortedSegmentSum on wasm: float32 summed on the heap gives the one-hot product's bits", async () => {
  await setupBackends();
  await tf.setBackend("wasm");
  const random = new Random(44);
  // vivit's FIR taps' gradient (16 128 banded-matrix entries into 257 taps, the last one the zero outside the band),
  // rows of a payload with ids out of range, and an id tensor with a leading axis
  const cases: Array<{ x: number[]; idShape: number[]; numSegments: number }> = [
    { x: [16128], idShape: [16128], numSegments: 257 },
    { x: [504, 256], idShape: [504], numSegments: 287 },
    { x: [6, 4, 3], idShape: [6, 4], numSegments: 5 },
  ];
  for (const c of cases) {
    const rows = c.idShape.reduce((a, b) => a * b, 1);
    const x = tf.tensor(normalInput(random, c.x).values, c.x);
    const segmentIds = tf.tensor(ids(random, rows, -1, c.numSegments + 1).values, c.idShape, "int32");
    const run = (inHeap: boolean) =>
      tf.engine().makeTensorFromTensorInfo(
        makeUnsortedSegmentSum(1 << 24, inHeap)({
          inputs: { x, segmentIds },
          backend: tf.backend(),
          attrs: { numSegments: c.numSegments },
        }) as tf.TensorInfo,
      );
    const [heap, product] = [run(true), run(false)];
    assertEquals(heap.shape, [c.numSegments, ...c.x.slice(c.idShape.length)]);
    const bits = (t: tf.Tensor) => Array.from(new Uint32Array((t.dataSync() as Float32Array).slice().buffer));
    assertEquals(bits(heap), bits(product), JSON.stringify(c));
    tf.dispose([x, segmentIds, heap, product]);
  }
});
