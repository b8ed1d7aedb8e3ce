import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import "@tensorflow/tfjs-backend-cpu";
import { assertEquals } from "@std/assert";
import { predictRecordings } from "../../evaluation/predict.ts";
import type { PreprocessStep } from "../../pipeline/preprocess.ts";
import { writeRecording } from "../_recordings.ts";

await tf.setBackend("cpu");

// Windows of 16 raw samples, one per block of 16 samples.
const STEPS: PreprocessStep[] = [{ op: "window", windowSeconds: 16 / 2034, strideSeconds: 16 / 2034 }];

Deno.test("predictRecordings() gives rows in recording order when it reads several recordings at once", async () => {
  const dir = await Deno.makeTempDir({ prefix: "megflow-predict-order-test-" });
  const model = tfl.sequential({
    layers: [tfl.layers.flatten({ inputShape: [248, 16] }), tfl.layers.dense({ units: 4, activation: "softmax" })],
  });
  try {
    const recordings = [];
    const tasks = ["rest", "task_story_math", "task_working_memory", "task_motor"] as const;
    for (const [i, task] of tasks.entries()) {
      for (const chunk of [1, 2]) {
        recordings.push(await writeRecording(dir, task, String(1 + i % 2), chunk, 96, () => i));
      }
    }
    const expected = recordings.flatMap((r) => [0, 16, 32, 48, 64, 80].map((s) => `${r.path.split("/").at(-1)}@${s}`));
    for (const concurrency of [1, 3, 8]) {
      for (const batchSize of [1, 5]) {
        const options = { steps: STEPS, nClasses: 4, batchSize, blockSamples: 16, concurrency };
        const { rows } = await predictRecordings(model, recordings, options);
        assertEquals(rows.map((r) => `${r.recording}@${r.startSample}`), expected, `concurrency ${concurrency}`);
      }
    }
  } finally {
    model.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});
