import { assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { main } from "../../tasks/doctor.ts";

/** What `fn` prints with console.log (console.error, the progress, is dropped). */
async function printed(fn: () => Promise<void>): Promise<string> {
  const lines: string[] = [];
  const { log, error } = console;
  console.log = (...args: unknown[]) => lines.push(args.join(" "));
  console.error = () => {};
  try {
    await fn();
  } finally {
    Object.assign(console, { log, error });
  }
  return lines.join("\n");
}

Deno.test("doctor main() prints the report as JSON with --json, for the backends and size asked", async () => {
  const text = await printed(() =>
    main(["--json", "--backends", "cpu,wasm", "--steps", "2", "--batch", "2", "--channels", "4", "--samples", "64"])
  );
  const report = JSON.parse(text);
  assertEquals(report.backends.map((check: { backend: string }) => check.backend), ["cpu", "wasm"]);
  assertEquals(report.backends[1].stepSeconds.length, 2);
  assertEquals(report.workload, "cnn (EEGNet-8,2) on [2, 4, 64], Adam");
});

Deno.test("doctor main() prints its usage and rejects unknown backends and bad numbers", async () => {
  assertStringIncludes(await printed(() => main(["--help"])), "Usage: megflow doctor");
  await assertRejects(
    () => main(["--backends", "cpu,tpu"]),
    RangeError,
    "--backends must list cpu, wasm, webgpu, got tpu",
  );
  await assertRejects(() => main(["--steps", "0"]), RangeError, "--steps must be a positive integer, got 0");
  await assertRejects(() => main(["--bogus"]), TypeError, "Unknown option '--bogus'");
});
