/**
 * Child process of the two-runs cache test in `warm_resample_cache_test.ts`: warms the cache
 * with the recordings of `DIR/data` (as a run does before its first epoch), reads each one
 * through the cache, and prints one JSON line of each recording's total and sample count.
 *
 * `deno run -A tests/pipeline/_cache_run_child.ts DIR CACHE`
 *
 * @module
 */
import { lastValueFrom, toArray } from "rxjs";
import { join } from "node:path";
import { readResampled } from "../../pipeline/read_resampled.ts";
import { warmResampleCache } from "../../pipeline/warm_resample_cache.ts";
import { LABEL_OF_TASK, type Recording, type TaskType } from "../../core/types.ts";

const [dir, cacheDir] = Deno.args;
const recordings: Recording[] = [...Deno.readDirSync(join(dir, "data"))].map((entry) => entry.name).sort().map(
  (name) => {
    const [, taskType, subject, chunk] = /^(.*)_(\d+)_(\d+)\.h5$/.exec(name)!;
    return {
      path: join(dir, "data", name),
      split: "data",
      taskType: taskType as TaskType,
      label: LABEL_OF_TASK[taskType as TaskType],
      subject,
      chunk: Number(chunk),
      datasetName: `${taskType}_${subject}`,
    };
  },
);
await warmResampleCache(recordings, { cacheDir, workers: 2 });
const sums = [];
for (const recording of recordings) {
  const blocks = await lastValueFrom(readResampled(recording, { cacheDir }).pipe(toArray()));
  let sum = 0;
  let n = 0;
  for (const block of blocks) for (const v of block.data) (sum += v, n++);
  sums.push({ blocks: blocks.length, n, sum });
}
console.log(JSON.stringify(sums));
