import { assertEquals } from "@std/assert";
import { signalOf, stepsForModel } from "../../orchestration/train_run.ts";

const STEPS = [
  { op: "resample", toHz: 125 },
  { op: "zscore" },
  { op: "window", windowSeconds: 2, strideSeconds: 1 },
] as const;

Deno.test("stepsForModel() adds a bandPower step for the spectral model and signalOf() gives [nChans, nBands]", () => {
  const steps = stepsForModel([...STEPS], "spectral");
  assertEquals(steps.at(-1), { op: "bandPower" });
  assertEquals(signalOf(steps), { nChans: 248, nTimes: 5, sfreq: 125 });
  const custom = stepsForModel(
    [...STEPS, { op: "bandPower", bands: [{ name: "alpha", loHz: 8, hiHz: 13 }] }],
    "spectral",
  );
  assertEquals(custom.length, 4);
  assertEquals(signalOf(custom), { nChans: 248, nTimes: 1, sfreq: 125 });
  assertEquals(stepsForModel([...STEPS], "cnn"), [...STEPS]);
});
