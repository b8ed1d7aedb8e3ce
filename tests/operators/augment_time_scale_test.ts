import { assert, assertAlmostEquals, assertEquals, assertNotEquals, assertThrows } from "@std/assert";
import { augmentWindow } from "../../operators/augment.ts";
import { timeScale } from "../../operators/_time_scale.ts";
import type { Recording, Window } from "../../core/types.ts";

const SFREQ = 125, N = 250;
const recording = { path: "rest_1_1.h5", label: "rest" } as Recording;
const off = { timeShiftSeconds: 0, sensorDropProb: 0, gainStd: 0, noiseStd: 0 };

/** Two sensors: a 10 Hz sine, and the same at half amplitude. */
function window(): Window {
  const data = new Float32Array(2 * N);
  for (let t = 0; t < N; t++) {
    data[t] = Math.sin(2 * Math.PI * 10 * t / SFREQ);
    data[N + t] = data[t] / 2;
  }
  return { recording, startSample: 0, sfreq: SFREQ, shape: [2, N], data, label: 0 };
}

/** The frequency (0.05 Hz steps, 5-15 Hz) whose sine fits samples 0-149 of a row best. */
function peakHz(row: Float32Array): number {
  let best = 0, bestPower = -1;
  for (let f = 5; f <= 15; f += 0.05) {
    let re = 0, im = 0;
    for (let t = 0; t < 150; t++) {
      re += row[t] * Math.cos(2 * Math.PI * f * t / SFREQ);
      im += row[t] * Math.sin(2 * Math.PI * f * t / SFREQ);
    }
    if (re * re + im * im > bestPower) [best, bestPower] = [f, re * re + im * im];
  }
  return best;
}

Deno.test("timeScale reads every row at t * factor, linearly interpolated and circular", () => {
  const x = Float32Array.of(0, 1, 2, 3, 10, 20, 30, 40); // two rows of 4
  assertEquals(timeScale(x, 2, 4, 1), x);
  const slow = timeScale(x, 2, 4, 0.5);
  [0, 0.5, 1, 1.5, 10, 15, 20, 25].forEach((v, i) => assertAlmostEquals(slow[i], v, 1e-6));
  const fast = timeScale(x, 2, 4, 1.5); // t * 1.5 = 0, 1.5, 3, 4.5 -> 0.5 after the wrap
  [0, 1.5, 3, 0.5, 10, 25, 40, 15].forEach((v, i) => assertAlmostEquals(fast[i], v, 1e-6));
});

Deno.test("augment timeScaleStd: every sensor's frequencies times one seeded factor, amplitudes kept", () => {
  const w = window();
  assertEquals(augmentWindow(w, { ...off, timeScaleStd: 0, seed: 1 }).data, w.data); // off: unchanged
  const peaks = new Set<string>();
  for (let seed = 1; seed <= 8; seed++) {
    const out = augmentWindow(w, { ...off, timeScaleStd: 0.1, seed });
    assertEquals(augmentWindow(w, { ...off, timeScaleStd: 0.1, seed }).data, out.data);
    const [first, second] = [out.data.subarray(0, N), out.data.subarray(N)];
    const hz = peakHz(first);
    assertAlmostEquals(peakHz(second), hz, 1e-9, "the same factor on both sensors");
    for (let t = 0; t < N; t += 17) assertAlmostEquals(second[t], first[t] / 2, 1e-5);
    assert(Math.abs(Math.log(hz / 10)) < 0.45, `10 Hz times exp(0.1 N(0, 1)), got ${hz}`);
    assert(Math.max(...first.subarray(0, 150).map(Math.abs)) > 0.95, "amplitude kept");
    peaks.add(hz.toFixed(2));
  }
  assert(peaks.size >= 6, `each seed its own factor: ${[...peaks]}`);
  assertNotEquals(augmentWindow(w, { ...off, timeScaleStd: 0.1, seed: 1 }).data, w.data);
  assertThrows(() => augmentWindow(w, { timeScaleStd: -0.1 }), RangeError, "timeScaleStd");
});
