import { assertEquals, assertThrows } from "@std/assert";
import * as tf from "@tensorflow/tfjs-core";
import { Random } from "../../../core/random.ts";
import { tubeletKernelCount, TUBELETS_KERNEL } from "../../../backends/kernels/tubelet_gather.ts";
import { TubeletEmbedding } from "../../../models/layers/tubelet_embedding.ts";
import { normalInput, runOn, setupBackends } from "./_parity.ts";

/** The tubelet rows by reshapes and transposes (TubeletEmbedding's code on other backends). */
function reference(x: tf.Tensor, [t, h, w]: number[]): tf.Tensor {
  const [batch, nTimes, rows, cols] = x.shape;
  const [groups, nR, nC] = [nTimes / t, rows / h, cols / w];
  let patches = tf.transpose(tf.reshape(x, [batch * groups, t, rows * cols]), [0, 2, 1]);
  patches = tf.transpose(tf.reshape(patches, [batch * groups * nR, h, nC, w * t]), [0, 2, 1, 3]);
  return tf.reshape(patches, [batch * groups * nR * nC, h * w * t]);
}

const kernel = (tubelet: number[]) => (x: tf.Tensor) =>
  tf.engine().runKernel(TUBELETS_KERNEL, { x }, { tubelet }) as tf.Tensor;

Deno.test("the tubelet kernel on wasm copies the rows of the reshape-and-transpose chain on cpu bit for bit, and its gradient back", async () => {
  await setupBackends();
  const random = new Random(191);
  // 4 x 4 blocks with and without leftover values (t % 4, w % 4) and cells narrower than 4
  const cases: Array<[number[], number[]]> = [
    [[2, 4, 4, 6], [2, 2, 3]],
    [[3, 10, 6, 4], [5, 3, 2]],
    [[1, 3, 2, 2], [1, 1, 1]],
    [[2, 50, 20, 20], [25, 10, 10]],
    [[2, 8, 8, 16], [4, 4, 8]],
    [[1, 14, 3, 21], [7, 3, 7]],
  ];
  for (const [shape, tubelet] of cases) {
    const inputs = {
      x: normalInput(random, shape),
      dy: normalInput(random, [
        tf.util.sizeFromShape(shape) / tubelet.reduce((a, b) => a * b),
        tubelet.reduce((a, b) => a * b),
      ]),
    };
    const run = (rowsOf: (x: tf.Tensor) => tf.Tensor) => ({ x, dy }: Record<string, tf.Tensor>) => [
      rowsOf(x),
      tf.grad((x: tf.Tensor) => tf.sum(tf.mul(rowsOf(x), dy)))(x),
    ];
    const before = tubeletKernelCount();
    const cpu = await runOn("cpu", inputs, run((x) => reference(x, tubelet)));
    const wasm = await runOn("wasm", inputs, run(kernel(tubelet)));
    assertEquals(tubeletKernelCount() - before, 3, JSON.stringify(shape)); // forward twice, gradient once
    assertEquals(wasm.shapes, cpu.shapes);
    assertEquals(wasm.values[0], cpu.values[0], `rows ${shape}`);
    assertEquals(wasm.values[1], cpu.values[1], `gradient ${shape}`);
  }
});

Deno.test("TubeletEmbedding uses the tubelet kernel on wasm, with the outputs of cpu", async () => {
  await setupBackends();
  const random = new Random(192);
  const inputs = { x: normalInput(random, [2, 10, 8, 8]) };
  const layer = new TubeletEmbedding({ tubelet: [5, 4, 4], embedDim: 8 });
  await tf.setBackend("cpu");
  layer.build([2, 10, 8, 8]);
  const weights = layer.getWeights().map((w) => w.arraySync());
  const outputs: Awaited<ReturnType<typeof runOn>>[] = [];
  for (const backend of ["cpu", "wasm"]) {
    const before = tubeletKernelCount();
    outputs.push(
      await runOn(backend, inputs, ({ x }) => {
        layer.setWeights(weights.map((w) => tf.tensor(w as number[])));
        return layer.apply(x) as tf.Tensor;
      }),
    );
    assertEquals(tubeletKernelCount() - before, backend === "wasm" ? 1 : 0, backend);
  }
  assertEquals(outputs[1].shapes, outputs[0].shapes);
  outputs[1].values[0].forEach((v, i) => assertEquals(Math.abs(v - outputs[0].values[0][i]) < 1e-5, true));
});

Deno.test("the tubelet kernel rejects a tubelet that does not divide the input, naming the kernel", async () => {
  await setupBackends();
  await tf.setBackend("wasm");
  const x = tf.ones([1, 4, 6, 6]);
  assertThrows(() => kernel([3, 2, 2])(x), RangeError, TUBELETS_KERNEL);
  x.dispose();
});
