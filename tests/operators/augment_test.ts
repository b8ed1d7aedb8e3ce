import { assertEquals, assertNotEquals, assertRejects, assertThrows } from "@std/assert";
import { EMPTY, lastValueFrom, of, throwError, toArray } from "rxjs";
import { augment, augmentWindow } from "../../operators/augment.ts";
import { Random } from "../../core/random.ts";
import type { Window } from "../../core/types.ts";
import { makeRecording } from "./_blocks.ts";

function makeWindow(startSample = 0, nChans = 8, nTimes = 100): Window {
  const random = new Random(startSample + 1);
  return {
    recording: makeRecording("memory", "9", 1),
    startSample,
    sfreq: 100,
    shape: [nChans, nTimes],
    data: Float32Array.from({ length: nChans * nTimes }, () => random.normal()),
    label: 2,
  };
}

const OFF = { timeShiftSeconds: 0, sensorDropProb: 0, gainStd: 0, noiseStd: 0 };

Deno.test("augment() is seeded per window, whatever order windows arrive in", async () => {
  const windows = [0, 100, 200].map((start) => makeWindow(start));
  const forward = await lastValueFrom(of(...windows).pipe(augment({ seed: 4 }), toArray()));
  const backward = await lastValueFrom(of(...windows.toReversed()).pipe(augment({ seed: 4 }), toArray()));
  assertEquals(forward.map((w) => w.data), backward.toReversed().map((w) => w.data));
  const other = await lastValueFrom(of(...windows).pipe(augment({ seed: 5 }), toArray()));
  assertNotEquals(other[0].data, forward[0].data);
});

Deno.test("augment() keeps labels, shapes, recordings and start samples, and leaves the input alone", async () => {
  const window = makeWindow(300);
  const copy = new Float32Array(window.data);
  const [out] = await lastValueFrom(of(window).pipe(augment({ seed: 1 }), toArray()));
  assertEquals([out.label, out.shape, out.recording, out.startSample], [2, [8, 100], window.recording, 300]);
  assertEquals(window.data, copy);
  assertNotEquals(out.data, window.data);
});

Deno.test("augment() with every strength 0 is the identity", () => {
  const window = makeWindow();
  assertEquals(augmentWindow(window, OFF).data, window.data);
});

Deno.test("augmentWindow() time shift moves every channel by the same whole number of samples", () => {
  const window = makeWindow(0, 3, 50);
  const out = augmentWindow(window, { ...OFF, timeShiftSeconds: 0.1, seed: 2 }).data;
  const shiftOf = (c: number) =>
    [...Array(50).keys()].find((s) =>
      [...Array(50).keys()].every((t) => out[c * 50 + t] === window.data[c * 50 + ((t - s + 50) % 50)])
    );
  const shift = shiftOf(0);
  assertNotEquals(shift, undefined);
  assertEquals([shiftOf(1), shiftOf(2)], [shift, shift]);
  assertEquals(shift! <= 10 || shift! >= 40, true); // at most 0.1 s * 100 Hz = 10 samples either way
});

Deno.test("augmentWindow() sensor dropout zeroes whole sensors at about the asked rate", () => {
  let dropped = 0;
  for (let start = 0; start < 50; start++) {
    const out = augmentWindow(makeWindow(start, 20, 10), { ...OFF, sensorDropProb: 0.3, seed: 7 }).data;
    for (let c = 0; c < 20; c++) {
      const channel = out.subarray(c * 10, (c + 1) * 10);
      if (channel.every((x) => x === 0)) dropped++;
    }
  }
  assertEquals(dropped > 0.2 * 1000 && dropped < 0.4 * 1000, true, `dropped ${dropped} of 1000`);
});

Deno.test("augmentWindow() noise is relative to each sensor's spread", () => {
  const window = makeWindow(0, 2, 2000);
  for (let t = 0; t < 2000; t++) window.data[2000 + t] *= 1000; // channel 1 a thousand times larger
  const out = augmentWindow(window, { ...OFF, noiseStd: 0.1, seed: 1 }).data;
  const rms = (c: number) =>
    Math.sqrt(
      out.subarray(c * 2000, (c + 1) * 2000).reduce((s, x, t) => s + (x - window.data[c * 2000 + t]) ** 2, 0) / 2000,
    );
  assertEquals(Math.abs(rms(0) - 0.1) < 0.02, true, `noise rms ${rms(0)}`);
  assertEquals(Math.abs(rms(1) / 1000 - 0.1) < 0.02, true, `noise rms ${rms(1)}`);
});

Deno.test("augment() rejects grid windows and bad options", async () => {
  const grid: Window = { ...makeWindow(), shape: [10, 4, 20] };
  await assertRejects(() => lastValueFrom(of(grid).pipe(augment())), TypeError, "before gridSensors");
  assertThrows(() => augment({ sensorDropProb: 1 }), RangeError, "[0, 1)");
  assertThrows(() => augment({ noiseStd: -0.1 }), RangeError, "noiseStd");
  assertThrows(() => augment({ seed: 0.5 }), RangeError, "seed");
});

Deno.test("augment() completes on an empty source and forwards errors", async () => {
  assertEquals(await lastValueFrom(EMPTY.pipe(augment(), toArray())), []);
  await assertRejects(() => lastValueFrom(throwError(() => new Error("disk")).pipe(augment())), Error, "disk");
});
