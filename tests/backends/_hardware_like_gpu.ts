/**
 * Test helper: a hardware WebGPU adapter emulated over this machine's own (software) adapter, and
 * a way to make `navigator.gpu.requestAdapter` hand it out for a while.
 *
 * @module
 */

import { releaseWebgpuBackend } from "../../backends/register_webgpu_backend.ts";

const gpu = navigator.gpu as GPU | undefined;
const realRequestAdapter = gpu?.requestAdapter.bind(gpu);

/** The description of the emulated hardware adapter. */
export const H100 = {
  vendor: "nvidia",
  architecture: "hopper",
  device: "0x2330",
  description: "NVIDIA H100 80GB HBM3 (emulated)",
  isFallbackAdapter: false,
};

/**
 * A hardware adapter as Deno releases have presented one to tfjs, emulated over this machine's own
 * (software) adapter: it offers `bgra8unorm-storage`, as Vulkan drivers of NVIDIA, AMD and Intel
 * GPUs do and llvmpipe does not; it converts `requiredFeatures` strictly (a non-string entry is
 * an error, as in denoland/webgpu-examples#22); creating a device invalidates it, so reading
 * `info` afterwards throws (denoland/deno#28135); and it has no `requestAdapterInfo()`.
 */
export function hardwareLike(real: GPUAdapter, extraFeatures = ["bgra8unorm-storage"], created: GPUDevice[] = []) {
  const features = new Set<string>([...real.features, ...extraFeatures]);
  let invalidated = false;
  return {
    features,
    limits: real.limits,
    isFallbackAdapter: false,
    get info() {
      if (invalidated) {
        throw new TypeError("The adapter cannot be reused, as it has been invalidated by a device creation");
      }
      return H100 as unknown as GPUAdapterInfo;
    },
    async requestDevice(descriptor: GPUDeviceDescriptor = {}): Promise<GPUDevice> {
      const requested = [...(descriptor.requiredFeatures ?? [])] as unknown[];
      requested.forEach((name, index) => {
        if (typeof name !== "string") {
          throw new TypeError(
            `Failed to execute 'requestDevice' on 'GPUAdapter': 'requiredFeatures' of 'GPUDeviceDescriptor', index ${index} can not be converted to a enum`,
          );
        }
        if (!features.has(name)) throw new TypeError("requiredFeatures must be a subset of the adapter features");
      });
      invalidated = true;
      const onReal = (requested as GPUFeatureName[]).filter((name) => real.features.has(name));
      const device = await real.requestDevice({ ...descriptor, requiredFeatures: onReal });
      created.push(device);
      return device;
    },
  };
}

/**
 * Runs `fn` while `navigator.gpu.requestAdapter` hands out hardware-like adapters. Afterwards the
 * `webgpu` backend is released and every device made through those adapters destroyed (also one
 * a failing factory left behind): a device alive at exit can crash llvmpipe's teardown.
 */
export async function withHardwareLikeGpu<T>(fn: () => Promise<T>, extraFeatures?: string[]): Promise<T> {
  const created: GPUDevice[] = [];
  Object.defineProperty(gpu!, "requestAdapter", {
    configurable: true,
    value: async (options?: GPURequestAdapterOptions) => {
      const real = await realRequestAdapter!(options);
      return real === null ? null : hardwareLike(real, extraFeatures, created);
    },
  });
  try {
    return await fn();
  } finally {
    delete (gpu as unknown as Record<string, unknown>).requestAdapter;
    await releaseWebgpuBackend();
    created.forEach((device) => device.destroy());
  }
}
