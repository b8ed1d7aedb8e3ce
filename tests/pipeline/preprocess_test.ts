import { assertEquals, assertThrows } from "@std/assert";
import { DEFAULT_PREPROCESS, planPreprocess, type PreprocessStep } from "../../pipeline/preprocess.ts";

Deno.test("planPreprocess() groups steps into block, window and window-level stages", () => {
  const plan = planPreprocess([
    { op: "resample", toHz: 125 },
    { op: "minmax" },
    { op: "window", windowSeconds: 2 },
    { op: "gridSensors", rows: 16, cols: 16 },
  ]);
  assertEquals(plan.blockSteps.map((s) => s.op), ["resample", "minmax"]);
  assertEquals(plan.windowSteps.map((s) => s.op), ["gridSensors"]);
});

Deno.test("planPreprocess() accepts the defaults and they survive a JSON round trip", () => {
  const steps = JSON.parse(JSON.stringify(DEFAULT_PREPROCESS)) as PreprocessStep[];
  assertEquals(planPreprocess(steps).windowStep, { op: "window", windowSeconds: 2, strideSeconds: 1 });
});

Deno.test("planPreprocess() rejects a missing or second window step", () => {
  assertThrows(() => planPreprocess([{ op: "zscore" }]), RangeError, "got none");
  assertThrows(
    () => planPreprocess([{ op: "window", windowSeconds: 1 }, { op: "window", windowSeconds: 2 }]),
    RangeError,
    "got a second",
  );
});

Deno.test("planPreprocess() rejects steps in the wrong stage and unknown steps", () => {
  assertThrows(
    () => planPreprocess([{ op: "window", windowSeconds: 1 }, { op: "zscore" }]),
    TypeError,
    "must come before",
  );
  assertThrows(
    () => planPreprocess([{ op: "gridSensors" }, { op: "window", windowSeconds: 1 }]),
    TypeError,
    "must come after",
  );
  assertThrows(
    () => planPreprocess([{ op: "bandpass" } as unknown as PreprocessStep]),
    TypeError,
    "unknown step 0",
  );
});
