/**
 * Layer normalisation over the last axis as two kernels for the tfjs `wasm` backend,
 * `MegflowLayerNorm` (outputs `y`, and per row `mean` and `rstd` for the gradient) and
 * `MegflowLayerNormGrad` (outputs `dx`, `dgamma`, `dbeta`), each one SIMD pass over the heap
 * (`_layer_norm_wasm.ts`) instead of JavaScript loops over copies of the tensors. Registered by
 * `registerWasmTrainingKernels`; `models/layers/_fused_layer_norm.ts` calls them by name where the
 * current backend has them and the feature axis is a multiple of 4.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { layerNormKernel } from "./_layer_norm_wasm.ts";
import { heapByteOffset, heapMemory, type WasmHeapInternals } from "./_heap_kernel.ts";
import { type KernelArgs, WASM } from "./_wasm_ops.ts";

/** The kernel names (the layer side spells them out: `models/` cannot import `backends/`). */
export const LAYER_NORM_KERNEL = "MegflowLayerNorm";
export const LAYER_NORM_GRAD_KERNEL = "MegflowLayerNormGrad";

let computed = 0;

/** How many LayerNorm kernels (forward or gradient) have run since the process started (tests). */
export function simdLayerNormCount(): number {
  return computed;
}

/** The heap, the rows and the feature size of `x`, or an error naming what does not fit. */
function layout(backend: WasmHeapInternals, kernel: string, ...xs: tf.TensorInfo[]) {
  const memory = heapMemory(backend);
  if (memory === null) throw new Error(`${kernel}: the wasm backend's heap cannot be imported`);
  for (const x of xs) {
    if (x.dtype !== "float32") throw new TypeError(`${kernel}: expected float32 tensors, got ${x.dtype}`);
  }
  const shape = xs[0].shape;
  const n = shape[shape.length - 1] ?? 0;
  const size = tf.util.sizeFromShape(shape);
  if (n < 4 || n % 4 !== 0 || size === 0) {
    throw new RangeError(`${kernel}: the feature axis must be a positive multiple of 4, got shape [${shape}]`);
  }
  return { memory, n, rows: size / n };
}

function layerNorm(args: KernelArgs): tf.TensorInfo[] {
  const backend = args.backend as WasmHeapInternals;
  const { x, gamma, beta } = args.inputs as Record<string, tf.TensorInfo>;
  const { memory, n, rows } = layout(backend, LAYER_NORM_KERNEL, x, gamma, beta);
  const epsilon = Float32Array.of(args.attrs?.epsilon as number);
  const y = backend.makeOutput(x.shape, "float32");
  const mean = backend.makeOutput([rows], "float32");
  const rstd = backend.makeOutput([rows], "float32");
  const [px, pg, pb, py, pm, pr] = [x, gamma, beta, y, mean, rstd].map((t) => heapByteOffset(backend, t));
  layerNormKernel(memory).layerNorm(px, pg, pb, py, pm, pr, rows, n, new Int32Array(epsilon.buffer)[0]);
  computed++;
  return [y, mean, rstd];
}

function layerNormGrad(args: KernelArgs): tf.TensorInfo[] {
  const backend = args.backend as WasmHeapInternals;
  const { dy, x, gamma, mean, rstd } = args.inputs as Record<string, tf.TensorInfo>;
  const { memory, n, rows } = layout(backend, LAYER_NORM_GRAD_KERNEL, x, dy, gamma, mean, rstd);
  const dx = backend.makeOutput(x.shape, "float32");
  const dgamma = backend.makeOutput([n], "float32");
  const dbeta = backend.makeOutput([n], "float32");
  const offsets = [dy, x, gamma, mean, rstd, dx, dgamma, dbeta].map((t) => heapByteOffset(backend, t));
  const heap = backend.wasm.HEAPF32;
  heap.fill(0, offsets[6] >> 2, (offsets[6] >> 2) + n);
  heap.fill(0, offsets[7] >> 2, (offsets[7] >> 2) + n);
  const [pdy, px, pg, pm, pr, pdx, pdg, pdb] = offsets;
  layerNormKernel(memory).layerNormGrad(pdy, px, pg, pm, pr, pdx, pdg, pdb, rows, n);
  computed++;
  return [dx, dgamma, dbeta];
}

/** The two kernel configs for the wasm backend. */
export const SIMD_LAYER_NORM_CONFIGS: readonly tf.KernelConfig[] = [
  { kernelName: LAYER_NORM_KERNEL, backendName: WASM, kernelFunc: layerNorm as unknown as tf.KernelFunc },
  { kernelName: LAYER_NORM_GRAD_KERNEL, backendName: WASM, kernelFunc: layerNormGrad as unknown as tf.KernelFunc },
];
