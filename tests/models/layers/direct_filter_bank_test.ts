import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { assert, assertEquals } from "@std/assert";
import { TemporalFilterBank } from "../../../models/layers/temporal_filter_bank.ts";
import {
  directFilterBank,
  isDirectFilterBank,
  setDirectFilterBank,
} from "../../../models/layers/_direct_filter_bank.ts";
import { firFilterBankKernelCount, firFilterBankSplitCount } from "../../../backends/kernels/fir_filter_bank.ts";
import { helperThreadReady, kernelThreads, setKernelThreads } from "../../../core/_helper_thread.ts";
import { setupBackend } from "../../../backends/backend.ts";
import { MODEL_RECIPES } from "../../../training/model_recipes.ts";
import { BENCH_VARIANTS } from "../../../bench/train.ts";
import { weightBitsAfterSteps } from "../../training/_weight_bits_after_steps.ts";
import { offAndOn } from "./_off_and_on.ts";

/** Bits of the output and of the gradients of `sum(output * mix)` for the input and the taps of a marked bank. */
function bankBits(shape: [number, number, number], filters: number, kernelSize: number, seed: number): number[][] {
  return tf.tidy(() => {
    const bank = directFilterBank(new TemporalFilterBank({ filters, kernelSize }));
    bank.build(shape);
    bank.setWeights([tf.randomNormal([kernelSize, 1, 1, filters], 0, 0.3, "float32", seed)]);
    const x = tf.randomNormal(shape, 0, 1, "float32", seed + 1);
    const mix = tf.randomNormal([...shape, filters], 0, 1, "float32", seed + 2);
    const taps = bank.trainableWeights[0].read() as tf.Variable;
    const f = (input: tf.Tensor) => tf.sum(tf.mul(bank.apply(input) as tf.Tensor, mix)) as tf.Scalar;
    const { grads } = tf.variableGrads(() => f(x), [taps]);
    const dx = tf.grad(f)(x);
    const out = bank.apply(x) as tf.Tensor;
    return [out, dx, grads[taps.name]].map((t) => Array.from(new Uint32Array(t.dataSync().buffer)));
  });
}

// [batch, nTimes, channels], filters, taps: vivit's bank; blocks that do not divide the window; fewer frames than
// taps (one block); an even and a short kernel
const CASES: [[number, number, number], number, number][] = [
  [[32, 250, 8], 8, 32],
  [[3, 100, 5], 16, 7],
  [[2, 20, 3], 8, 32],
  [[2, 31, 2], 8, 4],
];

Deno.test("wasm: a direct filter bank gives the banded product's output and gradients bit for bit", async () => {
  await setupBackend("wasm");
  for (const [shape, filters, kernelSize] of CASES) {
    const { off, on, calls } = await offAndOn(
      setDirectFilterBank,
      firFilterBankKernelCount,
      () => bankBits(shape, filters, kernelSize, 7),
    );
    // three passes (output, variable gradients, input gradient), each a forward kernel; two gradients
    assertEquals(calls, [0, 5], `${shape} ${filters} ${kernelSize}`);
    ["output", "input gradient", "taps gradient"].forEach((what, i) =>
      assertEquals(on[i], off[i], `${what} of ${shape} ${filters} filters ${kernelSize} taps`)
    );
  }
});

Deno.test("a direct filter bank leaves other backends, unmarked banks and filters not a multiple of 8 to the banded product", async () => {
  await setupBackend("wasm");
  const x = tf.randomNormal([2, 40, 3]);
  const marked = directFilterBank(new TemporalFilterBank({ filters: 4, kernelSize: 5 }));
  const plain = new TemporalFilterBank({ filters: 8, kernelSize: 5 });
  assert(isDirectFilterBank(marked) && !isDirectFilterBank(plain));
  const before = firFilterBankKernelCount();
  tf.dispose([marked.apply(x) as tf.Tensor, plain.apply(x) as tf.Tensor]);
  await tf.setBackend("cpu");
  const onCpu = directFilterBank(new TemporalFilterBank({ filters: 8, kernelSize: 5 }));
  tf.dispose([onCpu.apply(tf.randomNormal([2, 40, 3])) as tf.Tensor]);
  assertEquals(firFilterBankKernelCount() - before, 0);
  x.dispose();
});

Deno.test("wasm: training steps of vivit (cross, intra and wide networks) with the direct filter bank give the same weights bit for bit", async () => {
  await setupBackend("wasm");
  // the cross network (the defaults) has one FIR bank: a forward and a gradient kernel per step; intra and wide none
  const intra = { ...MODEL_RECIPES.vivit.intra?.modelOptions };
  for (const [options, kernels] of [[{}, 2], [intra, 0], [BENCH_VARIANTS.vivit_wide.options, 0]] as const) {
    const { off, on, calls } = await offAndOn(
      setDirectFilterBank,
      firFilterBankKernelCount,
      () => weightBitsAfterSteps("vivit", 3, options),
    );
    assertEquals(calls, [0, 3 * kernels], JSON.stringify(options));
    assertEquals(on.length, off.length);
    on.forEach((bits, i) =>
      assertEquals(Array.from(bits), Array.from(off[i]), `${JSON.stringify(options)} weight ${i}`)
    );
  }
});

Deno.test("wasm: a direct filter bank's gradient shared with the helper thread gives the one-thread bits", async () => {
  await setupBackend("wasm");
  const before = kernelThreads();
  setKernelThreads(2);
  assert(await helperThreadReady(), "a machine with two cores runs the helper");
  try {
    const run = (threads: 1 | 2) => {
      setKernelThreads(threads);
      return bankBits([32, 250, 8], 8, 32, 9);
    };
    const splitBefore = firFilterBankSplitCount();
    const one = run(1);
    assertEquals(firFilterBankSplitCount(), splitBefore);
    const two = run(2);
    // two gradients (the taps' and the input's passes), each shared
    assertEquals(firFilterBankSplitCount(), splitBefore + 2);
    ["output", "input gradient", "taps gradient"].forEach((what, i) => assertEquals(two[i], one[i], what));
  } finally {
    setKernelThreads(before);
  }
});
