import { assert, assertEquals, assertThrows } from "@std/assert";
import { lastValueFrom, of, toArray } from "rxjs";
import { DEFAULT_PREPROCESS, planPreprocess, preprocess, type PreprocessStep } from "../../pipeline/preprocess.ts";
import type { Block, Recording } from "../../core/types.ts";

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

Deno.test("planPreprocess() takes bandPower after window and augment, and nothing sensor-wise after it", () => {
  const plan = planPreprocess([
    { op: "window", windowSeconds: 2 },
    { op: "augment" },
    { op: "bandPower", relative: true },
  ]);
  assertEquals(plan.windowSteps.map((s) => s.op), ["augment", "bandPower"]);
  assertThrows(
    () => planPreprocess([{ op: "window", windowSeconds: 2 }, { op: "bandPower" }, { op: "augment" }]),
    TypeError,
    `must come before "bandPower"`,
  );
  assertThrows(
    () => planPreprocess([{ op: "window", windowSeconds: 2 }, { op: "bandPower" }, { op: "gridSensors" }]),
    TypeError,
    `must come before "bandPower"`,
  );
  assertThrows(() => planPreprocess([{ op: "bandPower" }, { op: "window", windowSeconds: 2 }]), TypeError, "after");
});

Deno.test("preprocess() with a bandPower step emits [nChans, nBands] windows of the band powers", async () => {
  const recording = { path: "rest_1_1.h5", label: "rest" } as Recording;
  const data = Float64Array.from({ length: 2 * 500 }, (_, i) => Math.sin(2 * Math.PI * 10 * (i % 500) / 125));
  const block: Block = { recording, startSample: 0, sfreq: 125, nChans: 2, nTimes: 500, data };
  const windows = await lastValueFrom(
    of(block).pipe(
      preprocess([{ op: "window", windowSeconds: 2 }, {
        op: "bandPower",
        bands: [{ name: "alpha", loHz: 8, hiHz: 13 }, { name: "beta", loHz: 13, hiHz: 30 }],
      }]),
      toArray(),
    ),
  );
  assertEquals(windows.map((w) => w.shape), [[2, 2], [2, 2]]);
  assert(windows[0].data[0] > windows[0].data[1] + 2, `alpha > beta: ${Array.from(windows[0].data)}`);
});
