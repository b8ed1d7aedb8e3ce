import { assert, assertEquals, assertGreaterOrEqual, assertRejects } from "@std/assert";
import { join } from "node:path";
import { runWorkers, type WorkerJob } from "../../tune/run_workers.ts";
import { withTempDir } from "../_temp_dir.ts";

/** A job running `code` with `deno eval`. */
function job(dir: string, label: string, code: string): WorkerJob {
  return { args: ["eval", code], logFile: join(dir, label, "log.txt"), label };
}

/** Most jobs running at once, from the pool's start and end lines. */
function mostAtOnce(lines: string[]): number {
  let running = 0;
  let most = 0;
  for (const line of lines) {
    if (line.includes(": started")) most = Math.max(most, ++running);
    if (line.includes(": exit code")) running--;
  }
  return most;
}

Deno.test("runWorkers() returns one result per job in the order given, not the order they end", async () => {
  await withTempDir(async (dir) => {
    const jobs = [
      job(dir, "slow", "await new Promise((r) => setTimeout(r, 600)); console.log('slow')"),
      job(dir, "fast", "console.log('fast')"),
    ];
    const ended: string[] = [];
    const results = await runWorkers(jobs, {
      workers: 2,
      log: (line) => line.includes("exit code") && ended.push(line.split(":")[0]),
    });
    assertEquals(results.map((r) => [r.label, r.code]), [["slow", 0], ["fast", 0]]);
    assertEquals(ended, ["fast", "slow"]);
    assertGreaterOrEqual(results[0].seconds, 0.5);
    assert(results.every((r) => r.seconds >= 0));
  });
});

Deno.test("runWorkers() runs at most `workers` jobs at once", async () => {
  await withTempDir(async (dir) => {
    const jobs = [0, 1, 2, 3].map((i) => job(dir, `job${i}`, "await new Promise((r) => setTimeout(r, 150))"));
    const serial: string[] = [];
    await runWorkers(jobs.slice(0, 3), { workers: 1, log: (line) => serial.push(line) });
    assertEquals(mostAtOnce(serial), 1);
    assertEquals(serial.filter((l) => l.includes("started")).map((l) => l.split(":")[0]), ["job0", "job1", "job2"]);
    const pooled: string[] = [];
    await runWorkers(jobs, { workers: 2, log: (line) => pooled.push(line) });
    assertEquals(mostAtOnce(pooled), 2);
    assertEquals(pooled.length, 8);
  });
});

Deno.test("runWorkers() reports a failing job's exit code and runs the others", async () => {
  await withTempDir(async (dir) => {
    const results = await runWorkers([
      job(dir, "fails", "console.error('bad trial'); Deno.exit(3)"),
      job(dir, "throws", "throw new Error('boom')"),
      job(dir, "works", "console.log('ok')"),
    ], { workers: 1 });
    assertEquals(results.map((r) => r.code), [3, 1, 0]);
    assertEquals(await Deno.readTextFile(join(dir, "fails", "log.txt")), "bad trial\n");
    assert((await Deno.readTextFile(join(dir, "throws", "log.txt"))).includes("boom"));
  });
});

Deno.test("runWorkers() writes both output streams to the job's log, appending to an old log", async () => {
  await withTempDir(async (dir) => {
    const logged = job(dir, "deep/nested", "console.log('to stdout'); console.error('to stderr')");
    await runWorkers([logged]);
    const first = await Deno.readTextFile(logged.logFile);
    assert(first.includes("to stdout\n") && first.includes("to stderr\n"), first);
    await runWorkers([logged]);
    const second = await Deno.readTextFile(logged.logFile);
    assertEquals(second.split("to stdout").length - 1, 2);
    assertEquals(second.length, 2 * first.length);
  });
});

Deno.test("runWorkers() runs the program given, in the folder given", async () => {
  await withTempDir(async (dir) => {
    const [result] = await runWorkers(
      [{ args: ["eval", "console.log(Deno.cwd())"], logFile: join(dir, "cwd.log"), label: "cwd" }],
      { program: Deno.execPath(), cwd: dir },
    );
    assertEquals(result.code, 0);
    assertEquals((await Deno.readTextFile(join(dir, "cwd.log"))).trim(), await Deno.realPath(dir));
    await assertRejects(
      () =>
        runWorkers([{ args: [], logFile: join(dir, "x.log"), label: "x" }], { program: join(dir, "no-such-program") }),
      Deno.errors.NotFound,
    );
  });
});

Deno.test("runWorkers() of no jobs returns no results", async () => {
  assertEquals(await runWorkers([], { workers: 4 }), []);
});

Deno.test("runWorkers() rejects a pool size that is not a positive integer", async () => {
  for (const workers of [0, -1, 1.5, NaN]) {
    await assertRejects(
      () => runWorkers([], { workers }),
      RangeError,
      `workers must be a positive integer, got ${workers}`,
    );
  }
});
