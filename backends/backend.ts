/**
 * Chooses and starts the tfjs backend megflow trains on.
 *
 * Measured on the 2-core development machine (no GPU, shared with other jobs; EEGNet-8,2 on
 * `[32, 248, 250]` windows, Adam, `bench/train.ts`): the JS `cpu` backend needs ~200-460 s per
 * training step, `webgpu` on Deno's software adapter (llvmpipe) ~120-220 s, and `wasm`
 * (XNNPACK, SIMD, one thread: tfjs disables wasm threads under Deno) ~0.85-1.25 s once the
 * kernels of `models/kernels/` are registered (~9 s with only the missing gradient kernels).
 * So `auto` takes `webgpu` only for a hardware adapter and otherwise `wasm`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { getThreadsCount } from "@tensorflow/tfjs-backend-wasm";
import { registerWasmTrainingKernels } from "./kernels/mod.ts";
import { registerWebgpuBackend } from "./register_webgpu_backend.ts";

/** Backends {@linkcode setupBackend} accepts. */
export type BackendChoice = "auto" | "webgpu" | "wasm" | "cpu";

/** Every {@linkcode BackendChoice}, for validation and help texts. */
export const BACKEND_CHOICES: readonly BackendChoice[] = ["auto", "webgpu", "wasm", "cpu"];

/** What {@linkcode setupBackend} started and why. */
export interface BackendSetup {
  /** The active tfjs backend: `"webgpu"`, `"wasm"` or `"cpu"`. */
  backend: string;
  /** Why this backend was chosen, in one sentence (for logs and run reports). */
  reason: string;
  /** The WebGPU adapter's description, when one was found (also when `auto` declined it). */
  adapter?: string;
}

/** A WebGPU adapter as far as megflow looks at it. */
export interface WebgpuAdapterSummary {
  /** Its description, else its vendor, architecture and device, e.g. `llvmpipe (LLVM 15.0.6, 256 bits)`. */
  description: string;
  /** Whether it is a software (CPU-emulated) or fallback adapter, such as llvmpipe or SwiftShader. */
  software: boolean;
  /** The adapter's vendor as reported (a name or a PCI id); `""` when not reported. */
  vendor: string;
  /** The adapter's architecture as reported; `""` when not reported. */
  architecture: string;
}

/** Names of software (CPU-emulated) WebGPU/Vulkan implementations. */
const SOFTWARE_ADAPTER = /llvmpipe|lavapipe|swiftshader|softpipe|software|basic render/i;

/**
 * The WebGPU adapter tfjs would get (`navigator.gpu.requestAdapter` with high performance
 * preferred), described; no device is created.
 *
 * @returns the adapter's description and whether it is a software one, or null when there is none
 * @throws never: a failing `requestAdapter` counts as no adapter
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { probeWebgpuAdapter } from "./backend.ts";
 *
 * const adapter = await probeWebgpuAdapter();
 * assert(adapter === null || adapter.description.length > 0);
 * ```
 */
export async function probeWebgpuAdapter(): Promise<WebgpuAdapterSummary | null> {
  // deno-lint-ignore no-explicit-any
  const gpu = (globalThis.navigator as any)?.gpu;
  if (gpu === undefined || gpu === null) return null;
  let adapter;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
  } catch {
    return null;
  }
  if (adapter === null || adapter === undefined) return null;
  const info = adapter.info ??
    (typeof adapter.requestAdapterInfo === "function" ? await adapter.requestAdapterInfo() : {});
  const named = (value: unknown) => typeof value === "string" && value !== "" && value !== "0";
  const parts = named(info.description)
    ? [info.description]
    : [info.vendor, info.architecture, info.device].filter(named);
  const description = parts.length > 0 ? parts.join(" ") : "unnamed adapter";
  const fallback = info.isFallbackAdapter === true || adapter.isFallbackAdapter === true;
  return {
    description,
    software: fallback || SOFTWARE_ADAPTER.test(description),
    vendor: String(info.vendor ?? ""),
    architecture: String(info.architecture ?? ""),
  };
}

/** The adapter found by the last {@linkcode setupBackend}, for {@linkcode describeBackend}. */
let lastAdapter: WebgpuAdapterSummary | null = null;

/**
 * Registers the webgpu backend (megflow's factory over tfjs's `WebGPUBackend`, see
 * {@linkcode registerWebgpuBackend}). Registered only when it is about to start: once registered,
 * tfjs would pick it (highest priority) for code that runs ops before choosing a backend, even on
 * a software adapter.
 */
async function loadWebgpu(): Promise<void> {
  await registerWebgpuBackend();
}

async function start(name: string, detail: string): Promise<void> {
  let started = false;
  let cause: unknown;
  try {
    started = await tf.setBackend(name);
  } catch (error) {
    cause = error;
  }
  if (!started) {
    const why = cause instanceof Error ? `: ${cause.message}` : "";
    throw new Error(`Cannot start the tfjs ${name} backend (${detail})${why}`, { cause });
  }
  await tf.ready();
}

