/**
 * Test helpers: run the same computation on the `cpu` and `wasm` backends on the same random
 * inputs and measure how far apart the results are.
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-backend-wasm";
// tfjs-layers registers the gradient functions of all tfjs-core ops when imported.
import "@tensorflow/tfjs-layers";
import type { Random } from "../../../core/random.ts";
import { registerWasmTrainingKernels } from "../../../backends/kernels/mod.ts";

/** A named input: its shape and values (float32 normals, or int32 given explicitly). */
export interface InputSpec {
  shape: number[];
  values: Float32Array | Int32Array;
}

/** Normal(0, 1) float32 values for `shape`, from `random`. */
export function normalInput(random: Random, shape: number[]): InputSpec {
  const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < values.length; i++) values[i] = random.normal();
  return { shape, values };
}

/** Registers the wasm training kernels and makes sure both backends are initialised. */
export async function setupBackends(): Promise<void> {
  registerWasmTrainingKernels();
  for (const name of ["wasm", "cpu"]) {
    if (!(await tf.setBackend(name))) throw new Error(`backend ${name} did not start`);
  }
}

/** Results of one computation on one backend. */
export interface BackendResult {
  shapes: number[][];
  values: Float32Array[];
}

/**
 * Runs `compute` on `backend` with the inputs created there; returns the outputs' shapes and
 * values. Checks that the computation leaves no tensor behind.
 */
export async function runOn(
  backend: string,
  inputs: Record<string, InputSpec>,
  compute: (xs: Record<string, tf.Tensor>) => tf.Tensor | tf.Tensor[],
): Promise<BackendResult> {
  await tf.setBackend(backend);
  const before = tf.memory().numTensors;
  const xs: Record<string, tf.Tensor> = {};
  for (const [name, spec] of Object.entries(inputs)) {
    xs[name] = tf.tensor(spec.values, spec.shape, spec.values instanceof Int32Array ? "int32" : "float32");
  }
  const out = tf.tidy(() => compute(xs));
  const outs = Array.isArray(out) ? out : [out];
  const values: Float32Array[] = [];
  for (const t of outs) values.push(Float32Array.from(await t.data() as ArrayLike<number>));
  const shapes = outs.map((t) => t.shape);
  tf.dispose(outs);
  tf.dispose(Object.values(xs));
  const leaked = tf.memory().numTensors - before;
  if (leaked !== 0) throw new Error(`${backend}: ${leaked} tensors leaked`);
  return { shapes, values };
}

/** max |a - b| / max |b| (normwise relative error; 0 when both are all zeros). */
export function relativeError(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  if (!Number.isFinite(diff)) return Infinity;
  return scale === 0 ? diff : diff / scale;
}

/**
 * Runs `compute` on wasm and `reference` (default: `compute`) on cpu and returns the worst
 * relative error over the outputs; throws when the output shapes differ or an output is all
 * zeros on cpu (a comparison that could not fail).
 */
export async function compareBackends(
  inputs: Record<string, InputSpec>,
  compute: (xs: Record<string, tf.Tensor>) => tf.Tensor | tf.Tensor[],
  reference: (xs: Record<string, tf.Tensor>) => tf.Tensor | tf.Tensor[] = compute,
): Promise<number> {
  const cpu = await runOn("cpu", inputs, reference);
  const wasm = await runOn("wasm", inputs, compute);
  if (JSON.stringify(cpu.shapes) !== JSON.stringify(wasm.shapes)) {
    throw new Error(`shapes differ: cpu ${JSON.stringify(cpu.shapes)}, wasm ${JSON.stringify(wasm.shapes)}`);
  }
  let worst = 0;
  for (let i = 0; i < cpu.values.length; i++) {
    if (cpu.values[i].every((v) => v === 0)) throw new Error(`output ${i} is all zeros on cpu`);
    worst = Math.max(worst, relativeError(wasm.values[i], cpu.values[i]));
  }
  return worst;
}
