/**
 * Test helper: small h5 recordings in the assignment's layout, written with h5wasm.
 *
 * @module
 */
import h5wasm from "h5wasm/node";
import { join } from "node:path";
import { LABEL_OF_TASK, type Recording, type TaskType } from "../core/types.ts";

/** Writes `<taskType>_<subject>_<chunk>.h5` holding 248 x nTimes float64 values `value(c, t)`. */
export async function writeRecording(
  dir: string,
  taskType: TaskType,
  subject: string,
  chunk: number,
  nTimes: number,
  value: (c: number, t: number) => number = (c, t) => Math.sin(0.01 * t * (1 + (c % 7))) * 1e-12,
): Promise<Recording> {
  await h5wasm.ready;
  await Deno.mkdir(dir, { recursive: true });
  const path = join(dir, `${taskType}_${subject}_${chunk}.h5`);
  const data = new Float64Array(248 * nTimes);
  for (let c = 0; c < 248; c++) for (let t = 0; t < nTimes; t++) data[c * nTimes + t] = value(c, t);
  const file = new h5wasm.File(path, "w");
  file.create_dataset({ name: `${taskType}_${subject}`, data, shape: [248, nTimes], dtype: "<d" });
  file.close();
  return {
    path,
    split: dir.split("/").pop()!,
    taskType,
    label: LABEL_OF_TASK[taskType],
    subject,
    chunk,
    datasetName: `${taskType}_${subject}`,
  };
}
