import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { assertEquals, assertThrows } from "@std/assert";
import { explainInput } from "../../orchestration/_explain_input.ts";
import { runConfig } from "../../training/run_config.ts";
import { buildModel } from "../../models/registry.ts";
import type { BandSpectrum } from "../../evaluation/band_spectrum.ts";

await tf.setBackend("cpu");
const WINDOW = { op: "window", windowSeconds: 2, strideSeconds: 1 } as const;

Deno.test("explainInput() splits sensor windows by band at the window's rate, and drops a grid model's gridding", () => {
  const cnn = runConfig("cross", "/data", { model: "cnn", preprocess: [{ op: "resample", toHz: 125 }, WINDOW] });
  const cnnModel = buildModel("cnn", { nChans: 248, nTimes: 250 }, 4);
  const raw = explainInput(cnn, cnnModel);
  assertEquals([raw.kind, raw.nChans, raw.nLast, raw.steps], ["channels", 248, 250, cnn.preprocess]);
  assertEquals(raw.bandNames, ["delta", "theta", "alpha", "beta", "gamma", "below", "above"]);
  assertEquals((raw.bands as BandSpectrum).sfreq, 125);
  // without a resample step the rate is the window's samples over its seconds
  assertEquals((explainInput({ ...cnn, preprocess: [WINDOW] }, cnnModel).bands as BandSpectrum).sfreq, 125);
  cnnModel.dispose();
  const grid = runConfig("cross", "/data", {
    model: "cascade",
    preprocess: [{ op: "resample", toHz: 125 }, WINDOW, { op: "gridSensors", fill: "interpolate" }],
  });
  const gridModel = buildModel("cascade", { nChans: 248, nTimes: 250, gridRows: 20, gridCols: 20 }, 4);
  const gridded = explainInput(grid, gridModel);
  assertEquals([gridded.kind, gridded.nChans, gridded.nLast], ["grid", 248, 250]);
  assertEquals(gridded.steps, grid.preprocess.slice(0, -1));
  const score = gridded.score(gridModel).apply(tf.zeros([2, 248, 250]));
  assertEquals(score.shape, [2, 4]);
  assertThrows(
    () => explainInput({ ...grid, preprocess: [...grid.preprocess, { op: "augment" }] }, gridModel),
    RangeError,
    "must end with gridSensors",
  );
  gridModel.dispose();
});

Deno.test("explainInput() keeps band-power windows and names the run's own bands", () => {
  const bands = [{ name: "slow", loHz: 1, hiHz: 8 }, { name: "fast", loHz: 8, hiHz: 30 }];
  const config = runConfig("cross", "/data", { model: "spectral", preprocess: [WINDOW, { op: "bandPower", bands }] });
  const model = buildModel("spectral", { nChans: 248, nTimes: 2 }, 4);
  const input = explainInput(config, model);
  assertEquals([input.kind, input.bands, input.bandNames, input.nLast], ["bands", "last-axis", ["slow", "fast"], 2]);
  model.dispose();
});
