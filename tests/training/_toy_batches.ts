import { Random } from "../../core/random.ts";
import type { Batch, Recording } from "../../core/types.ts";

/** The one recording every toy batch names. */
export const TOY_RECORDING = { path: "rest_1_1.h5", subject: "1" } as Recording;

/**
 * `count` seeded batches of 8 examples `[4, 6]` with two classes: class 0 has mean +1 on the first
 * feature, class 1 mean -1, every value noise of sd 0.5 besides. A model learns them in a few steps.
 */
export function toyBatches(seed: number, count: number): Batch[] {
  const random = new Random(seed);
  return Array.from({ length: count }, () => {
    const xs = new Float32Array(8 * 24);
    const ys = new Int32Array(8);
    for (let i = 0; i < 8; i++) {
      ys[i] = i % 2;
      for (let j = 0; j < 24; j++) xs[i * 24 + j] = random.normal() * 0.5 + (j === 0 ? (ys[i] ? -1 : 1) : 0);
    }
    return { xs, shape: [8, 4, 6], ys, recordings: Array(8).fill(TOY_RECORDING), startSamples: Array(8).fill(0) };
  });
}
