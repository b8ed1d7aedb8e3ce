import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { join } from "node:path";
import { benchIngestSuite, ingestTable, runsOf } from "../../bench/ingest_suite.ts";
import { writeRecording } from "../_recordings.ts";

async function withDataset(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "megflow-suite-test-" });
  try {
    const train = join(dir, "Cross", "train");
    for (const type of ["rest", "task_motor", "task_story_math", "task_working_memory"] as const) {
      await writeRecording(train, type, "1", 1, 4068);
    }
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("benchIngestSuite() measures cold and cached ingest per count, each in its own process", async () => {
  await withDataset(async (dir) => {
    const lines: string[] = [];
    const report = await benchIngestSuite({ dataDir: dir, counts: [2, 4], python: false, log: (l) => lines.push(l) });
    assertEquals([report.filesDir, report.h5pyWritten], [dir, false]);
    assertEquals(report.python, { skipped: "--no-python" });
    assertEquals(report.counts.map((c) => c.files), [2, 4]);
    for (const count of report.counts) {
      const { cold, cached } = count;
      assertEquals([cold.runs.length, cached.runs.length], [1, 1]);
      assertEquals(cold.median.files, count.files);
      assertEquals(cold.median.windows, count.files); // 2 s per file: one 2 s window each
      assertEquals(cached.median.windows, cold.median.windows);
      assert(cold.median.settings.cacheDir !== null, "the cold run fills a cache for the cached run");
      assertEquals(count.python, {});
      assertEquals(count.coldOverPython, undefined);
    }
    assert(lines.some((l) => l.includes("Python reference skipped: --no-python")));
    const table = ingestTable(report).split("\n");
    assertEquals(table.length, 4);
    assertStringIncludes(table[0], "cold MB/s");
    assertStringIncludes(table[2], "| 2 |");
    assertStringIncludes(table[2], "skipped");
  });
});

Deno.test("benchIngestSuite() skips the Python reference with a note when Python lacks h5py or scipy", async () => {
  await withDataset(async (dir) => {
    const lines: string[] = [];
    const report = await benchIngestSuite({
      dataDir: dir,
      counts: [1],
      python: join(dir, "no-such-python"),
      workers: 0,
      log: (l) => lines.push(l),
    });
    assert("skipped" in report.python);
    assertStringIncludes(report.python.skipped, "with h5py, scipy and numpy");
    assert(lines.some((l) => l.includes("apt-get install python3-h5py")));
    assertEquals(report.counts[0].cold.median.settings.workers, 0);
  });
});

Deno.test("runsOf() keeps every run and picks the median rate", () => {
  const runs = [3, 1, 2, 5].map((rawMBPerSecond) => ({ rawMBPerSecond }));
  assertEquals(runsOf(runs).median.rawMBPerSecond, 2);
  assertEquals(runsOf(runs.slice(0, 3)).median.rawMBPerSecond, 2);
  assertEquals(runsOf(runs).runs, runs);
});
