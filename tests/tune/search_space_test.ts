import { assertEquals, assertThrows } from "@std/assert";
import { paramKind, parseSearchSpace, roundParam } from "../../tune/search_space.ts";

Deno.test("parseSearchSpace() accepts choices, int, uniform and log-uniform ranges with steps", () => {
  const space = parseSearchSpace({
    learningRate: { logUniform: [1e-4, 1e-2], steps: 3 },
    batchSize: { choice: [16, 32] },
    dropProb: { uniform: [0.1, 0.5] },
    units: { int: [16, 64], steps: 4 },
    epochs: { choice: [2, 4] },
  });
  assertEquals(Object.values(space).map(paramKind), ["logUniform", "choice", "uniform", "int", "choice"]);
});

Deno.test("parseSearchSpace() names the parameter and what is wrong", () => {
  assertThrows(() => parseSearchSpace([]), TypeError, "got an array");
  assertThrows(() => parseSearchSpace({}), RangeError, "at least one parameter");
  assertThrows(() => parseSearchSpace({ lr: 0.1 }), TypeError, "parameter lr");
  assertThrows(() => parseSearchSpace({ lr: { between: [1, 2] } }), TypeError, "exactly one of");
  assertThrows(() => parseSearchSpace({ lr: { uniform: [1, 2], choice: [1] } }), TypeError, "exactly one of");
  assertThrows(() => parseSearchSpace({ lr: { uniform: [2, 1] } }), RangeError, "low <= high");
  assertThrows(() => parseSearchSpace({ lr: { uniform: [1] } }), TypeError, "[low, high]");
  assertThrows(() => parseSearchSpace({ lr: { logUniform: [0, 1] } }), RangeError, "positive");
  assertThrows(() => parseSearchSpace({ units: { int: [1.5, 3] } }), RangeError, "integers");
  assertThrows(() => parseSearchSpace({ units: { int: [1, 3], steps: 0 } }), RangeError, "steps");
  assertThrows(() => parseSearchSpace({ batch: { choice: [] } }), RangeError, "non-empty");
  assertThrows(() => parseSearchSpace({ status: { choice: [1] } }), RangeError, "reserved");
});

Deno.test("roundParam() keeps 4 significant digits", () => {
  assertEquals([roundParam(0.123456), roundParam(123456), roundParam(0)], [0.1235, 123500, 0]);
});
