/**
 * Registers tfjs's WebGPU backend with a device megflow creates itself, so that it starts on any
 * adapter Deno offers.
 *
 * tfjs-backend-webgpu 4.22 registers a factory that asks the adapter for a device and then reads
 * the adapter's description, in ways some Deno releases refuse on a hardware adapter:
 *
 * - it pushes `['bgra8unorm-storage']`, an array, into `requiredFeatures`, which WebIDL
 *   implementations that convert enums strictly reject ("index 1 can not be converted to a enum",
 *   denoland/webgpu-examples#22); only adapters that offer `bgra8unorm-storage` (hardware ones;
 *   not Deno's llvmpipe) reach that line;
 * - it reads `adapter.info` (or calls the deprecated `requestAdapterInfo()`, which Deno no longer
 *   has) after `requestDevice`, when Deno may already have invalidated the adapter ("The adapter
 *   cannot be reused, as it has been invalidated by a device creation", denoland/deno#28135).
 *
 * The factory registered here reads the adapter's description first, asks for the same features
 * (as strings, only those the adapter has) and limits, and hands the device to tfjs's own
 * `WebGPUBackend`, whose kernels are registered under the same name, `webgpu`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";

/** The parts of a `GPUAdapter` megflow uses: a test can pass a stand-in. */
export interface WebgpuAdapter {
  /** Optional features the adapter offers. */
  readonly features: { has(name: string): boolean };
  /** The adapter's limits. */
  readonly limits: GPUSupportedLimits | Readonly<Record<string, number>>;
  /** The adapter's description (Deno ≥ 1.46, current browsers). */
  readonly info?: GPUAdapterInfo;
  /** The deprecated way to the description (older runtimes). */
  requestAdapterInfo?(): Promise<GPUAdapterInfo>;
  /** Creates the device. */
  requestDevice(descriptor?: GPUDeviceDescriptor): Promise<GPUDevice>;
}

/** Returns the adapter to create the device on, or null when there is none. */
export type RequestWebgpuAdapter = () => Promise<WebgpuAdapter | null>;

/** Options of {@linkcode registerWebgpuBackend}. */
export interface RegisterWebgpuBackendOptions {
  /**
   * Where the adapter comes from. Default: `navigator.gpu.requestAdapter({ powerPreference:
   * "high-performance" })`, looked up when the backend starts (so a replaced `requestAdapter`
   * is honoured).
   */
  requestAdapter?: RequestWebgpuAdapter;
}

/** Features tfjs-backend-webgpu uses when the device has them. */
const OPTIONAL_FEATURES = ["timestamp-query", "bgra8unorm-storage"] as const;

/** Limits tfjs-backend-webgpu raises to the adapter's maximum. */
const RAISED_LIMITS = [
  "maxComputeWorkgroupStorageSize",
  "maxComputeWorkgroupsPerDimension",
  "maxStorageBufferBindingSize",
  "maxBufferSize",
  "maxComputeWorkgroupSizeX",
  "maxComputeInvocationsPerWorkgroup",
] as const;

/**
 * The device descriptor tfjs-backend-webgpu means to ask for: the optional features it uses that
 * the adapter offers, each a string, and the adapter's maxima of the limits it raises.
 *
 * @param adapter the adapter the device will come from
 * @returns the descriptor for `adapter.requestDevice`
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { webgpuDeviceDescriptor } from "./register_webgpu_backend.ts";
 *
 * const adapter = {
 *   features: new Set(["bgra8unorm-storage", "shader-f16"]),
 *   limits: { maxBufferSize: 1024, maxComputeWorkgroupSizeX: 256 },
 *   requestDevice: () => Promise.reject(new Error("not called")),
 * };
 * assertEquals(webgpuDeviceDescriptor(adapter), {
 *   requiredFeatures: ["bgra8unorm-storage"],
 *   requiredLimits: { maxBufferSize: 1024, maxComputeWorkgroupSizeX: 256 },
 * });
 * ```
 */
export function webgpuDeviceDescriptor(adapter: WebgpuAdapter): GPUDeviceDescriptor {
  const requiredFeatures: GPUFeatureName[] = OPTIONAL_FEATURES.filter((name) => adapter.features.has(name));
  const limits = adapter.limits as Readonly<Record<string, number | undefined>>;
  const requiredLimits: Record<string, number> = {};
  for (const name of RAISED_LIMITS) {
    const value = limits[name];
    if (typeof value === "number") requiredLimits[name] = value;
  }
  return { requiredFeatures, requiredLimits };
}

/**
 * The adapter's description, read before a device is created (an adapter may be unusable
 * afterwards): `adapter.info`, else the deprecated `requestAdapterInfo()`, else nothing.
 *
 * @param adapter the adapter
 * @returns a plain copy of its vendor, architecture, device and description, or undefined
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { webgpuAdapterInfo } from "./register_webgpu_backend.ts";
 *
 * const info = { vendor: "nvidia", architecture: "hopper", device: "", description: "H100" } as GPUAdapterInfo;
 * const adapter = { features: new Set<string>(), limits: {}, info, requestDevice: () => Promise.reject() };
 * assertEquals((await webgpuAdapterInfo(adapter))?.vendor, "nvidia");
 * assertEquals(await webgpuAdapterInfo({ ...adapter, info: undefined }), undefined);
 * ```
 */
