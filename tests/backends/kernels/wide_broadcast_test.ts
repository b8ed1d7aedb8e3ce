import { assertEquals, assertLess } from "@std/assert";
import * as tf from "@tensorflow/tfjs-core";
import { Random } from "../../../core/random.ts";
import { compareBackends, normalInput, relativeError, runOn, setupBackends } from "./_parity.ts";

const OPS: Record<string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor> = {
  add: tf.add,
  sub: tf.sub,
  mul: tf.mul,
  div: tf.div,
  squaredDifference: tf.squaredDifference,
};

const SHAPES: Array<[number[], number[]]> = [
  [[4, 9, 70, 8], [8]], // per-channel, widened
  [[4, 9, 70, 8], [1, 1, 1, 8]],
  [[3, 50, 6], [50, 6]],
  [[2, 3, 700, 3], [1, 1, 700, 3]], // already wide enough: stock path
  [[5, 6], [6]],
  [[5, 6], [1]], // scalar-like: stock path
  [[4, 5, 6], [4, 1, 6]], // broadcast in the middle: stock path
];

Deno.test("broadcasting Add/Sub/Multiply/RealDiv/SquaredDifference on wasm match cpu", async () => {
  await setupBackends();
  const random = new Random(81);
  for (const [bigShape, smallShape] of SHAPES) {
    for (const [name, op] of Object.entries(OPS)) {
      const inputs = { big: normalInput(random, bigShape), small: normalInput(random, smallShape) };
      // Both operand orders: the small tensor on the left and on the right.
      const error = await compareBackends(inputs, ({ big, small }) => [op(big, small), op(small, big)]);
      assertLess(error, 1e-6, `${name} ${JSON.stringify(bigShape)} with ${JSON.stringify(smallShape)}`);
    }
  }
});

Deno.test("widened broadcasts on wasm equal the same operation on a full-size operand bit for bit", async () => {
  await setupBackends();
  const random = new Random(82);
  for (const [bigShape, smallShape] of SHAPES) {
    for (const [name, op] of Object.entries(OPS)) {
      const inputs = { big: normalInput(random, bigShape), small: normalInput(random, smallShape) };
      const result = await runOn("wasm", inputs, ({ big, small }) => {
        // Same-shape operands never take the widened path.
        const full = tf.add(tf.zerosLike(big), small);
        return [op(big, small), op(big, full), op(small, big), op(full, big)];
      });
      const [wide, plain, wideSwapped, plainSwapped] = result.values;
      const label = `${name} ${JSON.stringify(bigShape)} with ${JSON.stringify(smallShape)}`;
      assertEquals(relativeError(wide, plain), 0, label);
      assertEquals(relativeError(wideSwapped, plainSwapped), 0, `${label}, swapped`);
    }
  }
});
