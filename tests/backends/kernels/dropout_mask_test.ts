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

/** The stream as `models/layers/_fast_dropout.ts` draws it: value `i` after `i + 1` xorshift32 steps. */
function referenceMask(n: number, state: number, threshold: number, scale: number): Float32Array {
  const mask = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    mask[i] = (state ^ 0x80000000) >= threshold ? scale : 0;
  }
  return mask;
}

Deno.test("the wasm mask kernel (four jumped-ahead streams in one vector, the rest scalar) is the sequential stream bit for bit at every size", async () => {
  await setupBackends();
  await tf.setBackend("wasm");
  const sizes = [1, 3, 4, 63, 64, 65, 66, 67, 127, 1023, 1024, 1025, 1027, 4099, 40960, 40963];
  for (const keep of [0.75, 0.1, 0.9]) {
    const scale = Math.fround(1 / Math.fround(keep));
    const threshold = (((1 - keep) * 4294967296) | 0) ^ 0x80000000;
    for (const state of [1, 0x7fffffff, -1, 0x12345679, -0x6f00001]) {
      for (const n of sizes) {
        const out = tf.engine().runKernel("MegflowDropoutMask", {}, {
          shape: [n],
          state,
          threshold,
          scale,
        }) as tf.Tensor;
        const actual = new Uint32Array((out.dataSync() as Float32Array).slice().buffer);
        const expected = new Uint32Array(referenceMask(n, state, threshold, scale).buffer);
        const first = actual.findIndex((bits, i) => bits !== expected[i]);
        assertEquals(first, -1, `n ${n}, state ${state}, keep ${keep}: first differing value ${first}`);
        out.dispose();
      }
    }
  }
});
