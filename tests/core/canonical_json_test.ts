import { assertEquals, assertNotEquals } from "@std/assert";
import { canonicalJson } from "../../core/canonical_json.ts";

Deno.test("canonicalJson() gives equal text for objects that differ only in key order, at every level", () => {
  assertEquals(
    canonicalJson({ b: 1, a: { y: [1, { q: 2, p: 3 }], x: null } }),
    canonicalJson({ a: { x: null, y: [1, { p: 3, q: 2 }] }, b: 1 }),
  );
  assertEquals(canonicalJson({ b: 1, a: 2 }), '{"a":2,"b":1}');
});

Deno.test("canonicalJson() keeps array order and tells a missing value from null", () => {
  assertNotEquals(canonicalJson([1, 2]), canonicalJson([2, 1]));
  assertEquals(canonicalJson(undefined), "undefined");
  assertNotEquals(canonicalJson(undefined), canonicalJson(null));
});