/**
 * Starts a tfjs backend for training and inference.
 *
 * - `"cpu"`: the pure-JS backend (slow; the reference in tests).
 * - `"wasm"`: XNNPACK on WebAssembly, with {@linkcode registerWasmTrainingKernels} applied.
 * - `"webgpu"`: WebGPU on whatever adapter `navigator.gpu` offers (also a software one), with a
 *   device megflow creates itself ({@linkcode registerWebgpuBackend}).
 * - `"auto"`: `webgpu` when a hardware adapter exists (not a fallback/software adapter such as
 *   llvmpipe or SwiftShader), else `wasm`.
 *
 * @param choice which backend to start
 * @returns the started backend, the reason for it and the WebGPU adapter seen, if any
 * @throws {RangeError} when `choice` is not one of {@linkcode BACKEND_CHOICES}
 * @throws {Error} when the requested backend cannot start (e.g. no WebGPU adapter)
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import * as tf from "@tensorflow/tfjs-core";
 * import { setupBackend } from "./backend.ts";
 *
 * const setup = await setupBackend("wasm");
 * assertEquals(setup.backend, "wasm");
 * assertEquals(tf.getBackend(), "wasm");
 * ```
 */
export async function setupBackend(choice: BackendChoice): Promise<BackendSetup> {
  if (!BACKEND_CHOICES.includes(choice)) {
    throw new RangeError(`Unknown backend "${choice}": expected one of ${BACKEND_CHOICES.join(", ")}`);
  }
  if (choice === "cpu") {
    await start("cpu", "pure JavaScript");
    return { backend: "cpu", reason: "requested: the pure-JavaScript cpu backend" };
  }
  if (choice === "wasm") {
    registerWasmTrainingKernels();
    await start("wasm", "WebAssembly/XNNPACK");
    return { backend: "wasm", reason: "requested: WebAssembly (XNNPACK) with megflow's training kernels" };
  }
  const adapter = await probeWebgpuAdapter();
  lastAdapter = adapter;
  if (choice === "webgpu") {
    if (adapter === null) {
      throw new Error("Cannot start the tfjs webgpu backend: navigator.gpu offers no adapter");
    }
    await loadWebgpu();
    await start("webgpu", `adapter: ${adapter.description}`);
    const kind = adapter.software ? "software" : "hardware";
    return {
      backend: "webgpu",
      reason: `requested: WebGPU on the ${kind} adapter ${adapter.description}`,
      adapter: adapter.description,
    };
  }
  if (adapter !== null && !adapter.software) {
    await loadWebgpu();
    await start("webgpu", `adapter: ${adapter.description}`);
    return {
      backend: "webgpu",
      reason: `auto: hardware WebGPU adapter ${adapter.description}`,
      adapter: adapter.description,
    };
  }
  registerWasmTrainingKernels();
  await start("wasm", "WebAssembly/XNNPACK");
  const reason = adapter === null
    ? "auto: no WebGPU adapter, so WebAssembly (XNNPACK)"
    : `auto: the only WebGPU adapter is a software one (${adapter.description}), slower than WebAssembly (XNNPACK)`;
  return adapter === null ? { backend: "wasm", reason } : { backend: "wasm", reason, adapter: adapter.description };
}

/** The active backend as {@linkcode describeBackend} reports it. */
export interface BackendDescription {
  /** The active tfjs backend name. */
  backend: string;
  /** The tfjs-core version. */
  tfjsVersion: string;
  /** For wasm: whether the SIMD build runs. */
  simd?: boolean;
  /** For wasm: the number of threads XNNPACK uses (1 under Deno). */
  threads?: number;
  /** For wasm: whether megflow's training kernels are registered. */
  trainingKernels?: boolean;
  /** For webgpu: the adapter's description and whether it is a software one. */
  adapter?: string;
  /** One line summing up the above, e.g. `wasm (tfjs 4.22.0, SIMD, 1 thread, training kernels)`. */
  summary: string;
}

/**
 * Describes the active tfjs backend, for run reports and benchmark output.
 *
 * @returns the backend's name, version and the details that explain its speed
 * @throws never
 * @example
 * ```ts
 * import { assertStringIncludes } from "@std/assert";
 * import { describeBackend, setupBackend } from "./backend.ts";
 *
 * await setupBackend("wasm");
 * const description = await describeBackend();
 * assertStringIncludes(description.summary, "wasm");
 * ```
 */
export async function describeBackend(): Promise<BackendDescription> {
  const backend = tf.getBackend();
  const tfjsVersion = tf.version_core;
  if (backend === "wasm") {
    const simd = Boolean(await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT"));
    const threads = getThreadsCount();
    const trainingKernels = tf.getKernel(tf.Conv2DBackpropFilter, "wasm") !== undefined;
    const details = [
      `tfjs ${tfjsVersion}`,
      simd ? "SIMD" : "no SIMD",
      `${threads} thread${threads === 1 ? "" : "s"}`,
      trainingKernels ? "training kernels" : "no training kernels",
    ];
    return { backend, tfjsVersion, simd, threads, trainingKernels, summary: `wasm (${details.join(", ")})` };
  }
  if (backend === "webgpu") {
    const adapter = lastAdapter ?? await probeWebgpuAdapter();
    const text = adapter === null
      ? "unknown adapter"
      : `${adapter.software ? "software" : "hardware"} adapter ${adapter.description}`;
    return { backend, tfjsVersion, adapter: text, summary: `webgpu (tfjs ${tfjsVersion}, ${text})` };
  }
  return { backend, tfjsVersion, summary: `${backend} (tfjs ${tfjsVersion})` };
}
