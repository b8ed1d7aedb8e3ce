import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import "@tensorflow/tfjs-backend-cpu";
import { assert, assertEquals, assertThrows } from "@std/assert";
import { FilterBankDense } from "../../../models/layers/filter_bank_dense.ts";
import { assertConfigRoundTrip } from "./_config.ts";

await tf.setBackend("cpu");

/**
 * The two maps one after the other, by loops: every block's stack filtered ('valid' over the
 * context: filtered frame d from frames d .. d + kernelSize - 1) into channel `f * depth + d`,
 * then the dense kernel.
 */
function slowly(
  x: number[][],
  taps: number[][][][],
  kernel: number[][],
  o: { f: number; k: number; d: number; blocks: number },
) {
  const window = o.d + o.k - 1;
  return x.map((row) => {
    const filtered: number[] = [];
    for (let b = 0; b < o.blocks; b++) {
      for (let f = 0; f < o.f; f++) {
        for (let d = 0; d < o.d; d++) {
          let sum = 0;
          for (let k = 0; k < o.k; k++) sum += taps[k][0][0][f] * row[b * window + d + k];
          filtered.push(sum);
        }
      }
    }
    return kernel[0].map((_, u) => filtered.reduce((s, v, i) => s + v * kernel[i][u], 0));
  });
}

Deno.test("FilterBankDense is the filter bank over every block's stack, then the dense map", () => {
  const o = { f: 3, k: 4, d: 5, blocks: 2 };
  const layer = new FilterBankDense({ units: 6, filters: o.f, kernelSize: o.k, depth: o.d, blocks: o.blocks });
  const x = tf.randomNormal([3, 2, o.blocks * (o.d + o.k - 1)], 0, 1, "float32", 1);
  const y = layer.apply(x) as tf.Tensor;
  assertEquals(y.shape, [3, 2, 6]);
  const [taps, kernel] = layer.getWeights();
  assertEquals(taps.shape, [o.k, 1, 1, o.f]);
  assertEquals(kernel.shape, [o.blocks * o.f * o.d, 6]);
  const rows = tf.reshape(x, [6, -1]).arraySync() as number[][];
  const expected = slowly(rows, taps.arraySync() as number[][][][], kernel.arraySync() as number[][], o);
  const got = tf.reshape(y, [6, 6]).arraySync() as number[][];
  got.forEach((row, i) =>
    row.forEach((v, u) => assert(Math.abs(v - expected[i][u]) < 1e-4, `${v} vs ${expected[i][u]}`))
  );
  tf.dispose([x, y]);
});

Deno.test("FilterBankDense gives both weights a gradient", () => {
  const layer = new FilterBankDense({ units: 2, filters: 2, kernelSize: 3, depth: 2 });
  const x = tf.randomNormal([4, 4], 0, 1, "float32", 2);
  layer.apply(x);
  const variables = layer.trainableWeights.map((w) => w.read() as tf.Variable);
  const { grads } = tf.variableGrads(() => tf.sum(tf.square(layer.apply(x) as tf.Tensor)), variables);
  for (const v of variables) assert(tf.max(tf.abs(grads[v.name])).dataSync()[0] > 0, v.name);
  tf.dispose([x, ...Object.values(grads)]);
});

Deno.test("FilterBankDense rejects bad sizes and an input of the wrong width, naming them", () => {
  assertThrows(() => new FilterBankDense({ units: 0, depth: 2 }), RangeError, "units");
  assertThrows(() => new FilterBankDense({ units: 2, depth: 2, kernelSize: 0 }), RangeError, "kernelSize");
  const layer = new FilterBankDense({ units: 2, filters: 2, kernelSize: 3, depth: 2, blocks: 4 });
  assertThrows(() => layer.apply(tfl.input({ shape: [15] })), RangeError, "blocks x (depth + kernelSize - 1) = 16");
});

Deno.test("FilterBankDense is registered and rebuilds from its config", () => {
  const layer = new FilterBankDense({ units: 8, filters: 2, kernelSize: 5, depth: 3, blocks: 4, name: "stage" });
  assertConfigRoundTrip(FilterBankDense, layer);
});
