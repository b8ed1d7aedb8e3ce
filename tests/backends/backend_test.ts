import { assert, assertEquals, assertMatch, assertRejects, assertStringIncludes } from "@std/assert";
import * as tf from "@tensorflow/tfjs-core";
import { BACKEND_CHOICES, type BackendChoice, describeBackend, setupBackend } from "../../backends/backend.ts";

/** What the test machine offers: null (no WebGPU adapter) or whether its adapter is software. */
async function adapterIsSoftware(): Promise<boolean | null> {
  // deno-lint-ignore no-explicit-any
  const gpu = (navigator as any).gpu;
  const adapter = gpu ? await gpu.requestAdapter() : null;
  if (!adapter) return null;
  const info = adapter.info ?? {};
  return info.isFallbackAdapter === true || /llvmpipe|lavapipe|swiftshader/i.test(String(info.description));
}

Deno.test("setupBackend() starts the cpu and wasm backends it is asked for", async () => {
  const cpu = await setupBackend("cpu");
  assertEquals(cpu.backend, "cpu");
  assertEquals(tf.getBackend(), "cpu");
  const wasm = await setupBackend("wasm");
  assertEquals(wasm.backend, "wasm");
  assertEquals(tf.getBackend(), "wasm");
  assertStringIncludes(wasm.reason, "WebAssembly");
});

Deno.test("setupBackend('wasm') registers the wasm training kernels", async () => {
  await setupBackend("wasm");
  for (const name of ["Conv2DBackpropFilter", "DepthwiseConv2dNativeBackpropFilter", "UnsortedSegmentSum"]) {
    assert(tf.getKernel(name, "wasm") !== undefined, `${name} is registered`);
  }
  const description = await describeBackend();
  assertEquals(description.backend, "wasm");
  assertEquals(description.trainingKernels, true);
  assertMatch(description.summary, /^wasm \(tfjs 4\.22\.0, (no )?SIMD, \d+ threads?, training kernels\)$/);
});

Deno.test("setupBackend('auto') takes webgpu only for a hardware adapter", async () => {
  const software = await adapterIsSoftware();
  const setup = await setupBackend("auto");
  if (software === false) {
    assertEquals(setup.backend, "webgpu");
  } else {
    assertEquals(setup.backend, "wasm");
    assertEquals(tf.getBackend(), "wasm");
    if (software === true) {
      assertStringIncludes(setup.reason, "software");
      assert(setup.adapter !== undefined && setup.adapter.length > 0);
    } else {
      assertStringIncludes(setup.reason, "no WebGPU adapter");
    }
  }
});

Deno.test("setupBackend('webgpu') starts on any adapter or says that there is none", async () => {
  const software = await adapterIsSoftware();
  if (software === null) {
    await assertRejects(() => setupBackend("webgpu"), Error, "no adapter");
    return;
  }
  const setup = await setupBackend("webgpu");
  assertEquals(setup.backend, "webgpu");
  assertStringIncludes(setup.reason, software ? "software adapter" : "hardware adapter");
  const description = await describeBackend();
  assertStringIncludes(description.summary, "webgpu");
  await setupBackend("wasm");
});

Deno.test("setupBackend() rejects an unknown backend with the accepted names", async () => {
  await assertRejects(() => setupBackend("tpu" as BackendChoice), RangeError, BACKEND_CHOICES.join(", "));
});
