/**
 * Whether the active tfjs backend reads tensor values synchronously: the condition under
 * which megflow's fused computations (the GRU recurrence, LayerNorm, Adam's update) run as
 * JavaScript loops over `dataSync()` values; elsewhere (webgpu) they fall back to tfjs ops.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";

/** Backends whose tensors `dataSync()` reads without waiting on a device. */
const SYNCHRONOUS_BACKENDS: readonly string[] = ["cpu", "wasm"];

/** Whether the current backend is cpu or wasm, where `dataSync()` does not wait on a device. */
export function onSynchronousBackend(): boolean {
  return SYNCHRONOUS_BACKENDS.includes(tf.getBackend());
}

/**
 * Whether a gradient tape records now (tfjs-core's engine): megflow's one-tape-node training paths
 * (fused dense layers, attention pooling, GELU keeping its slopes) run only then.
 */
export function gradientTapeOn(): boolean {
  return (tf.engine() as unknown as { isTapeOn(): boolean }).isTapeOn();
}
