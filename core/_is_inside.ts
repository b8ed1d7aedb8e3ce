/**
 * Path containment, for the rule that nothing is written into a data folder.
 *
 * @module
 */
import { isAbsolute, relative, resolve } from "node:path";

/**
 * True when `inner` is `outer` or lies inside it (both resolved against the working directory).
 *
 * @param inner The path that may be inside.
 * @param outer The folder.
 * @returns Whether `inner` is `outer` or below it.
 *
 * @example
 * ```ts
 * import { isInside } from "./_is_inside.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals([isInside("/data/x", "/data"), isInside("/data", "/data"), isInside("/database", "/data")], [true, true, false]);
 * ```
 */
export function isInside(inner: string, outer: string): boolean {
  const rel = relative(resolve(outer), resolve(inner));
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}
