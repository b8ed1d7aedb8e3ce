/**
 * `deno task test-gpu`: the tests that start a WebGPU device, in their own process, rerun once
 * when that process is killed by a signal at exit after every test passed.
 *
 * Why: on Deno 2.9's WebGPU over Mesa's llvmpipe (the software adapter of these machines), a
 * process that used a device aborts at exit now and then, after its last test has passed and
 * its summary is printed ("corrupted size vs. prev_size", "double free or corruption":
 * glibc's heap checks, SIGABRT or SIGSEGV). Measured 2026-12-07: `deno test -A
 * tests/backends/backend_test.ts tests/backends/register_webgpu_backend_test.ts` aborted in 4
 * of 50 runs (1 of 50 with `LP_NUM_THREADS=0`), the test-gpu files in 1 of 6 and 1 of 8 runs,
 * the same at the previous session's code; no test failed in any of them. So a run is
 * repeated only when its process ended by a signal and its output says that every test passed
 * ("| 0 failed"); a failed test, a timeout or a crash before the summary fails at once, and a
 * second crash fails too. The rerun is announced, never silent.
 *
 * @example
 * ```ts
 * import { crashedAfterPassing } from "./test_gpu.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(crashedAfterPassing({ code: 134, signal: null }, "ok | 24 passed | 0 failed (6s)\n"), true);
 * assertEquals(crashedAfterPassing({ code: 1, signal: null }, "FAILED | 23 passed | 1 failed (6s)\n"), false);
 * assertEquals(crashedAfterPassing({ code: 134, signal: null }, "running 7 tests\n"), false);
 *
 * // the files `deno task test` leaves out of its parallel run are exactly these
 * import { GPU_TEST_FILES } from "./test_gpu.ts";
 * const tasks = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url))).tasks;
 * assertEquals(tasks.test.match(/--ignore=(\S+)/)[1].split(","), GPU_TEST_FILES);
 * ```
 *
 * @module
 */

/** The test files that start a WebGPU device (the `--ignore` list of `deno task test`'s parallel run). */
export const GPU_TEST_FILES: readonly string[] = [
  "tests/backends/backend_test.ts",
  "tests/backends/backend_webgpu_training_test.ts",
  "tests/backends/register_webgpu_backend_test.ts",
  "tests/orchestration/doctor_test.ts",
];

/**
 * Whether a test process was killed at exit after reporting that every test passed: its exit
 * code says a signal (128 + n) or it has a signal, and its last summary line has "| 0 failed".
 *
 * @param status The process's exit status.
 * @param output What it printed (stdout and stderr).
 * @returns True only for a crash after a passing summary.
 */
export function crashedAfterPassing(status: { code: number; signal: string | null }, output: string): boolean {
  const bySignal = status.signal !== null || status.code > 128;
  const summaries = output.split("\n").filter((line) => /\| \d+ passed.*\| \d+ failed/.test(line));
  const last = summaries.at(-1);
  return bySignal && last !== undefined && /\| 0 failed/.test(last) && !/FAILED/.test(last);
}

/** Runs the GPU test files once, echoing their output; returns the status and the output. */
async function runOnce(): Promise<{ status: Deno.CommandStatus; output: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["test", "-A", ...GPU_TEST_FILES],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const decoder = new TextDecoder();
  let output = "";
  const pump = async (stream: ReadableStream<Uint8Array>, sink: typeof Deno.stdout) => {
    for await (const chunk of stream) {
      output += decoder.decode(chunk, { stream: true });
      await sink.write(chunk);
    }
  };
  const [status] = await Promise.all([child.status, pump(child.stdout, Deno.stdout), pump(child.stderr, Deno.stderr)]);
  return { status, output };
}

if (import.meta.main) {
  const first = await runOnce();
  if (!crashedAfterPassing(first.status, first.output)) Deno.exit(first.status.code);
  console.error(
    `test-gpu: every test passed, then the process was killed at exit (code ${first.status.code}, signal ` +
      `${first.status.signal}): the known WebGPU-on-llvmpipe teardown crash (.ci/test_gpu.ts); running the GPU ` +
      "tests once more",
  );
  const second = await runOnce();
  Deno.exit(second.status.code);
}
