/**
 * Peak resident memory of this process, for benchmarks and run reports.
 *
 * @module
 */

/**
 * The largest resident set size this process has had, in MB (10^6 bytes).
 * On Linux this is the kernel's high-water mark (`VmHWM` in
 * `/proc/self/status`), exact whatever happened between calls; elsewhere it
 * falls back to the current RSS, so call it often there.
 *
 * @returns Peak RSS in MB.
 *
 * @example
 * ```ts
 * import { peakRssMB } from "./peak_rss.ts";
 * import { assertGreater } from "@std/assert";
 *
 * assertGreater(peakRssMB(), 1);
 * ```
 */
export function peakRssMB(): number {
  try {
    const status = Deno.readTextFileSync("/proc/self/status");
    const match = status.match(/^VmHWM:\s+(\d+)\s+kB/m);
    if (match) return (Number(match[1]) * 1024) / 1e6;
  } catch {
    // not Linux: fall through
  }
  return Deno.memoryUsage().rss / 1e6;
}
