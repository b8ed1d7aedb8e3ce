/**
 * Flag helpers shared by the task command lines: whole-number flags, comma
 * lists, and the time stamp that names a default output folder.
 *
 * @module
 */

/**
 * The value of a flag that takes a positive integer, or undefined when the flag is absent.
 *
 * @param name The flag, without `--`.
 * @param value Its text as parsed (a boolean only for a flag misused as a switch).
 * @returns The number.
 * @throws {RangeError} `--<name> must be a positive integer, got <value>`.
 *
 * @example
 * ```ts
 * import { positiveIntFlag } from "./_flags.ts";
 * import { assertEquals, assertThrows } from "@std/assert";
 *
 * assertEquals([positiveIntFlag("workers", "4"), positiveIntFlag("workers", undefined)], [4, undefined]);
 * assertThrows(() => positiveIntFlag("workers", "0"), RangeError, "--workers must be a positive integer, got 0");
 * ```
 */
export function positiveIntFlag(name: string, value: string | boolean | undefined): number | undefined {
  if (value === undefined) return undefined;
  const x = Number(value);
  if (!Number.isSafeInteger(x) || x < 1) throw new RangeError(`--${name} must be a positive integer, got ${value}`);
  return x;
}

/**
 * The current time as it starts the name of a default output folder: UTC,
 * to the second, with `-` for `:` (e.g. `2025-01-31T14-05-09`).
 *
 * @param now The time. Default: now.
 * @returns The stamp.
 *
 * @example
 * ```ts
 * import { timeStamp } from "./_flags.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(timeStamp(new Date("2025-01-31T14:05:09.123Z")), "2025-01-31T14-05-09");
 * ```
 */
export function timeStamp(now: Date = new Date()): string {
  return now.toISOString().replace(/[:.]/g, "-").slice(0, 19);
}

/**
 * The items of a comma-separated flag value, trimmed, empty ones dropped.
 *
 * @param value The text, e.g. `"a, b,,c"`.
 * @returns The items, e.g. `["a", "b", "c"]`.
 *
 * @example
 * ```ts
 * import { commaList } from "./_flags.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals([commaList(" Intra/train, Cross/test1,"), commaList("")], [["Intra/train", "Cross/test1"], []]);
 * ```
 */
export function commaList(value: string): string[] {
  return value.split(",").map((s) => s.trim()).filter((s) => s !== "");
}
