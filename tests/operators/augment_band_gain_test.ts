import { assert, assertAlmostEquals, assertEquals, assertNotEquals, assertThrows } from "@std/assert";
import { augmentWindow } from "../../operators/augment.ts";
import type { Recording, Window } from "../../core/types.ts";

const SFREQ = 125, N = 250, FREQS = [6, 10, 14, 20, 26];
const recording = { path: "rest_1_1.h5", label: "rest" } as Recording;
const off = { timeShiftSeconds: 0, sensorDropProb: 0, gainStd: 0, noiseStd: 0 };

/** Two sensors, each a sum of sines at FREQS (the second sensor at half amplitude). */
function window(): Window {
  const data = new Float32Array(2 * N);
  for (let c = 0; c < 2; c++) {
    for (let t = 0; t < N; t++) {
      data[c * N + t] = FREQS.reduce((s, f) => s + Math.sin(2 * Math.PI * f * t / SFREQ) / (c + 1), 0);
    }
  }
  return { recording, startSample: 0, sfreq: SFREQ, shape: [2, N], data, label: 0 };
}

/** Amplitude and phase of the sine at `f` in the middle of a row (away from the zero-padded ends). */
function sineAt(row: Float32Array, f: number): { amp: number; phase: number } {
  let re = 0, im = 0;
  for (let t = 50; t < 200; t++) {
    re += row[t] * Math.cos(2 * Math.PI * f * t / SFREQ);
    im += row[t] * Math.sin(2 * Math.PI * f * t / SFREQ);
  }
  return { amp: 2 * Math.hypot(re, im) / 150, phase: Math.atan2(im, re) };
}

Deno.test("augment bandGainStd: one band's rhythms scaled alike on every sensor, phases kept, seeded", () => {
  const w = window();
  assertEquals(augmentWindow(w, { ...off, seed: 1 }).data, w.data); // off: unchanged
  let changed = 0;
  for (let seed = 1; seed <= 10; seed++) {
    const out = augmentWindow(w, { ...off, bandGainStd: 0.5, seed });
    assertEquals(augmentWindow(w, { ...off, bandGainStd: 0.5, seed }).data, out.data);
    const gains = FREQS.map((f) => {
      const before = sineAt(w.data.subarray(0, N), f), after = sineAt(out.data.subarray(0, N), f);
      const second = sineAt(out.data.subarray(N), f).amp / sineAt(w.data.subarray(N), f).amp;
      assertAlmostEquals(after.phase, before.phase, 0.05, `zero phase at ${f} Hz`);
      const gain = after.amp / before.amp;
      assertAlmostEquals(second, gain, 0.02, `the same gain on both sensors at ${f} Hz`);
      return gain;
    });
    // One band moves, the rest stays: the gains differ across frequencies, and at least one is ~1.
    if (Math.max(...gains) - Math.min(...gains) > 0.05) changed++;
    assert(gains.some((g) => Math.abs(g - 1) < 0.03), `some rhythm untouched: ${gains}`);
  }
  assert(changed >= 5, `the band gain changed the spectrum in ${changed} of 10 windows`);
  assertNotEquals(augmentWindow(w, { ...off, bandGainStd: 0.5, seed: 1 }).data, w.data);
  assertThrows(() => augmentWindow(w, { bandGainStd: -1 }), RangeError, "bandGainStd");
});

Deno.test("augment scaleStd: one seeded gain for the whole window, every sensor alike", () => {
  const w = window();
  const ratios = new Set<string>();
  for (let seed = 1; seed <= 5; seed++) {
    const out = augmentWindow(w, { ...off, scaleStd: 0.3, seed });
    assertEquals(augmentWindow(w, { ...off, scaleStd: 0.3, seed }).data, out.data);
    const ratio = out.data[3] / w.data[3];
    for (let i = 0; i < w.data.length; i += 37) assertAlmostEquals(out.data[i], w.data[i] * ratio, 1e-4);
    assert(Math.abs(Math.log(ratio)) < 1.5, `a gain of exp(0.3 N(0, 1)), got ${ratio}`);
    ratios.add(ratio.toFixed(4));
  }
  assertEquals(ratios.size, 5, "each seed its own gain");
  assertThrows(() => augmentWindow(w, { scaleStd: -0.1 }), RangeError, "scaleStd");
});