export async function webgpuAdapterInfo(adapter: WebgpuAdapter): Promise<GPUAdapterInfo | undefined> {
  const info = adapter.info ??
    (typeof adapter.requestAdapterInfo === "function" ? await adapter.requestAdapterInfo() : undefined);
  if (info === undefined || info === null) return undefined;
  const { vendor, architecture, device, description } = info;
  return { vendor, architecture, device, description } as GPUAdapterInfo;
}

/** The priority tfjs-backend-webgpu registers its backend with (above wasm 2 and cpu 1). */
const WEBGPU_PRIORITY = 3;

/** The default adapter source: `navigator.gpu`, looked up at call time. */
async function navigatorAdapter(): Promise<WebgpuAdapter | null> {
  const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
  if (gpu === undefined || gpu === null) return null;
  return await gpu.requestAdapter({ powerPreference: "high-performance" });
}

/** The factory registered with the default adapter source, so that registering again is a no-op. */
let registeredDefault: (() => Promise<tf.KernelBackend>) | null = null;

/**
 * Registers the `webgpu` tfjs backend with megflow's factory, replacing the one
 * tfjs-backend-webgpu registers when imported (the package is imported here). The backend starts
 * with `tf.setBackend("webgpu")` as before; nothing starts until then. Registering again with the
 * default adapter source does nothing; with `options.requestAdapter` it replaces the factory.
 *
 * @param options where the adapter comes from
 * @returns when the factory is registered
 * @throws never itself; `tf.setBackend("webgpu")` then fails with the reason when there is no
 *   adapter or the device cannot be created
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { registerWebgpuBackend } from "./register_webgpu_backend.ts";
 *
 * await registerWebgpuBackend();
 * assert(tf.findBackendFactory("webgpu") !== null); // registered, not started
 * ```
 */
export async function registerWebgpuBackend(options: RegisterWebgpuBackendOptions = {}): Promise<void> {
  const { WebGPUBackend } = await import("@tensorflow/tfjs-backend-webgpu");
  const requestAdapter = options.requestAdapter ?? navigatorAdapter;
  const isDefault = options.requestAdapter === undefined;
  if (isDefault && registeredDefault !== null && tf.findBackendFactory("webgpu") === registeredDefault) return;
  const factory = async (): Promise<tf.KernelBackend> => {
    const adapter = await requestAdapter();
    if (adapter === null) throw new Error("navigator.gpu offers no WebGPU adapter");
    const info = await webgpuAdapterInfo(adapter);
    const device = await adapter.requestDevice(webgpuDeviceDescriptor(adapter));
    return new WebGPUBackend(device, info);
  };
  if (tf.findBackendFactory("webgpu") !== null) tf.removeBackend("webgpu");
  tf.registerBackend("webgpu", factory, WEBGPU_PRIORITY);
  registeredDefault = isDefault ? factory : null;
}

/** The part of tfjs's `WebGPUBackend` this module reads: the device it computes on. */
interface StartedWebgpuBackend extends tf.KernelBackend {
  device?: GPUDevice;
}

/**
 * Stops the `webgpu` backend if it has started: waits for the work it submitted, disposes its
 * buffers and destroys its device, and keeps the factory registered (so `tf.setBackend("webgpu")`
 * starts a fresh one). Other backends are untouched; when `webgpu` was the active backend, tfjs
 * picks the next one by priority at its next operation, so call `setupBackend` first when more work
 * follows.
 *
 * Why: a process that exits while a WebGPU device is still alive leaves the driver's threads
 * running while the process tears down. With Mesa's software Vulkan driver (llvmpipe, the adapter
 * Deno offers without a GPU) that sometimes ends in a heap corruption abort
 * ("corrupted size vs. prev_size") after all work is done; measured here on the backend tests,
 * 1 run in 12 without this call (docs/development.md, "WebGPU at exit").
 *
 * @returns whether a started backend was released
 * @throws never for a backend that is not started
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { registerWebgpuBackend, releaseWebgpuBackend } from "./register_webgpu_backend.ts";
 *
 * await registerWebgpuBackend();
 * assertEquals(await releaseWebgpuBackend(), false); // registered, never started
 * assertEquals(tf.findBackendFactory("webgpu") !== null, true);
 * ```
 */
export async function releaseWebgpuBackend(): Promise<boolean> {
  const backend = tf.engine().registry["webgpu"] as StartedWebgpuBackend | undefined;
  if (backend === undefined) return false;
  const factory = tf.findBackendFactory("webgpu");
  const device = backend.device;
  try {
    await device?.queue.onSubmittedWorkDone();
  } catch {
    // A lost device has no work left to wait for.
  }
  tf.removeBackend("webgpu");
  if (factory !== null) tf.registerBackend("webgpu", factory, WEBGPU_PRIORITY);
  device?.destroy();
  return true;
}
