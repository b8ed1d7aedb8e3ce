import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-wasm";
// tfjs-layers registers the gradient functions of all tfjs-core ops when imported.
import "@tensorflow/tfjs-layers";
import { assertEquals } from "@std/assert";
import { eluScalar, simdEluConfig, simdEluCount } from "../../../backends/kernels/elu.ts";

/**
 * Float32 bit patterns: every 97th negative one (all exponents, subnormals, the saturation near -17.33,
 * negative NaNs), every 4099th non-negative one (+Inf and NaNs included), every NaN whose payload ends in
 * 0x00-0xff, and the tails n mod 4 = 1-3.
 */
function patterns(): Uint32Array {
  const out: number[] = [];
  for (let b = 0x80000000; b <= 0xffffffff; b += 97) out.push(b);
  for (let b = 0; b < 0x80000000; b += 4099) out.push(b);
  for (let low = 0; low < 256; low++) out.push(0x7f800001 + low, 0x7fc00000 + low, 0xff800001 + low, 0xffc00000 + low);
  out.push(0x7f800000, 0xff800000, 0x80000000, 0, 0x3f800000, 0xbf800000, 0xc18aa123, 0xc18aa122);
  return Uint32Array.from(out);
}

Deno.test("wasm Elu: the SIMD loop gives the stock kernel's bits (22 M patterns of every kind, NaN payloads, tails)", async () => {
  await tf.setBackend("wasm");
  const stock = tf.getKernel(tf.Elu, "wasm")!; // this file registers megflow's kernels only in the test below
  const simd = simdEluConfig(stock);
  const all = patterns();
  for (const n of [all.length, all.length - 1, 7, 1]) {
    const x = tf.tensor1d(new Float32Array(all.buffer, 0, n));
    const run = (config: tf.KernelConfig) =>
      tf.engine().makeTensorFromTensorInfo(
        config.kernelFunc({ inputs: { x }, backend: tf.backend(), attrs: {} }) as tf.TensorInfo,
      );
    const before = simdEluCount();
    const a = run(stock);
    assertEquals(simdEluCount(), before, "the stock kernel");
    const b = run(simd);
    assertEquals(simdEluCount(), before + 1);
    const [ab, bb] = [Uint32Array.from(new Uint32Array(a.dataSync().buffer)), new Uint32Array(b.dataSync().buffer)];
    const xs = x.dataSync();
    let mismatches = 0;
    for (let i = 0; i < n; i++) {
      // the last n mod 4 values come from eluScalar (JavaScript keeps no NaN payloads: those only as NaN)
      const tail = i >= n - (n % 4);
      const same = ab[i] === bb[i] || (tail && Number.isNaN(xs[i]) && Number.isNaN(b.dataSync()[i]));
      if (!same) mismatches++;
      if (!same && mismatches < 4) {
        console.error(`x bits ${all[i].toString(16)}: ${bb[i].toString(16)} against ${ab[i].toString(16)}`);
      }
    }
    assertEquals(mismatches, 0, `n = ${n}`);
    tf.dispose([x, a, b]);
  }
});

Deno.test("wasm Elu: the scalar function of the tails matches the stock kernel on ordinary values", async () => {
  await tf.setBackend("wasm");
  const values = Float32Array.from({ length: 4001 }, (_, i) => (i - 3000) / 97);
  const y = tf.elu(tf.tensor1d(values));
  assertEquals(Array.from(y.dataSync()), Array.from(values, eluScalar));
  y.dispose();
});

Deno.test("wasm Elu: registered with the training kernels, tf.elu runs it", async () => {
  const { registerWasmTrainingKernels } = await import("../../../backends/kernels/mod.ts");
  registerWasmTrainingKernels();
  await tf.setBackend("wasm");
  const before = simdEluCount();
  const y = tf.elu(tf.tensor1d([-2, -1, 0, 1, 2]));
  assertEquals(simdEluCount(), before + 1);
  assertEquals(Array.from(y.dataSync()), [-2, -1, 0, 1, 2].map(eluScalar));
  y.dispose();
});
