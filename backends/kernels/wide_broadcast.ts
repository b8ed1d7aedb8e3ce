/**
 * Element-wise binary kernels (`Add`, `Sub`, `Multiply`, `RealDiv`, `SquaredDifference`) for the
 * tfjs `wasm` backend with a fast path for broadcasting a small tensor along leading axes.
 *
 * Why it exists: the stock wasm binary kernels (XNNPACK) run one inner loop per innermost block,
 * so `x[N, H, W, C] * v[C]` with a small `C` costs a call per `C` elements: with `C = 8` on an
 * EEGNet activation `[32, 248, 250, 8]` it took ~30 ms against ~8 ms for the same product laid
 * out as `[N*H, W*C] * [W*C]`. BatchNormalization's forward and backward passes do about ten
 * such per-channel operations on that tensor. When one operand has the output's shape and the
 * other broadcasts only along leading axes (`[1, .., 1, d_k, .., d_r]`) with a short innermost
 * block, the small operand is tiled along the preceding axes into a block of at least
 * {@linkcode MIN_BLOCK} elements and the large one is viewed as `[outer, block]`; the stock
 * kernel then runs on those shapes. Results are bit-identical to the stock path.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { callKernel, disposeInfo, type KernelArgs, reshape, runWasmKernel, WASM } from "./_wasm_ops.ts";

/** Innermost blocks shorter than this are widened. */
export const MIN_BLOCK = 2048;
/** Largest tiled copy of the small operand (elements). */
const MAX_TILED = 1 << 16;

/** Binary kernels this wrapper is applied to. */
export const WIDE_BROADCAST_KERNELS: readonly string[] = [
  tf.Add,
  tf.Sub,
  tf.Multiply,
  tf.RealDiv,
  tf.SquaredDifference,
];

/** How to widen: the small operand's innermost size, the repeat count, and the outer count. */
interface Plan {
  inner: number;
  reps: number;
  outer: number;
}

/** A plan when `small` broadcasts into `big` along leading axes only and is worth widening. */
function planFor(big: number[], small: number[]): Plan | null {
  const rank = big.length;
  if (small.length > rank) return null;
  const aligned = [...new Array<number>(rank - small.length).fill(1), ...small];
  // First axis of the matching suffix: everything before it must be 1 in `small`.
  let k = rank;
  while (k > 0 && aligned[k - 1] === big[k - 1]) k--;
  for (let i = 0; i < k; i++) if (aligned[i] !== 1) return null;
  if (k === 0) return null; // same shape
  const inner = tf.util.sizeFromShape(big.slice(k));
  if (inner === 1 || inner >= MIN_BLOCK) return null; // scalar-like or already wide
  let reps = 1;
  let j = k;
  while (j > 0 && inner * reps < MIN_BLOCK && inner * reps * big[j - 1] <= MAX_TILED) {
    reps *= big[j - 1];
    j--;
  }
  if (reps === 1) return null;
  return { inner, reps, outer: tf.util.sizeFromShape(big.slice(0, j)) };
}

/**
 * Kernel config for `stock`'s kernel with the widening fast path.
 *
 * @param stock the stock wasm config of one of {@linkcode WIDE_BROADCAST_KERNELS}
 * @returns the replacement config
 */
export function wideBroadcastConfig(stock: tf.KernelConfig): tf.KernelConfig {
  function binary(args: KernelArgs): tf.TensorInfo {
    const { backend } = args;
    const a = args.inputs.a as tf.TensorInfo;
    const b = args.inputs.b as tf.TensorInfo;
    if (a.dtype !== "float32" || b.dtype !== "float32") return callKernel(stock, args);
    const aIsBig = tf.util.sizeFromShape(a.shape) >= tf.util.sizeFromShape(b.shape);
    const big = aIsBig ? a : b;
    const small = aIsBig ? b : a;
    const plan = planFor(big.shape, small.shape);
    if (plan === null) return callKernel(stock, args);
    const block = plan.inner * plan.reps;
    const smallFlat = reshape(backend, small, [1, plan.inner]);
    const smallWide = runWasmKernel(backend, tf.Tile, { x: smallFlat }, { reps: [1, plan.reps] });
    const bigView = reshape(backend, big, [plan.outer, block]);
    const inputs = aIsBig ? { a: bigView, b: smallWide } : { a: smallWide, b: bigView };
    const result = callKernel(stock, { ...args, inputs });
    const out = reshape(backend, result, big.shape);
    disposeInfo(backend, smallFlat, smallWide, bigView, result);
    return out;
  }
  return { ...stock, backendName: WASM, kernelFunc: binary as unknown as tf.KernelFunc };
}
