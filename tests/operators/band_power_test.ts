import { concat, from, lastValueFrom, of, throwError, toArray } from "rxjs";
import { assert, assertAlmostEquals, assertEquals, assertRejects, assertThrows } from "@std/assert";
import { bandPower, bandPowers, DEFAULT_BANDS, defaultSegmentSamples, welch } from "../../operators/band_power.ts";
import type { Window } from "../../core/types.ts";
import { makeRecording } from "./_blocks.ts";

interface FixtureCase {
  name: string;
  sfreq: number;
  nChans: number;
  nTimes: number;
  segmentSamples: number;
  input: number[];
  freqs: number[];
  psd: number[];
  log10: number[];
  relative: number[];
}

const fixture: { cases: FixtureCase[]; bands: typeof DEFAULT_BANDS } = JSON.parse(
  Deno.readTextFileSync(new URL("../fixtures/band_power_scipy.json", import.meta.url)),
);

function windowOf(data: Float32Array, shape: number[], sfreq = 125): Window {
  return { recording: makeRecording("rest"), startSample: 0, sfreq, shape, data, label: 0 };
}

Deno.test("welch() matches scipy.signal.welch to 1e-10 relative, padded segments included", () => {
  for (const c of fixture.cases) {
    for (let ch = 0; ch < c.nChans; ch++) {
      const x = Float64Array.from(c.input.slice(ch * c.nTimes, (ch + 1) * c.nTimes));
      const { freqs, psd } = welch(x, c.sfreq, c.segmentSamples);
      assertEquals(Array.from(freqs), c.freqs, c.name);
      const expected = c.psd.slice(ch * c.freqs.length, (ch + 1) * c.freqs.length);
      const peak = Math.max(...expected);
      for (let k = 0; k < expected.length; k++) {
        assertAlmostEquals(psd[k], expected[k], 1e-10 * peak, `${c.name} bin ${k}`);
      }
    }
  }
});

Deno.test("bandPowers() matches scipy's log10 and relative band powers", () => {
  assertEquals(fixture.bands, DEFAULT_BANDS);
  for (const c of fixture.cases) {
    const x = Float64Array.from(c.input);
    const options = { segmentSamples: c.segmentSamples };
    const logs = bandPowers(x, [c.nChans, c.nTimes], c.sfreq, options);
    c.log10.forEach((v, i) => assertAlmostEquals(logs[i], v, 1e-5, `${c.name} log10 ${i}`));
    const relative = bandPowers(x, [c.nChans, c.nTimes], c.sfreq, { ...options, relative: true, log: false });
    c.relative.forEach((v, i) => assertAlmostEquals(relative[i], v, 1e-6, `${c.name} relative ${i}`));
  }
});

Deno.test("bandPowers() puts a sine's power in its band and honours custom bands", () => {
  const x = Float32Array.from(
    { length: 500 },
    (_, i) => (i < 250 ? Math.sin(2 * Math.PI * 20 * i / 125) : Math.sin(2 * Math.PI * 6 * i / 125)),
  );
  const logs = bandPowers(x, [2, 250], 125);
  assertEquals(logs.length, 10);
  assertEquals(logs.subarray(0, 5).indexOf(Math.max(...logs.subarray(0, 5))), 3); // beta
  assertEquals(logs.subarray(5).indexOf(Math.max(...logs.subarray(5))), 1); // theta
  const custom = bandPowers(x, [2, 250], 125, {
    bands: [{ name: "low", loHz: 2, hiHz: 10 }, { name: "high", loHz: 10, hiHz: 40 }],
    log: false,
  });
  assert(custom[1] > 10 * custom[0] && custom[2] > 10 * custom[3], `${Array.from(custom)}`);
});

Deno.test("defaultSegmentSamples() is the power of two nearest one second, within the window", () => {
  assertEquals(defaultSegmentSamples(125, 250), 128);
  assertEquals(defaultSegmentSamples(125, 100), 64);
  assertEquals(defaultSegmentSamples(2034, 4068), 2048);
});

Deno.test("bandPowers() rejects bad shapes, bands and segment lengths with what it got", () => {
  const x = new Float32Array(500);
  assertThrows(() => bandPowers(x, [10, 25, 2], 125), TypeError, "expected a sensor window [nChans, nTimes]");
  assertThrows(() => bandPowers(x, [2, 250], 125, { bands: [] }), TypeError, "non-empty array");
  assertThrows(
    () => bandPowers(x, [2, 250], 125, { bands: [{ name: "x", loHz: 5, hiHz: 2 }] }),
    TypeError,
    "0 <= loHz < hiHz",
  );
  assertThrows(() => bandPowers(x, [2, 250], 125, { segmentSamples: 300 }), RangeError, "got 300");
  assertThrows(
    () => bandPowers(x, [2, 250], 125, { bands: [{ name: "high", loHz: 70, hiHz: 80 }] }),
    RangeError,
    "band high (70-80 Hz) holds no frequency bin",
  );
});

Deno.test("bandPower() maps each window to [nChans, nBands], keeping recording, start and label", async () => {
  const data = Float32Array.from({ length: 3 * 250 }, (_, i) => Math.sin(i / 3));
  const windows = [windowOf(data, [3, 250]), { ...windowOf(data, [3, 250]), startSample: 125, label: 2 }];
  const out = await lastValueFrom(from(windows).pipe(bandPower(), toArray()));
  assertEquals(out.map((w) => [w.shape, w.startSample, w.label, w.sfreq]), [[[3, 5], 0, 0, 125], [
    [3, 5],
    125,
    2,
    125,
  ]]);
  assertEquals(out[0].recording, windows[0].recording);
  assertEquals(Array.from(out[0].data), Array.from(bandPowers(data, [3, 250], 125)));
  assertEquals(windows[0].shape, [3, 250]); // the input is not modified
});

Deno.test("bandPower() passes empty streams and errors through, and errors on a grid window", async () => {
  assertEquals(await lastValueFrom(of<Window>().pipe(bandPower(), toArray())), []);
  await assertRejects(
    () =>
      lastValueFrom(
        concat(
          of(windowOf(new Float32Array(500), [2, 250])),
          throwError(() => new Error("boom")),
        ).pipe(bandPower()),
      ),
    Error,
    "boom",
  );
  await assertRejects(
    () => lastValueFrom(of(windowOf(new Float32Array(4 * 16), [4, 4, 4])).pipe(bandPower())),
    TypeError,
    "expected a sensor window",
  );
  assertThrows(() => bandPower({ bands: [{ name: "x", loHz: -1, hiHz: 2 }] }), TypeError, "0 <= loHz < hiHz");
});
