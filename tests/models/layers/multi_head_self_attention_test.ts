import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import "@tensorflow/tfjs-backend-cpu";
import { assertAlmostEquals, assertEquals, assertNotEquals, assertThrows } from "@std/assert";
import { MultiHeadSelfAttention } from "../../../models/layers/multi_head_self_attention.ts";
import { assertConfigRoundTrip } from "./_config.ts";

await tf.setBackend("cpu");

/** softmax(X Wq (X Wk)^T / sqrt(d)) X Wv Wo, by hand, for one sequence and one head. */
function referenceSingleHead(x: number[][], wq: number[][], wk: number[][], wv: number[][], wo: number[][]) {
  const matmul = (a: number[][], b: number[][]) =>
    a.map((row) => b[0].map((_, j) => row.reduce((s, v, k) => s + v * b[k][j], 0)));
  const q = matmul(x, wq), k = matmul(x, wk), v = matmul(x, wv);
  const d = wq[0].length;
  const attended = q.map((qi) => {
    const scores = k.map((kj) => qi.reduce((s, val, c) => s + val * kj[c], 0) / Math.sqrt(d));
    const max = Math.max(...scores);
    const e = scores.map((s) => Math.exp(s - max));
    const z = e.reduce((a, b) => a + b);
    return v[0].map((_, c) => e.reduce((s, ej, j) => s + (ej / z) * v[j][c], 0));
  });
  return matmul(attended, wo);
}

Deno.test("MultiHeadSelfAttention equals a hand-computed single-head reference", () => {
  const x = [[1, 0, 2], [0, 1, -1], [0.5, 0.5, 0], [2, -1, 1]]; // seqLen 4, embedDim 3
  const wq = [[1, 0], [0, 1], [1, 1]];
  const wk = [[0.5, -1], [1, 0], [0, 2]];
  const wv = [[1, 2], [0, -1], [3, 0]];
  const wo = [[1, 0, -1], [0.5, 1, 0]];
  const layer = new MultiHeadSelfAttention({ numHeads: 1, keyDim: 2 });
  const input = tf.tensor3d([x]);
  layer.apply(input);
  const qkv = wq.map((row, i) => [...row, ...wk[i], ...wv[i]]);
  layer.setWeights([tf.tensor2d(qkv), tf.zeros([6]), tf.tensor2d(wo), tf.zeros([3])]);
  const got = (layer.apply(input) as tf.Tensor).arraySync() as number[][][];
  const expected = referenceSingleHead(x, wq, wk, wv, wo);
  expected.forEach((row, i) => row.forEach((value, j) => assertAlmostEquals(got[0][i][j], value, 1e-5)));
});

Deno.test("MultiHeadSelfAttention with two heads equals the two single heads concatenated", () => {
  const x = [[1, 0], [0, 1], [1, -1]];
  const heads = [
    { wq: [[1, 0], [0, 1]], wk: [[1, 1], [0, 1]], wv: [[1, 0], [0, 2]] },
    { wq: [[0, 1], [1, 0]], wk: [[2, 0], [1, -1]], wv: [[0, 1], [1, 1]] },
  ];
  const wo = [[1, 0], [0, 1], [1, 1], [-1, 0.5]]; // [heads * keyDim, embedDim]
  const layer = new MultiHeadSelfAttention({ numHeads: 2, keyDim: 2 });
  const input = tf.tensor3d([x]);
  layer.apply(input);
  // columns: queries (head 0, head 1), keys (head 0, head 1), values (head 0, head 1)
  const qkv = x[0].map((_, i) =>
    ["wq", "wk", "wv"].flatMap((m) => heads.flatMap((h) => h[m as "wq" | "wk" | "wv"][i]))
  );
  layer.setWeights([tf.tensor2d(qkv), tf.zeros([12]), tf.tensor2d(wo), tf.zeros([2])]);
  const got = (layer.apply(input) as tf.Tensor).arraySync() as number[][][];
  const identity = [[1, 0], [0, 1]];
  const perHead = heads.map((h) => referenceSingleHead(x, h.wq, h.wk, h.wv, identity));
  const expected = perHead[0].map((row, i) => [...row, ...perHead[1][i]]).map((row) =>
    wo[0].map((_, j) => row.reduce((s, v, k) => s + v * wo[k][j], 0))
  );
  expected.forEach((row, i) => row.forEach((value, j) => assertAlmostEquals(got[0][i][j], value, 1e-5)));
});

