import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { bandInnerProducts, bandSpectrum } from "../../evaluation/band_spectrum.ts";

await tf.setBackend("cpu");

Deno.test("bandInnerProducts() splits sum_t a(t) b(t) exactly into the bands, for odd and even lengths", () => {
  for (const n of [250, 251]) {
    const a = tf.randomNormal([2, 3, n], 0, 1, "float32", 1), b = tf.randomNormal([2, 3, n], 0, 1, "float32", 2);
    const spectrum = bandSpectrum(n, 125);
    const parts = bandInnerProducts(a, b, spectrum).arraySync();
    const whole = tf.sum(tf.mul(a, b), 2).arraySync() as number[][];
    for (let i = 0; i < 2; i++) {
      for (let c = 0; c < 3; c++) assertAlmostEquals(parts[i][c].reduce((x, y) => x + y, 0), whole[i][c], 1e-3);
    }
  }
});

Deno.test("bandInnerProducts() puts a sinusoid's energy in its band, 60 Hz line noise above, a drift below", () => {
  const n = 250, sfreq = 125;
  const wave = (hz: number) => Array.from({ length: n }, (_, t) => Math.cos(2 * Math.PI * hz * t / sfreq));
  const spectrum = bandSpectrum(n, sfreq);
  const x = tf.tensor3d([[wave(6), wave(20), wave(60), wave(0.5)]]);
  const parts = bandInnerProducts(x, x, spectrum).arraySync()[0];
  const expected = [["theta", 125], ["beta", 125], ["above", 125], ["below", 125]] as const;
  expected.forEach(([band, value], c) => {
    spectrum.names.forEach((name, b) => assertAlmostEquals(parts[c][b], name === band ? value : 0, 1e-2));
  });
});

Deno.test("bandSpectrum() rejects a window too short for a band, and bandInnerProducts() a bad shape", () => {
  assertThrows(() => bandSpectrum(8, 125), RangeError, "falls in delta 1-4 Hz");
  assertThrows(() => bandSpectrum(1, 125), RangeError, "got 1 samples at 125 Hz");
  assertEquals(bandSpectrum(16, 8, [{ name: "low", loHz: 0, hiHz: 2 }]).names, ["low", "above"]);
  const gap = bandSpectrum(16, 8, [{ name: "a", loHz: 1, hiHz: 2 }, { name: "b", loHz: 3, hiHz: 4 }]);
  assertEquals(gap.names, ["a", "b", "below", "between", "above"]); // bins every 0.5 Hz, 0 to 4 Hz (Nyquist)
  const sum = (band: string) => {
    const b = gap.names.indexOf(band);
    return Array.from({ length: 9 }, (_, k) => gap.weights[k * gap.names.length + b]).filter((w) => w > 0).length;
  };
  assertEquals(["a", "b", "below", "between", "above"].map(sum), [2, 2, 2, 2, 1]); // 1 1.5 | 3 3.5 | 0 0.5 | 2 2.5 | 4
  const spectrum = bandSpectrum(250, 125);
  assertThrows(
    () => bandInnerProducts(tf.zeros([1, 2, 100]), tf.zeros([1, 2, 100]), spectrum),
    RangeError,
    "[1,2,100]",
  );
});
