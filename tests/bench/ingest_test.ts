import { assert, assertAlmostEquals, assertEquals, assertGreaterOrEqual, assertLessOrEqual } from "@std/assert";
import { benchIngest } from "../../bench/ingest.ts";
import { DEFAULT_PREPROCESS, type PreprocessStep } from "../../pipeline/preprocess.ts";
import type { Recording } from "../../core/types.ts";
import { writeRecording } from "../_recordings.ts";

// No resampling: windows of 16 raw samples, 64 samples per recording give 4 windows.
const STEPS: PreprocessStep[] = [{ op: "window", windowSeconds: 16 / 2034, strideSeconds: 16 / 2034 }];

async function withRecordings(fn: (recordings: Recording[]) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "megflow-ingest-test-" });
  try {
    const recordings = [
      await writeRecording(dir, "rest", "1", 1, 64),
      await writeRecording(dir, "task_motor", "1", 1, 64),
      await writeRecording(dir, "task_story_math", "2", 1, 64),
    ];
    await fn(recordings);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("benchIngest() counts the files, bytes, windows and batches it streamed", async () => {
  await withRecordings(async (recordings) => {
    const report = await benchIngest(recordings, { steps: STEPS, batchSize: 5 });
    assertEquals(report.files, 3);
    let bytes = 0;
    for (const r of recordings) bytes += (await Deno.stat(r.path)).size;
    assertEquals(report.rawBytes, bytes);
    assertEquals([report.windows, report.batches], [12, 3]); // 5 + 5 + 2
    assert(report.seconds > 0);
    assertAlmostEquals(report.rawMBPerSecond, bytes / 1e6 / report.seconds, 1e-9);
    assert(report.cpuSeconds > 0 && report.cpuSeconds < 100 * report.seconds);
  });
});

Deno.test("benchIngest() reports the process's peak memory and how many batches the sink held", async () => {
  await withRecordings(async (recordings) => {
    const options = { steps: STEPS, batchSize: 2, concurrency: 1, shuffleBuffer: 1, highWaterMark: 1, sinkMs: 5 };
    const report = await benchIngest(recordings, options);
    assert(report.peakRssMB > 1 && Number.isFinite(report.peakRssMB));
    assertEquals(report.batches, 6);
    assertGreaterOrEqual(report.gatePeak, 1);
    // The gate holds the reader at the mark: the sink holds one recording's batches (2) and a
    // window left in the shuffle buffer, never all 6.
    assertLessOrEqual(report.gatePeak, 3);
    // A shuffle buffer larger than the stream hands every batch over at its end.
    assertEquals((await benchIngest(recordings, { ...options, shuffleBuffer: 256 })).gatePeak, 6);
  });
});

Deno.test("benchIngest() waits sinkMs per batch, as a training step would", async () => {
  await withRecordings(async (recordings) => {
    const report = await benchIngest(recordings, { steps: STEPS, batchSize: 2, sinkMs: 20 });
    assertEquals(report.batches, 6);
    assertGreaterOrEqual(report.seconds, (6 * 20) / 1000);
  });
});

Deno.test("benchIngest() reports the settings it used, defaults filled in", async () => {
  const report = await benchIngest([]);
  const workers = navigator.hardwareConcurrency;
  assertEquals(report.settings, {
    steps: DEFAULT_PREPROCESS,
    concurrency: Math.max(2, workers + 1),
    workers,
    cacheDir: null,
    batchSize: 32,
    shuffleBuffer: 256,
    sinkMs: 0,
    highWaterMark: 2,
  });
  assertEquals([report.files, report.rawBytes, report.windows, report.batches], [0, 0, 0, 0]);
  assertEquals(report.loadavg.length, 3);
  const given = {
    steps: STEPS,
    concurrency: 1,
    workers: 0,
    cacheDir: "/tmp/cache",
    batchSize: 4,
    shuffleBuffer: 8,
    sinkMs: 1,
    highWaterMark: 3,
  };
  assertEquals((await benchIngest([], given)).settings, given);
});