Deno.test("MultiHeadSelfAttention keeps the input shape for rank 3 and rank 4 inputs", () => {
  const layer = new MultiHeadSelfAttention({ numHeads: 2, keyDim: 3 });
  const x3 = tf.randomNormal([2, 5, 6]);
  assertEquals((layer.apply(x3) as tf.Tensor).shape, [2, 5, 6]);
  const x4 = tf.randomNormal([2, 3, 5, 6]);
  assertEquals((layer.apply(x4) as tf.Tensor).shape, [2, 3, 5, 6]);
  assertEquals((layer.apply(tfl.input({ shape: [3, 5, 6] })) as tfl.SymbolicTensor).shape, [null, 3, 5, 6]);
});

Deno.test("MultiHeadSelfAttention on [batch, groups, seqLen, embedDim] attends within each group only", () => {
  const layer = new MultiHeadSelfAttention({ numHeads: 2, keyDim: 4 });
  const x = tf.randomNormal([2, 3, 5, 8], 0, 1, "float32", 4);
  const together = layer.apply(x) as tf.Tensor;
  for (let g = 0; g < 3; g++) {
    const group = tf.reshape(tf.slice(x, [0, g, 0, 0], [2, 1, 5, 8]), [2, 5, 8]);
    const alone = (layer.apply(group) as tf.Tensor).arraySync() as number[][][];
    const part = tf.reshape(tf.slice(together, [0, g, 0, 0], [2, 1, 5, 8]), [2, 5, 8]).arraySync() as number[][][];
    part.flat(2).forEach((v, i) => assertAlmostEquals(v, alone.flat(2)[i], 1e-5));
  }
});

Deno.test("MultiHeadSelfAttention drops attention weights only while training", () => {
  const layer = new MultiHeadSelfAttention({ numHeads: 1, keyDim: 4, dropout: 0.5 });
  const x = tf.randomNormal([1, 6, 4], 0, 1, "float32", 6);
  const inference = (layer.apply(x) as tf.Tensor).arraySync();
  assertEquals((layer.apply(x) as tf.Tensor).arraySync(), inference);
  assertEquals((layer.apply(x, { training: false }) as tf.Tensor).arraySync(), inference);
  assertNotEquals((layer.apply(x, { training: true }) as tf.Tensor).arraySync(), inference);
});

Deno.test("MultiHeadSelfAttention rejects rank-2 inputs and bad arguments", () => {
  assertThrows(() => new MultiHeadSelfAttention().apply(tfl.input({ shape: [8] })), TypeError, "seqLen");
  assertThrows(() => new MultiHeadSelfAttention({ numHeads: 0 }), RangeError, "numHeads");
  assertThrows(() => new MultiHeadSelfAttention({ keyDim: 2.5 }), RangeError, "keyDim");
  assertThrows(() => new MultiHeadSelfAttention({ dropout: 1 }), RangeError, "dropout");
});

Deno.test("MultiHeadSelfAttention getConfig() round-trips through fromConfig()", () => {
  const layer = new MultiHeadSelfAttention({ numHeads: 3, keyDim: 5, dropout: 0.2, name: "mhsa" });
  const config = layer.getConfig();
  assertEquals([config.numHeads, config.keyDim, config.dropout], [3, 5, 0.2]);
  assertConfigRoundTrip(MultiHeadSelfAttention, layer);
});

Deno.test("MultiHeadSelfAttention apply() leaks no tensors", () => {
  const layer = new MultiHeadSelfAttention({ numHeads: 2, keyDim: 2, dropout: 0.1 });
  const x = tf.randomNormal([2, 3, 4]);
  tf.dispose(layer.apply(x) as tf.Tensor);
  const before = tf.memory().numTensors;
  tf.dispose(layer.apply(x) as tf.Tensor);
  tf.dispose(layer.apply(x, { training: true }) as tf.Tensor);
  assertEquals(tf.memory().numTensors, before);
  x.dispose();
});
