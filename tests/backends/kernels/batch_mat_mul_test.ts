import { assertLess } from "@std/assert";
import * as tf from "@tensorflow/tfjs-core";
import { Random } from "../../../core/random.ts";
import { compareBackends, normalInput, setupBackends } from "./_parity.ts";

/** [a shape, b shape] before any transposition: a `[..., m, k]`, b `[..., k, n]`. */
const SHAPES: Array<[number[], number[]]> = [
  [[5, 7], [7, 3]],
  [[4, 6, 9], [4, 9, 2]],
  [[1, 6, 9], [3, 9, 5]], // broadcast batch
  [[2, 3, 4, 5], [2, 3, 5, 6]], // rank 4
  [[33, 17], [17, 20]],
];

Deno.test("matMul on wasm matches cpu for every transpose combination and batch layout", async () => {
  await setupBackends();
  const random = new Random(121);
  for (const [aShape, bShape] of SHAPES) {
    for (const transposeA of [false, true]) {
      for (const transposeB of [false, true]) {
        const swap = (shape: number[]) => [...shape.slice(0, -2), shape[shape.length - 1], shape[shape.length - 2]];
        const error = await compareBackends(
          {
            a: normalInput(random, transposeA ? swap(aShape) : aShape),
            b: normalInput(random, transposeB ? swap(bShape) : bShape),
          },
          ({ a, b }) => tf.matMul(a, b, transposeA, transposeB),
        );
        assertLess(
          error,
          1e-5,
          `${JSON.stringify([aShape, bShape])} transposeA ${transposeA} transposeB ${transposeB}`,
        );
      }
    }
  }
});
