import { assertLess } from "@std/assert";
import * as tf from "@tensorflow/tfjs-core";
import { Random } from "../../../core/random.ts";
import { compareBackends, type InputSpec, normalInput, setupBackends } from "./_parity.ts";

function positive(random: Random, shape: number[]): InputSpec {
  const spec = normalInput(random, shape);
  spec.values = spec.values.map((v) => 0.1 + v * v);
  return spec;
}

Deno.test("batchNorm on wasm matches cpu with and without scale and offset", async () => {
  await setupBackends();
  const random = new Random(91);
  for (const shape of [[4, 5, 6, 3], [7, 8], [2, 3, 50, 8]]) {
    const c = shape[shape.length - 1];
    const inputs = {
      x: normalInput(random, shape),
      mean: normalInput(random, [c]),
      variance: positive(random, [c]),
      offset: normalInput(random, [c]),
      scale: normalInput(random, [c]),
    };
    const error = await compareBackends(inputs, ({ x, mean, variance, offset, scale }) => [
      tf.batchNorm(x, mean, variance, offset, scale, 1e-3),
      tf.batchNorm(x, mean, variance, undefined, undefined, 1e-3),
      tf.batchNorm(x, mean, variance, offset, undefined, 0.5),
    ]);
    assertLess(error, 1e-5, `shape ${JSON.stringify(shape)}`);
  }
});

Deno.test("batchNorm on wasm with full-shape statistics goes through the stock kernel", async () => {
  await setupBackends();
  const random = new Random(92);
  const shape = [3, 4, 5];
  const error = await compareBackends(
    { x: normalInput(random, shape), mean: normalInput(random, shape), variance: positive(random, shape) },
    ({ x, mean, variance }) => tf.batchNorm(x, mean, variance, undefined, undefined, 1e-3),
  );
  assertLess(error, 1e-5);
});
