import { assert, assertAlmostEquals, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-layers"; // registers the gradients of tfjs-core's ops
// Imported for the factory tfjs-backend-webgpu registers itself, kept here to show that it fails.
import "@tensorflow/tfjs-backend-webgpu";
import { describeBackend, probeWebgpuAdapter, setupBackend } from "../../backends/backend.ts";
import {
  registerWebgpuBackend,
  releaseWebgpuBackend,
  webgpuAdapterInfo,
  webgpuDeviceDescriptor,
} from "../../backends/register_webgpu_backend.ts";
import { H100, withHardwareLikeGpu } from "./_hardware_like_gpu.ts";

const stockFactory = tf.findBackendFactory("webgpu");
const hasAdapter = Boolean(await navigator.gpu?.requestAdapter());

// Deno's WebGPU keeps device polling ops running between tests (see backend_webgpu_training_test.ts).
const webgpuTest = { sanitizeOps: false, sanitizeResources: false };

Deno.test({
  name: "tfjs-backend-webgpu's own factory fails on a hardware-like adapter (the failure megflow's factory avoids)",
  ...webgpuTest,
  fn: async () => {
    assert(stockFactory !== null, "importing tfjs-backend-webgpu registers its factory when navigator.gpu exists");
    if (!hasAdapter) return;
    // bgra8unorm-storage offered: tfjs pushes ["bgra8unorm-storage"] (an array) into requiredFeatures.
    await withHardwareLikeGpu(async () => {
      await assertRejects(async () => await stockFactory(), TypeError, "index 1 can not be converted to a enum");
    });
    // Without it the device is created, and tfjs then reads the invalidated adapter's info.
    await withHardwareLikeGpu(async () => {
      await assertRejects(async () => await stockFactory(), TypeError, "invalidated by a device creation");
    }, []);
  },
});

Deno.test({
  name: "setupBackend('webgpu') starts on a hardware-like adapter and computes what cpu computes",
  ...webgpuTest,
  fn: async () => {
    if (!hasAdapter) {
      await assertRejects(() => setupBackend("webgpu"), Error, "no adapter");
      return;
    }
    const x = [[1, 2, 3], [4, 5, 6]];
    const w = [[0.5, -1], [0.25, 2], [-1, 0.5]];
    const lossOf = (weights: tf.Tensor) => tf.sum(tf.square(tf.matMul(tf.tensor2d(x), weights))) as tf.Scalar;
    await setupBackend("cpu");
    const expected = await tf.grad(lossOf)(tf.tensor2d(w)).array();
    await withHardwareLikeGpu(async () => {
      const setup = await setupBackend("webgpu");
      assertEquals([setup.backend, tf.getBackend()], ["webgpu", "webgpu"]);
      assertStringIncludes(setup.reason, `hardware adapter ${H100.description}`);
      const gradient = await tf.grad(lossOf)(tf.tensor2d(w)).array() as number[][];
      gradient.flat().forEach((value, i) => assertAlmostEquals(value, (expected as number[][]).flat()[i], 1e-4));
      assertStringIncludes((await describeBackend()).summary, "webgpu");
    });
    await setupBackend("cpu");
  },
});

Deno.test({
  name: "setupBackend('auto') takes webgpu on a hardware-like adapter",
  ...webgpuTest,
  fn: async () => {
    if (!hasAdapter) return;
    await withHardwareLikeGpu(async () => {
      assertEquals(await probeWebgpuAdapter(), {
        description: H100.description,
        software: false,
        vendor: "nvidia",
        architecture: "hopper",
      });
      const setup = await setupBackend("auto");
      assertEquals(setup.backend, "webgpu");
      assertEquals(setup.reason, `auto: hardware WebGPU adapter ${H100.description}`);
      assertEquals(tf.tidy(() => tf.add(tf.tensor1d([1, 2]), tf.tensor1d([3, 4])).arraySync()), [4, 6]);
    });
    await setupBackend("cpu");
  },
});

Deno.test("webgpuDeviceDescriptor() asks for tfjs's optional features as strings, and only those offered", () => {
  const adapter = {
    features: new Set(["timestamp-query", "bgra8unorm-storage", "shader-f16"]),
    limits: { maxBufferSize: 2 ** 31, maxStorageBufferBindingSize: 2 ** 27, maxTextureDimension2D: 8192 },
    requestDevice: () => Promise.reject(new Error("not called")),
  };
  assertEquals(webgpuDeviceDescriptor(adapter), {
    requiredFeatures: ["timestamp-query", "bgra8unorm-storage"],
    requiredLimits: { maxStorageBufferBindingSize: 2 ** 27, maxBufferSize: 2 ** 31 },
  });
  assertEquals(webgpuDeviceDescriptor({ ...adapter, features: new Set() }).requiredFeatures, []);
});

Deno.test("webgpuAdapterInfo() reads info, else the deprecated requestAdapterInfo(), else nothing", async () => {
  const base = { features: new Set<string>(), limits: {}, requestDevice: () => Promise.reject(new Error("no")) };
  const info = H100 as unknown as GPUAdapterInfo;
  assertEquals((await webgpuAdapterInfo({ ...base, info }))?.description, H100.description);
  assertEquals(
    (await webgpuAdapterInfo({ ...base, requestAdapterInfo: () => Promise.resolve(info) }))?.vendor,
    "nvidia",
  );
  assertEquals(await webgpuAdapterInfo(base), undefined);
});

Deno.test("the registered factory says when there is no adapter", async () => {
  await registerWebgpuBackend({ requestAdapter: () => Promise.resolve(null) });
  try {
    const factory = tf.findBackendFactory("webgpu");
    await assertRejects(async () => await factory(), Error, "navigator.gpu offers no WebGPU adapter");
  } finally {
    await registerWebgpuBackend();
  }
});

Deno.test({
  name: "releaseWebgpuBackend() destroys the started backend's device and keeps the factory",
  ...webgpuTest,
  fn: async () => {
    if (!hasAdapter) {
      assertEquals(await releaseWebgpuBackend(), false);
      return;
    }
    await setupBackend("webgpu");
    const device = (tf.backend() as unknown as { device: GPUDevice }).device;
    await setupBackend("cpu");
    assertEquals(await releaseWebgpuBackend(), true);
    assertEquals((await device.lost).reason, "destroyed");
    assert(tf.findBackendFactory("webgpu") !== null);
    assertEquals(await releaseWebgpuBackend(), false);
    const again = await setupBackend("webgpu"); // a fresh device from the kept factory
    assertEquals(tf.tidy(() => tf.add(tf.tensor1d([1, 2]), tf.tensor1d([3, 4])).arraySync()), [4, 6]);
    assertEquals(again.backend, "webgpu");
    await setupBackend("cpu");
    await releaseWebgpuBackend();
  },
});
