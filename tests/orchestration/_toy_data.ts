/**
 * Test helper: toy recordings whose classes differ by where a 12 Hz rhythm sits.
 *
 * @module
 */
import { join } from "node:path";
import { writeRecording } from "../_recordings.ts";
import { magnes3600Layout } from "../../core/layout.ts";
import { TASK_TYPES } from "../../core/types.ts";
import { Random } from "../../core/random.ts";
import type { RunConfig } from "../../training/run_config.ts";

export const layout = magnes3600Layout();
/** Where each class's source sits (layout units): rest front-left, math front-right, memory back-left, motor back-right. */
export const CENTRES = [[-20, 12], [20, 12], [-22, -30], [22, -30]];
export const RADIUS = 11;

export function inRegion(c: number, k: number): boolean {
  return Math.hypot(layout.x[c] - CENTRES[k][0], layout.y[c] - CENTRES[k][1]) < RADIUS;
}

/**
 * Toy data: every sensor white noise; the sensors within RADIUS of class k's centre
 * also carry a 12 Hz rhythm, 3x the noise, in class k's recordings only.
 */
export async function writeToyData(root: string): Promise<void> {
  const splits = { "Cross/train": ["1", [1]], "Cross/test1": ["3", [1]], "Cross/test3": ["5", [1]] } as const;
  for (const [split, [subject, chunks]] of Object.entries(splits)) {
    {
      for (const [k, taskType] of TASK_TYPES.entries()) {
        for (const chunk of chunks) {
          const random = new Random(Number(subject) * 100 + k * 10 + chunk);
          const noise = Float64Array.from({ length: 248 * 2034 }, () => random.normal());
          await writeRecording(
            join(root, split),
            taskType,
            subject,
            chunk,
            2034,
            (c, t) =>
              1e-12 * (noise[c * 2034 + t] + (inRegion(c, k) ? 3 * Math.sin(2 * Math.PI * 12 * t / 2034 + c) : 0)),
          );
        }
      }
    }
  }
}

/** Toy runs' settings shared by the explain tests: cpu, test1 validates, test3 is explained, 0.5 s windows. */
export function toyRunSettings(): Partial<RunConfig> {
  return {
    backend: "cpu",
    validationSplits: ["Cross/test1"],
    testSplits: ["Cross/test3"],
    preprocess: [{ op: "resample", toHz: 125 }, { op: "zscore" }, {
      op: "window",
      windowSeconds: 0.5,
      strideSeconds: 0.25,
    }],
  };
}
