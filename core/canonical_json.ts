/**
 * JSON text that does not depend on the order of object keys, for comparing and hashing
 * configurations.
 *
 * @module
 */

/**
 * JSON with object keys sorted at every level, so equal values give equal text. `undefined`
 * (a missing key) gives the text `undefined`, so it differs from every JSON value.
 *
 * @param value Any JSON value, or undefined.
 * @returns The canonical JSON text.
 *
 * @example
 * ```ts
 * import { canonicalJson } from "./canonical_json.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] }), '{"a":[{"c":3,"d":2}],"b":1}');
 * assertEquals(canonicalJson(undefined), "undefined");
 * ```
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_key, v) =>
      v !== null && typeof v === "object" && !Array.isArray(v)
        ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]))
        : v,
  ) ?? "undefined";
}
