import { assertEquals, assertRejects } from "@std/assert";
import { join } from "node:path";
import { runWorkers } from "../../tune/run_workers.ts";

/** How many of this process's open file descriptors point into `dir` (Linux: /proc/self/fd). */
function openFilesIn(dir: string): number {
  let count = 0;
  for (const entry of Deno.readDirSync("/proc/self/fd")) {
    try {
      if (Deno.readLinkSync(`/proc/self/fd/${entry.name}`).startsWith(dir)) count++;
    } catch {
      // closed while listing
    }
  }
  return count;
}

Deno.test({
  name: "runWorkers() closes a job's log files when its program cannot be spawned",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "megflow-run-workers-spawn-" }));
    try {
      const jobs = [1, 2].map((i) => ({ args: [], logFile: join(dir, `logs/${i}.log`), label: `job ${i}` }));
      const program = join(dir, "no-such-program");
      await assertRejects(() => runWorkers(jobs, { program, workers: 2 }), Deno.errors.NotFound);
      assertEquals(openFilesIn(dir), 0, "log files left open");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
