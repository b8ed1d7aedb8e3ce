import { assertEquals, assertThrows } from "@std/assert";
import { halvingSchedule, promote } from "../../tune/halving_schedule.ts";

Deno.test("halvingSchedule() halves the configurations and doubles the epochs up to the full budget", () => {
  assertEquals(halvingSchedule(16, 16), [
    { rung: 0, configs: 16, epochs: 1 },
    { rung: 1, configs: 8, epochs: 2 },
    { rung: 2, configs: 4, epochs: 4 },
    { rung: 3, configs: 2, epochs: 8 },
    { rung: 4, configs: 1, epochs: 16 },
  ]);
  assertEquals(halvingSchedule(6, 12).map((r) => [r.configs, r.epochs]), [[6, 3], [3, 6], [1, 12]]);
  assertEquals(halvingSchedule(1, 5), [{ rung: 0, configs: 1, epochs: 5 }]);
  assertEquals(halvingSchedule(8, 2).map((r) => r.epochs), [1, 1, 1, 2]); // never below one epoch
});

Deno.test("halvingSchedule() rejects bad counts and factors", () => {
  assertThrows(() => halvingSchedule(0, 4), RangeError, "configurations");
  assertThrows(() => halvingSchedule(4, 1.5), RangeError, "epochs");
  assertThrows(() => halvingSchedule(4, 4, { eta: 1 }), RangeError, "eta");
});

Deno.test("promote() advances the best scores and never a failed trial", () => {
  assertEquals(promote([0.3, 0.8, 0.5, 0.8], 2), [1, 3]); // tie: the earlier first
  assertEquals(promote([0.3, -Infinity, NaN, 0.1], 3), [0, 3]);
  assertEquals(promote([], 2), []);
});
