/**
 * What `bench/pytorch_twins.py --check FILE` compares with: for each model, megflow's weights
 * (set to random values, so that no zero-initialised layer hides a difference), a random input
 * batch and the model's inference-mode softmax output, as JSON. The twin loads the weights and
 * must give the same output: a check, beyond the parameter count, that it is the same network.
 * Used by tests/bench/pytorch_reference_test.ts where torch is installed.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { buildModel, MODELS } from "../models/registry.ts";
import { Random } from "../core/random.ts";
import { BENCH_VARIANTS, DEFAULT_BENCH_SIGNALS } from "./train.ts";
import { writeFileAtomic } from "../core/atomic_write.ts";

/** An array with its shape; the values are float32 little-endian, base64. */
interface Values {
  shape: number[];
  float32: string;
}

function pack(shape: number[], values: ArrayLike<number>): Values {
  const bytes = new Uint8Array(Float32Array.from(values).buffer);
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return { shape, float32: btoa(text) };
}

/** Random values for a weight: positive around 1 for a moving variance, else normal with sd 0.3. */
function randomValues(name: string, size: number, random: Random): number[] {
  const variance = name.includes("moving_variance");
  return Array.from({ length: size }, () => variance ? random.uniform(0.5, 1.5) : 0.3 * random.normal());
}

/**
 * Writes the check file for `models` on the current tfjs backend.
 *
 * @param path The JSON file to write.
 * @param models Registered model names, or bench variants with a twin of their own (`vivit_cross`).
 * @param batchSize Windows in the input batch. Default: 2.
 */
export async function writeTwinCheck(path: string, models: readonly string[], batchSize = 2): Promise<void> {
  const random = new Random(7);
  const out: Record<string, { params: number; weights: Record<string, Values>; input: Values; output: Values }> = {};
  for (const name of models) {
    const variant = BENCH_VARIANTS[name] ?? { model: name, options: {} };
    const input = MODELS[variant.model].input as "channels" | "grid" | "bands";
    const signal = DEFAULT_BENCH_SIGNALS[input];
    const model = buildModel(variant.model, signal, 4, variant.options);
    const weights: Record<string, Values> = {};
    for (const weight of model.weights) {
      const shape = weight.shape as number[];
      const values = randomValues(weight.name, shape.reduce((a, b) => a * b, 1), random);
      tf.tidy(() => {
        weight.write(tf.tensor(values, shape));
      });
      // read back: writing applies the weight's constraint (EEGNet's max-norms)
      weights[weight.name] = pack(shape, await weight.read().data());
    }
    const shape = input === "grid"
      ? [batchSize, signal.nTimes, signal.gridRows as number, signal.gridCols as number]
      : [batchSize, signal.nChans, signal.nTimes];
    const values = Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => random.normal());
    const probs = tf.tidy(() => model.predict(tf.tensor(values, shape)) as tf.Tensor);
    const output = pack(probs.shape, await probs.data());
    out[name] = { params: model.countParams(), weights, input: pack(shape, values), output };
    probs.dispose();
    model.dispose();
  }
  await writeFileAtomic(path, JSON.stringify({ models: out }));
}
