/**
 * Every weight's bits after a few seeded Adam steps of a registered model at the bench's batch (32 windows of
 * `DEFAULT_BENCH_SIGNALS`, labels `i % 4`): what the bit-for-bit tests of speed changes compare between the old
 * and the new path (tests/core/_helper_thread_test.ts, tests/models/layers/fused_batch_norm_test.ts).
 *
 * @module
 */
import { Random } from "../../core/random.ts";
import { withSeededRandom } from "../../core/with_seeded_random.ts";
import { buildModel, MODELS } from "../../models/registry.ts";
import { DEFAULT_BENCH_SIGNALS } from "../../bench/train.ts";
import { trainStep } from "../../training/train_step.ts";
import { adam } from "../../training/fused_adam.ts";

/**
 * Builds `name` with seeded weights, takes `steps` seeded Adam steps (lr 1e-3) on one seeded batch, and returns
 * every weight's float32 bits; the model and optimizer are disposed. Runs on the current backend.
 *
 * @param name Registered model name.
 * @param steps Training steps to take.
 * @param options Model options (default: the registry defaults).
 * @returns One `Uint32Array` of bits per weight, in `model.getWeights()` order.
 */
export async function weightBitsAfterSteps(name: string, steps: number, options: object = {}): Promise<Uint32Array[]> {
  const signal = DEFAULT_BENCH_SIGNALS[MODELS[name].input];
  const model = await withSeededRandom(3, () => buildModel(name, signal, 4, options));
  const optimizer = adam(1e-3);
  const random = new Random(11);
  const shape = MODELS[name].input === "grid"
    ? [32, signal.nTimes, signal.gridRows as number, signal.gridCols as number]
    : [32, signal.nChans, signal.nTimes];
  const xs = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => random.normal());
  const batch = { xs, shape, ys: Int32Array.from({ length: 32 }, (_, i) => i % 4), recordings: [], startSamples: [] };
  try {
    for (let step = 0; step < steps; step++) {
      await withSeededRandom(50 + step, () => trainStep(model, optimizer, batch, 4));
    }
    return model.getWeights().map((w) => new Uint32Array((w.dataSync() as Float32Array).slice().buffer));
  } finally {
    model.dispose();
    optimizer.dispose();
  }
}
