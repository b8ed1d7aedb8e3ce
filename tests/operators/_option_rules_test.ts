/**
 * Every operator refuses an unknown option key at once, naming it and its known keys, and a
 * value of the wrong type (before, `resample({ to: 100 })` silently resampled to 125 Hz).
 */
import { assertThrows } from "@std/assert";
import { resample, resamplePoly } from "../../operators/resample.ts";
import { window } from "../../operators/window.ts";
import { zscore, zscoreChannels } from "../../operators/zscore.ts";
import { minmax, minmaxChannels } from "../../operators/minmax.ts";
import { augment, augmentWindow } from "../../operators/augment.ts";
import { batch } from "../../operators/batch.ts";
import { shuffle } from "../../operators/shuffle.ts";
import { assignSensorsToGrid, gridSensors, planSensorGrid } from "../../operators/grid_sensors.ts";
import { alignmentMatrix, euclideanAlign } from "../../operators/euclidean_align.ts";
import { subjectZscore } from "../../operators/subject_zscore.ts";
import { mixup } from "../../operators/mixup.ts";
import { bandPower, bandPowers } from "../../operators/band_power.ts";
import type { Window } from "../../core/types.ts";

// deno-lint-ignore no-explicit-any
type Loose = any;
const win = { shape: [2, 4], data: new Float32Array(8), label: 0, sfreq: 2, startSample: 0 } as unknown as Window;
const layout = { channels: ["a", "b"], x: Float64Array.of(0, 1), y: Float64Array.of(0, 1) };

/** Each call with a misspelt key, the operator's name and a known key its message must list. */
const CASES: [string, () => unknown, string][] = [
  ["resample", () => resample({ to: 100 } as Loose), "toHz"],
  ["resamplePoly", () => resamplePoly(new Float64Array(4), {} as Loose, { nChan: 2 } as Loose), "nChans"],
  ["window", () => window({ windowSeconds: 2, stride: 1 } as Loose), "strideSeconds"],
  ["zscore", () => zscore({ eps: 1 } as Loose), "epsilon"],
  ["zscore", () => zscoreChannels(new Float64Array(4), 2, { eps: 1 } as Loose), "epsilon"],
  ["minmax", () => minmax({ low: 0 } as Loose), "range"],
  ["minmax", () => minmaxChannels(new Float64Array(4), 2, { low: 0 } as Loose), "range"],
  ["augment", () => augment({ noise: 0.2 } as Loose), "noiseStd"],
  ["augment", () => augmentWindow(win, { noise: 0.2 } as Loose), "noiseStd"],
  ["batch", () => batch(4, { dropLast: true } as Loose), "dropRemainder"],
  ["shuffle", () => shuffle({ buffer: 10 } as Loose), "bufferSize"],
  ["gridSensors", () => gridSensors({ row: 5 } as Loose), "rows"],
  ["gridSensors", () => planSensorGrid({ layout, neighbors: 2 } as Loose), "neighbours"],
  ["gridShape", () => assignSensorsToGrid(layout, { rows: 2, col: 2 } as Loose), "cols"],
  ["euclideanAlign", () => euclideanAlign({ matrixOf: () => new Float64Array(1), shrink: 1 } as Loose), "matrixOf"],
  ["alignmentMatrix", () => alignmentMatrix(Float64Array.of(1), 1, { shrink: 0 } as Loose), "shrinkage"],
  ["subjectZscore", () => subjectZscore({ momentsOf: () => ({}), eps: 1 } as Loose), "epsilon"],
  ["mixup", () => mixup({ alpha: 0.2, sed: 1 } as Loose), "seed"],
  ["bandPower", () => bandPower({ relativ: true } as Loose), "relative"],
  ["bandPower", () => bandPowers(new Float64Array(8), [2, 4], 2, { segments: 4 } as Loose), "segmentSamples"],
];

Deno.test("every operator refuses an unknown option key, naming it and the known ones", () => {
  for (const [name, call, known] of CASES) {
    const error = assertThrows(call, TypeError, `Cannot ${name}: unknown option`);
    if (!error.message.includes("known options:") || !error.message.includes(known)) {
      throw new Error(`${name}: the message should list the known options, got ${error.message}`);
    }
  }
});

Deno.test("resample({ to: 100 }) is refused instead of resampling to 125 Hz", () => {
  assertThrows(() => resample({ to: 100 } as Loose), TypeError, 'unknown option "to"; known options: fromHz, toHz');
});

Deno.test("operators refuse option values of the wrong type", () => {
  assertThrows(() => resample({ toHz: "100" } as Loose), TypeError, 'option "toHz" must be a number, got "100"');
  assertThrows(() => batch(4, { dropRemainder: "yes" } as Loose), TypeError, "must be a boolean");
  assertThrows(() => minmax({ range: 1 } as Loose), TypeError, "must be an array");
  assertThrows(() => zscore({ mode: 1 } as Loose), TypeError, "must be a string");
  assertThrows(() => shuffle([3] as Loose), TypeError, "options must be an object");
});
