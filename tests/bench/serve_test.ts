import { assert, assertEquals, assertGreater } from "@std/assert";
import { join } from "node:path";
import { benchServe, latencyStats } from "../../bench/serve.ts";
import { fakeRun } from "../serve/_run.ts";
import { writeRecording } from "../_recordings.ts";

Deno.test("latencyStats() gives nearest-rank percentiles, the maximum and the mean", () => {
  const ms = Array.from({ length: 100 }, (_, i) => 100 - i); // 1..100 in reverse
  assertEquals(latencyStats(ms), { p50Ms: 50, p90Ms: 90, p99Ms: 99, maxMs: 100, meanMs: 50.5 });
  assertEquals(latencyStats([]), { p50Ms: 0, p90Ms: 0, p99Ms: 0, maxMs: 0, meanMs: 0 });
});

Deno.test("benchServe() serves a run in a child process and measures requests, latency and memory", async () => {
  const dir = await Deno.makeTempDir({ prefix: "megflow-serve-bench-test-" });
  try {
    const runDir = await fakeRun(dir);
    const { path } = await writeRecording(join(dir, "uploads"), "rest", "1", 1, 4096);
    const report = await benchServe({
      runDir,
      recording: path,
      sequential: 3,
      clients: 2,
      perClient: 2,
      maxConcurrent: 2,
      backend: "wasm",
    });
    assertEquals([report.sequential.requests, report.concurrent.requests], [3, 4]);
    assertEquals(report.sequential.statuses, { 200: 3 });
    assertEquals(report.concurrent.statuses, { 200: 4 });
    assertEquals([report.uploadBytes, report.windowsPerRequest], [(await Deno.stat(path)).size, 3]);
    assertEquals(report.backend, "wasm");
    for (const phase of [report.sequential, report.concurrent]) {
      assert(phase.latency.p50Ms <= phase.latency.p90Ms && phase.latency.p90Ms <= phase.latency.maxMs);
      assertGreater(phase.requestsPerSecond, 0);
    }
    const { loaded, start, middle, end } = report.memory;
    assertEquals([loaded.afterRequests, start.afterRequests, end.afterRequests], [0, 1, 7]);
    assert(middle.afterRequests >= 1 && middle.afterRequests <= 7);
    assert(end.peakRssMB >= end.rssMB && end.rssMB > 10, JSON.stringify(end));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
