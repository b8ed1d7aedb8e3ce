import { assertEquals, assertThrows } from "@std/assert";
import { checkOptions, checkOptionValue, describeValue } from "../../core/check_options.ts";

const RULES = {
  toHz: { type: "integer", above: 0 },
  mode: { type: "string", oneOf: ["recording", "running"] },
  p: { type: "finite", min: 0, max: 1 },
  flag: { type: "boolean" },
  dir: { type: "string", nullable: true },
  list: { type: "array" },
  fn: { type: "function" },
} as const;

Deno.test("checkOptions() passes known keys with good values and undefined options through", () => {
  const options = {
    toHz: 100,
    mode: "running",
    p: 1,
    flag: false,
    dir: null,
    list: [],
    fn: () => 1,
    dropped: undefined,
  };
  assertThrows(() => checkOptions("x", options, RULES), TypeError, 'unknown option "dropped"');
  const { dropped: _, ...known } = options;
  assertEquals(checkOptions("x", known, RULES), known);
  assertEquals(checkOptions("x", undefined, RULES), undefined);
  assertEquals(checkOptions("x", { toHz: undefined }, RULES), { toHz: undefined });
});

Deno.test("checkOptions() refuses an unknown key, naming it and every known one", () => {
  assertThrows(
    () => checkOptions("resample", { to: 100 }, RULES),
    TypeError,
    'Cannot resample: unknown option "to"; known options: toHz, mode, p, flag, dir, list, fn',
  );
  // Inherited names are not options.
  assertThrows(() => checkOptions("x", JSON.parse('{"constructor": 1}'), RULES), TypeError, '"constructor"');
});

Deno.test("checkOptions() refuses a value of the wrong type with TypeError and out of range with RangeError", () => {
  assertThrows(() => checkOptions("x", { toHz: 1.5 }, RULES), TypeError, 'option "toHz" must be an integer, got 1.5');
  assertThrows(() => checkOptions("x", { toHz: "100" }, RULES), TypeError, 'got "100"');
  assertThrows(() => checkOptions("x", { toHz: 0 }, RULES), RangeError, 'option "toHz" must be > 0, got 0');
  assertThrows(() => checkOptions("x", { p: 2 }, RULES), RangeError, 'option "p" must be <= 1, got 2');
  assertThrows(() => checkOptions("x", { p: -1 }, RULES), RangeError, 'option "p" must be >= 0, got -1');
  assertThrows(() => checkOptions("x", { p: NaN }, RULES), TypeError, "must be a finite number");
  assertThrows(() => checkOptions("x", { mode: "global" }, RULES), RangeError, "one of recording, running");
  assertThrows(() => checkOptions("x", { flag: "yes" }, RULES), TypeError, "must be a boolean");
  assertThrows(() => checkOptions("x", { list: {} }, RULES), TypeError, "must be an array");
  assertThrows(() => checkOptions("x", { fn: 3 }, RULES), TypeError, "must be a function");
  assertThrows(() => checkOptions("x", { toHz: null }, RULES), TypeError, "got null");
});

Deno.test("checkOptions() refuses options that are not an object", () => {
  for (const options of [null, 3, "a", [1]]) {
    assertThrows(() => checkOptions("window", options, RULES), TypeError, "Cannot window: options must be an object");
  }
});

Deno.test("checkOptionValue() lets any number through a number rule, for callers that check ranges themselves", () => {
  checkOptionValue("x", "a", NaN, { type: "number" });
  assertThrows(() => checkOptionValue("x", "a", "1", { type: "number" }), TypeError, "must be a number");
  assertEquals([describeValue("a"), describeValue([1]), describeValue(() => 1)], ['"a"', "[1]", "a function"]);
});
