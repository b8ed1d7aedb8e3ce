import { assert, assertAlmostEquals, assertGreaterOrEqual } from "@std/assert";
import { peakRssMB } from "../../core/peak_rss.ts";

Deno.test("peakRssMB() is a positive number of megabytes, not bytes or kilobytes", () => {
  const peak = peakRssMB();
  assert(Number.isFinite(peak) && peak > 1, `peak ${peak}`);
  // Deno itself needs tens of MB; no test process holds a terabyte.
  assert(peak < 1e6, `peak ${peak}`);
});

Deno.test("peakRssMB() is at least the current resident memory", () => {
  const current = Deno.memoryUsage().rss / 1e6;
  // The kernel counts in pages; allow a few MB of change between the two reads.
  assertGreaterOrEqual(peakRssMB(), current - 4);
});

Deno.test("peakRssMB() never decreases and sees memory the process has touched", () => {
  const before = peakRssMB();
  const block = new Uint8Array(64e6).fill(1); // 64 MB, every page touched
  const during = peakRssMB();
  assertGreaterOrEqual(during, before);
  assertGreaterOrEqual(during, 64);
  assertGreaterOrEqual(peakRssMB(), during);
  assert(block[block.length - 1] === 1);
});

Deno.test({
  name: "peakRssMB() on Linux is the kernel's high-water mark VmHWM",
  ignore: Deno.build.os !== "linux",
  fn() {
    const read = () => Number(Deno.readTextFileSync("/proc/self/status").match(/^VmHWM:\s+(\d+)\s+kB/m)![1]);
    const before = read();
    const peak = peakRssMB();
    const after = read();
    assert(peak >= (before * 1024) / 1e6 && peak <= (after * 1024) / 1e6, `${peak} vs ${before}..${after} kB`);
    assertAlmostEquals(peak, (after * 1024) / 1e6, 8);
  },
});
