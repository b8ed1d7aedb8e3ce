import * as tf from "@tensorflow/tfjs-core";
import { assert, assertEquals } from "@std/assert";
import { setupBackend } from "../../../backends/backend.ts";
import {
  FIR_FILTER_BANK_GRAD_KERNEL,
  FIR_FILTER_BANK_KERNEL,
  firFilterBankKernelCount,
  firGeometry,
} from "../../../backends/kernels/fir_filter_bank.ts";

Deno.test("firGeometry: the banded product's blocks, one block when the series is shorter than the taps", () => {
  assertEquals(firGeometry(250, 32), { block: 32, window: 63, nBlocks: 8, before: 15, padded: 281 });
  assertEquals(firGeometry(20, 32), { block: 20, window: 51, nBlocks: 1, before: 15, padded: 51 });
  assertEquals(firGeometry(31, 4), { block: 4, window: 7, nBlocks: 8, before: 1, padded: 34 });
});

Deno.test("wasm: the filter bank kernels filter an impulse into the taps (correlation, 'same' padding) and route dy back", async () => {
  await setupBackend("wasm");
  assert(tf.getKernel(FIR_FILTER_BANK_KERNEL, "wasm") !== undefined);
  assert(tf.getKernel(FIR_FILTER_BANK_GRAD_KERNEL, "wasm") !== undefined);
  const before = firFilterBankKernelCount();
  // one series of 6 frames, an impulse at frame 2; 8 filters of 3 taps: filter f's taps f, 10 + f, 20 + f
  const x = tf.tensor3d([0, 0, 1, 0, 0, 0], [1, 6, 1]);
  const taps = tf.tensor4d(Array.from({ length: 24 }, (_, i) => 10 * Math.floor(i / 8) + (i % 8)), [3, 1, 1, 8]);
  const [y, series] = tf.engine().runKernel(FIR_FILTER_BANK_KERNEL, { x, taps }) as tf.Tensor[];
  assertEquals(series.shape, [1, 8]);
  const filter3 = Array.from({ length: 6 }, (_, t) => y.dataSync()[t * 8 + 3]);
  assertEquals(filter3, [0, 23, 13, 3, 0, 0]);
  // dy: 1 at frame 3 of filter 0: dx = taps of filter 0 around frame 3, dTaps = x around frame 3
  const dy = tf.buffer([1, 6, 1, 8]);
  dy.set(1, 0, 3, 0, 0);
  const [dx, dTaps] = tf.engine().runKernel(FIR_FILTER_BANK_GRAD_KERNEL, {
    dy: dy.toTensor(),
    series,
    taps,
  }) as tf.Tensor[];
  assertEquals(Array.from(dx.dataSync()), [0, 0, 0, 10, 20, 0]);
  assertEquals(Array.from(dTaps.dataSync()).filter((_, i) => i % 8 === 0), [1, 0, 0]);
  assertEquals(firFilterBankKernelCount() - before, 2);
  tf.dispose([x, taps, y, series, dx, dTaps]);
});
