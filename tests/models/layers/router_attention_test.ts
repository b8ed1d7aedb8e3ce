import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import "@tensorflow/tfjs-backend-cpu";
import { assert, assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { RouterAttention } from "../../../models/layers/router_attention.ts";
import { assertConfigRoundTrip } from "./_config.ts";

await tf.setBackend("cpu");

/** Multi-head attention of `queries [m, d]` over `source [n, d]` with weights `w` (q, k, v, o kernels and biases). */
function attention(queries: tf.Tensor2D, source: tf.Tensor2D, w: tf.Tensor[], heads: number, keyDim: number) {
  const [qk, qb, kk, kb, vk, vb, ok, ob] = w;
  const q = tf.add(tf.matMul(queries, qk), qb),
    k = tf.add(tf.matMul(source, kk), kb),
    v = tf.add(tf.matMul(source, vk), vb);
  const outs = [];
  for (let h = 0; h < heads; h++) {
    const part = (t: tf.Tensor) => tf.slice(t, [0, h * keyDim], [-1, keyDim]) as tf.Tensor2D;
    const scores = tf.div(tf.matMul(part(q), part(k), false, true), Math.sqrt(keyDim));
    outs.push(tf.matMul(tf.softmax(scores), part(v)));
  }
  return tf.add(tf.matMul(tf.concat(outs, 1), ok), ob) as tf.Tensor2D;
}

Deno.test("RouterAttention equals a per-segment reference: routers gather from the sensors, the sensors read back", () => {
  const [batch, nChans, nSegs, dModel, heads, keyDim] = [2, 5, 3, 6, 2, 3];
  const layer = new RouterAttention({ routers: 2, numHeads: heads, keyDim });
  const x = tf.randomNormal([batch, nChans, nSegs, dModel], 0, 1, "float32", 3);
  const got = (layer.apply(x) as tf.Tensor).arraySync() as number[][][][];
  const [routers, ...w] = layer.getWeights();
  assertEquals(routers.shape, [nSegs, 2, dModel]);
  for (let b = 0; b < batch; b++) {
    for (let s = 0; s < nSegs; s++) {
      const sensors = tf.reshape(tf.slice(x, [b, 0, s, 0], [1, -1, 1, -1]), [nChans, dModel]) as tf.Tensor2D;
      const segRouters = tf.reshape(tf.slice(routers, [s, 0, 0], [1, -1, -1]), [2, dModel]) as tf.Tensor2D;
      const buffer = attention(segRouters, sensors, w.slice(0, 8), heads, keyDim);
      const expected = attention(sensors, buffer, w.slice(8), heads, keyDim).arraySync();
      for (let c = 0; c < nChans; c++) {
        for (let e = 0; e < dModel; e++) assertAlmostEquals(got[b][c][s][e], expected[c][e], 1e-4);
      }
    }
  }
});

Deno.test("RouterAttention mixes sensors: changing one sensor changes another sensor's token of the same segment only", () => {
  const layer = new RouterAttention({ routers: 3, numHeads: 2, keyDim: 4 });
  const x = tf.randomNormal([1, 6, 4, 8], 0, 1, "float32", 5);
  const bump = tf.buffer([1, 6, 4, 8]);
  for (let e = 0; e < 8; e++) bump.set(3, 0, 2, 2, e); // sensor 2, segment 2
  const changed = tf.add(x, bump.toTensor());
  const before = (layer.apply(x) as tf.Tensor).arraySync() as number[][][][];
  const after = (layer.apply(changed) as tf.Tensor).arraySync() as number[][][][];
  const moved = (c: number, s: number) => Math.max(...before[0][c][s].map((v, e) => Math.abs(v - after[0][c][s][e])));
  assert(moved(2, 2) > 1e-3, "the changed sensor itself");
  for (const other of [0, 1, 3, 4, 5]) assert(moved(other, 2) > 1e-4, `sensor ${other} saw nothing of sensor 2`);
  for (const s of [0, 1, 3]) for (let c = 0; c < 6; c++) assertEquals(moved(c, s), 0, `segment ${s} sensor ${c}`);
});

Deno.test("RouterAttention's attention matrices are routers x sensors, never sensors x sensors", () => {
  const [batch, nChans, nSegs, routers, heads] = [3, 40, 2, 4, 2];
  const layer = new RouterAttention({ routers, numHeads: heads, keyDim: 4 });
  const x = tf.randomNormal([batch, nChans, nSegs, 8], 0, 1, "float32", 9);
  const { gather, distribute } = layer.attentionWeights(x);
  assertEquals(gather.shape, [nSegs, heads, batch, routers, nChans]);
  assertEquals(distribute.shape, [nSegs, heads, batch, nChans, routers]);
  // each is routers x sensors per segment, head and example: 2 x 4 x 40 scores, not 40 x 40
  assertEquals(gather.size + distribute.size, nSegs * heads * batch * 2 * routers * nChans);
  for (const w of [gather, distribute]) {
    for (const total of Array.from(tf.sum(w, -1).dataSync())) assertAlmostEquals(total, 1, 1e-5);
  }
  tf.dispose([x, gather, distribute]);
});

Deno.test("RouterAttention keeps the input's shape, symbolically too, and rejects bad arguments", () => {
  const out = new RouterAttention().apply(tfl.input({ shape: [248, 10, 32] })) as tfl.SymbolicTensor;
  assertEquals(out.shape, [null, 248, 10, 32]);
  assertThrows(
    () => new RouterAttention().apply(tfl.input({ shape: [10, 32] })),
    TypeError,
    "[batch, nChans, nSegs, dModel]",
  );
  assertThrows(() => new RouterAttention({ routers: 0 }), RangeError, "routers");
  assertThrows(() => new RouterAttention({ numHeads: 1.5 }), RangeError, "numHeads");
  assertThrows(() => new RouterAttention({ keyDim: 0 }), RangeError, "keyDim");
  assertThrows(() => new RouterAttention({ dropout: 1 }), RangeError, "dropout");
});

Deno.test("RouterAttention drops attention weights only while training", () => {
  const layer = new RouterAttention({ routers: 2, numHeads: 1, keyDim: 4, dropout: 0.5 });
  const x = tf.randomNormal([2, 5, 2, 4], 0, 1, "float32", 2);
  const [a, b] = [layer.apply(x) as tf.Tensor, layer.apply(x) as tf.Tensor];
  assertEquals(a.arraySync(), b.arraySync());
  const trained = layer.apply(x, { training: true }) as tf.Tensor;
  assert(tf.max(tf.abs(tf.sub(trained, a))).dataSync()[0] > 1e-4);
});

Deno.test("RouterAttention getConfig() round-trips through fromConfig()", () => {
  const layer = new RouterAttention({ routers: 6, numHeads: 3, keyDim: 5, dropout: 0.1, name: "routers" });
  assertEquals([layer.getConfig().routers, layer.getConfig().numHeads], [6, 3]);
  assertConfigRoundTrip(RouterAttention, layer);
});

Deno.test("RouterAttention apply() and training steps leak no tensors", () => {
  const layer = new RouterAttention({ routers: 2, numHeads: 2, keyDim: 3 });
  const x = tf.randomNormal([2, 4, 3, 6]);
  tf.dispose(layer.apply(x) as tf.Tensor);
  const before = tf.memory().numTensors;
  tf.dispose(layer.apply(x) as tf.Tensor);
  const variables = layer.trainableWeights.map((w) => w.read() as tf.Variable);
  const { value, grads } = tf.variableGrads(
    () => tf.sum(layer.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
    variables,
  );
  assertEquals(Object.keys(grads).length, 17);
  tf.dispose([value, ...Object.values(grads)]);
  assertEquals(tf.memory().numTensors, before);
  x.dispose();
});
