import { assert, assertEquals, assertLess } from "@std/assert";
import { setupBackend } from "../../backends/backend.ts";
import { releaseWebgpuBackend } from "../../backends/register_webgpu_backend.ts";
import { MODELS } from "../../models/registry.ts";
import { gradientError, makeStepData, missingCases, TINY_SIGNALS, trainingStep } from "./kernels/_model_step.ts";
import { withSeededRandom } from "../../core/with_seeded_random.ts";

/** Whether this machine offers any WebGPU adapter (Deno's software llvmpipe one counts). */
async function hasAdapter(): Promise<boolean> {
  // deno-lint-ignore no-explicit-any
  const gpu = (navigator as any).gpu;
  return Boolean(gpu && await gpu.requestAdapter());
}

const available = await hasAdapter();

Deno.test("every registered model has a tiny WebGPU test signal", () => {
  assertEquals(missingCases(TINY_SIGNALS), []);
});

for (const name of Object.keys(MODELS)) {
  Deno.test({
    name: `one training step of ${name} gives the same loss and gradients on webgpu and cpu`,
    ignore: !available,
    // Deno's WebGPU keeps device polling ops running between tests; the op/resource sanitizers
    // wait on them and made this file ~7x slower (42 s instead of 6 s).
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async () => {
      const signal = TINY_SIGNALS[name];
      const data = makeStepData(name, signal, 2, 11);
      await setupBackend("cpu");
      // Seeded initial weights, as in the wasm test (register_wasm_training_kernels_test.ts): unseeded,
      // the worst gradient used 0.014-0.054 of the bound over 8 draws, and the wasm test's 1.1e-4 on
      // 1 of 40 draws showed how far the tail of such draws reaches.
      const cpu = await withSeededRandom(1, () => trainingStep(name, signal, data));
      await setupBackend("webgpu");
      try {
        const gpu = await trainingStep(name, signal, data, cpu.weights);
        assert(Number.isFinite(cpu.loss) && cpu.loss > 0, `cpu loss ${cpu.loss}`);
        assertLess(Math.abs(gpu.loss - cpu.loss) / cpu.loss, 1e-4, `loss webgpu ${gpu.loss} cpu ${cpu.loss}`);
        assertEquals(gpu.grads.length, cpu.grads.length);
        for (let i = 0; i < cpu.grads.length; i++) {
          assertLess(gradientError(gpu.grads[i], cpu.grads[i], cpu.grads), 1e-4, `${name} gradient ${i}`);
        }
      } finally {
        await setupBackend("cpu");
      }
    },
  });
}

// Last: a WebGPU device alive when the test process exits can crash llvmpipe's teardown.
Deno.test({
  name: "releaseWebgpuBackend() destroys the device the tests above trained on",
  ignore: !available,
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await setupBackend("webgpu");
    await setupBackend("cpu");
    assertEquals(await releaseWebgpuBackend(), true);
    assertEquals(await releaseWebgpuBackend(), false);
  },
});
