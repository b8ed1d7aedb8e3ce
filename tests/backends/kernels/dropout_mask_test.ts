import { assert, assertEquals } from "@std/assert";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { dropoutMaskKernelCount } from "../../../backends/kernels/dropout_mask.ts";
import { dropoutMask, fastDropoutMasks } from "../../../models/layers/_fast_dropout.ts";
import { withSeededRandom } from "../../../core/with_seeded_random.ts";
import { setupBackends } from "./_parity.ts";

Deno.test("a Dropout layer on wasm draws its mask with the kernel, bit for bit the JavaScript mask and the cpu layer's output under the same seed", async () => {
  await setupBackends();
  for (const [shape, rate] of [[[1], 0.5], [[7, 3], 0.1], [[32, 40, 5], 0.25], [[3, 1000], 0.9]] as const) {
    const values = Float32Array.from({ length: tf.util.sizeFromShape([...shape]) }, (_, i) => 1 + (i % 13) / 7);
    const layer = tfl.layers.dropout({ rate });
    const outputs: Float32Array[] = [];
    for (const backend of ["cpu", "wasm"]) {
      await tf.setBackend(backend);
      const x = tf.tensor(values, [...shape]);
      const [before, kernelBefore] = [fastDropoutMasks(), dropoutMaskKernelCount()];
      const y = await withSeededRandom(7, () => layer.apply(x, { training: true }) as tf.Tensor);
      outputs.push(Float32Array.from(await y.data()));
      assertEquals(fastDropoutMasks() - before, 1);
      assertEquals(dropoutMaskKernelCount() - kernelBefore, backend === "wasm" ? 1 : 0, backend);
      tf.dispose([x, y]);
    }
    const mask = await withSeededRandom(7, () => dropoutMask(values.length, 1 - rate));
    const expected = values.map((v, i) => Math.fround(v * mask[i]));
    assertEquals(outputs[0], expected, `cpu ${shape}`);
    assertEquals(outputs[1], expected, `wasm ${shape}`);
    if (values.length > 100) assert(expected.some((v) => v === 0) && expected.some((v) => v !== 0));
  }
});
