/**
 * Two kernels for the tfjs `wasm` backend, `MegflowGelu` (`x cdf(x)`, tfjs-layers' exact `gelu`)
 * and its gradient `MegflowGeluGrad`, each one SIMD pass over the heap (`_gelu_wasm.ts`) instead
 * of tfjs-layers' ~8 kernels forward and ~15 backward. Registered by
 * `registerWasmTrainingKernels`; `models/layers/_fast_gelu.ts` calls them by name where the
 * current backend has them (the gradient is registered on import of this module).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { cdfAndExpScalar, GELU_PDF_SCALE, geluKernel } from "./_gelu_wasm.ts";
import { elementwiseInHeap, heapByteOffset, heapMemory, type WasmHeapInternals } from "./_heap_kernel.ts";
import { type KernelArgs, WASM } from "./_wasm_ops.ts";

/** The kernel names (the layer side spells them out: `models/` cannot import `backends/`). */
export const GELU_KERNEL = "MegflowGelu";
export const GELU_GRAD_KERNEL = "MegflowGeluGrad";
/**
 * `MegflowGeluWithSlope`: `[y, slope]` for an `x` whose size is a multiple of 4, `y` as `MegflowGelu`'s
 * and `slope` the factor `MegflowGeluGrad` multiplies `dy` by (`_gelu_wasm.ts`, `geluWithSlope`), so that
 * a training step's gradient is `dy * slope` (bit for bit `MegflowGeluGrad`'s) instead of a second pass
 * through erf and exp. Not differentiable itself: `models/layers/_fast_gelu.ts` wraps it in a custom
 * gradient while the tape records.
 */
export const GELU_WITH_SLOPE_KERNEL = "MegflowGeluWithSlope";

let computed = 0;

/** How many GELU kernels (forward or gradient) have run since the process started (tests). */
export function simdGeluCount(): number {
  return computed;
}

function checkedHeap(backend: WasmHeapInternals, ...xs: tf.TensorInfo[]): WebAssembly.Memory {
  const memory = heapMemory(backend);
  if (memory === null) throw new Error(`${GELU_KERNEL}: the wasm backend's heap cannot be imported`);
  for (const x of xs) {
    if (x.dtype !== "float32") throw new TypeError(`${GELU_KERNEL}: expected float32, got ${x.dtype}`);
  }
  return memory;
}

function gelu(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as WasmHeapInternals;
  const x = args.inputs.x as tf.TensorInfo;
  const memory = checkedHeap(backend, x);
  const out = elementwiseInHeap(backend, x, geluKernel(memory).gelu, (value) => value * cdfAndExpScalar(value)[0]);
  computed++;
  return out;
}

function geluGrad(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as WasmHeapInternals;
  const x = args.inputs.x as tf.TensorInfo;
  const dy = args.inputs.dy as tf.TensorInfo;
  const memory = checkedHeap(backend, x, dy);
  const out = backend.makeOutput(x.shape, "float32");
  const size = tf.util.sizeFromShape(x.shape);
  const [src, grad, dst] = [x, dy, out].map((t) => heapByteOffset(backend, t));
  const whole = size - (size % 4);
  if (whole > 0) geluKernel(memory).geluGrad(src, grad, dst, whole);
  const heap = backend.wasm.HEAPF32;
  for (let i = whole; i < size; i++) {
    const value = heap[(src >> 2) + i];
    const [cdf, e] = cdfAndExpScalar(value);
    heap[(dst >> 2) + i] = heap[(grad >> 2) + i] * (cdf + value * e * GELU_PDF_SCALE);
  }
  computed++;
  return out;
}

function geluWithSlope(args: KernelArgs): tf.TensorInfo[] {
  const backend = args.backend as WasmHeapInternals;
  const x = args.inputs.x as tf.TensorInfo;
  const memory = checkedHeap(backend, x);
  const size = tf.util.sizeFromShape(x.shape);
  if (size % 4 !== 0) throw new RangeError(`${GELU_WITH_SLOPE_KERNEL}: size must be a multiple of 4, got ${size}`);
  const out = backend.makeOutput(x.shape, "float32");
  const slope = backend.makeOutput(x.shape, "float32");
  const [src, dst, factor] = [x, out, slope].map((t) => heapByteOffset(backend, t));
  if (size > 0) geluKernel(memory).geluWithSlope(src, dst, factor, size);
  computed++;
  return [out, slope];
}

/** The three kernel configs for the wasm backend. */
export const SIMD_GELU_CONFIGS: readonly tf.KernelConfig[] = [
  { kernelName: GELU_KERNEL, backendName: WASM, kernelFunc: gelu as unknown as tf.KernelFunc },
  { kernelName: GELU_GRAD_KERNEL, backendName: WASM, kernelFunc: geluGrad as unknown as tf.KernelFunc },
  { kernelName: GELU_WITH_SLOPE_KERNEL, backendName: WASM, kernelFunc: geluWithSlope as unknown as tf.KernelFunc },
];

if (tf.getGradient(GELU_KERNEL) === undefined) {
  tf.registerGradient({
    kernelName: GELU_KERNEL,
    inputsToSave: ["x"],
    gradFunc: (dy, saved) => ({
      x: () => tf.engine().runKernel(GELU_GRAD_KERNEL, { x: saved[0], dy: dy as tf.Tensor }) as tf.Tensor,
    }),
  });
}
