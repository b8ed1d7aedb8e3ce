import { assert, assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { bandSpectrum } from "../../evaluation/band_spectrum.ts";
import { orthonormalBasis, OutcomeTally, projectOut } from "../../evaluation/source_occlusion.ts";
import { Random } from "../../core/random.ts";

const N_CHANS = 12, N_TIMES = 250, SFREQ = 125;
const random = new Random(3);
const vector = () => Array.from({ length: N_CHANS }, () => random.normal());
const wave = (hz: number) => Array.from({ length: N_TIMES }, (_, t) => Math.sin((2 * Math.PI * hz * t) / SFREQ));

const SHAPE = [1, N_CHANS, N_TIMES];

/** A window `sum_j fields[j] * courses[j](t)`, `[1, nChans, nTimes]`. */
function windowOf(fields: number[][], courses: number[][]): Float32Array {
  const data = new Float32Array(N_CHANS * N_TIMES);
  fields.forEach((f, j) => {
    for (let c = 0; c < N_CHANS; c++) for (let t = 0; t < N_TIMES; t++) data[c * N_TIMES + t] += f[c] * courses[j][t];
  });
  return data;
}

const maxAbs = (x: Float32Array) => Math.max(...Array.from(x, Math.abs));
const minus = (a: Float32Array, b: Float32Array) => a.map((v, i) => v - b[i]);

Deno.test("projectOut() turns a window made of the group's fields into ~0 and leaves an orthogonal one unchanged", () => {
  const fields = [vector(), vector(), vector()];
  const basis = orthonormalBasis(fields);
  const inSpan = windowOf(fields, [wave(3), wave(10), wave(21)]);
  assert(maxAbs(projectOut(inSpan, SHAPE, basis)) < 1e-4 * maxAbs(inSpan), "the group's own window is not removed");
  // a field orthogonal to all three: its residual after projecting them out
  const other = Float64Array.from(vector());
  for (const b of basis) {
    const p = b.reduce((s, v, i) => s + v * other[i], 0);
    for (let i = 0; i < N_CHANS; i++) other[i] -= p * b[i];
  }
  const orthogonal = windowOf([Array.from(other)], [wave(7)]);
  const kept = projectOut(orthogonal, SHAPE, basis);
  assert(maxAbs(minus(kept, orthogonal)) < 1e-5 * maxAbs(orthogonal), "an orthogonal window changed");
  // a mixture keeps exactly its orthogonal part
  const mixed = inSpan.map((v, i) => v + orthogonal[i]);
  assert(maxAbs(minus(projectOut(mixed, SHAPE, basis), orthogonal)) < 1e-4 * maxAbs(mixed));
});

Deno.test("projectOut() with a band (or several) removes only that band of the group's fields", () => {
  const field = vector();
  const basis = orthonormalBasis([field]);
  const x = windowOf([field], [wave(10).map((v, t) => v + wave(20)[t])]); // alpha + beta on the field
  const left = projectOut(x, SHAPE, basis, { spectrum: bandSpectrum(N_TIMES, SFREQ), band: "alpha" });
  const beta = windowOf([field], [wave(20)]);
  assert(maxAbs(minus(left, beta)) < 1e-4 * maxAbs(x), "more or less than the alpha part was removed");
  const both = projectOut(x, SHAPE, basis, { spectrum: bandSpectrum(N_TIMES, SFREQ), band: ["alpha", "beta"] });
  assert(maxAbs(both) < 1e-4 * maxAbs(x), "a union of bands removes each");
  assertThrows(
    () => projectOut(x, SHAPE, basis, { spectrum: bandSpectrum(N_TIMES, SFREQ), band: "mu" }),
    RangeError,
    "mu",
  );
});

Deno.test("orthonormalBasis() spans the scaled vectors, drops dependent ones and checks lengths", () => {
  const [a, b] = [vector(), vector()];
  const scale = Array.from({ length: N_CHANS }, (_, c) => 1 + c);
  const basis = orthonormalBasis([a, b, a.map((v, i) => 2 * v - b[i])], scale);
  assertEquals(basis.length, 2);
  for (const [i, u] of basis.entries()) {
    for (const [j, v] of basis.entries()) {
      assertAlmostEquals(u.reduce((s, x, k) => s + x * v[k], 0), i === j ? 1 : 0, 1e-9);
    }
  }
  // the scaled vector a * scale lies in the span: nothing is left after removing it
  const scaled = Float64Array.from(a, (v, i) => v * scale[i]);
  for (const u of basis) {
    const p = u.reduce((s, x, k) => s + x * scaled[k], 0);
    for (let k = 0; k < N_CHANS; k++) scaled[k] -= p * u[k];
  }
  assert(Math.max(...scaled.map(Math.abs)) < 1e-9);
  assertThrows(() => orthonormalBasis([[1, 2], [1, 2, 3]]), RangeError, "one length");
  assertThrows(() => projectOut(new Float32Array(12), [1, 3, 4], orthonormalBasis([[1, 0]])), RangeError, "3 sensors");
  assertThrows(() => projectOut(new Float32Array(11), [1, 3, 4], []), RangeError, "11 values");
});

Deno.test("OutcomeTally counts each class's own-class probability, arg-max recall and share of all windows", () => {
  const tally = new OutcomeTally(3);
  tally.add([0.5, 0.3, 0.2, 0.1, 0.6, 0.3, 0.2, 0.2, 0.6, 0.4, 0.5, 0.1], [0, 0, 2, 1]);
  const outcomes = tally.outcomes(["a", "b", "c"]);
  assertAlmostEquals(outcomes.a.meanProbability, 0.3);
  assertEquals(outcomes.a.recall, 0.5);
  assertEquals(outcomes.b, { meanProbability: 0.5, recall: 1, share: 0.5 }); // a's second window and b's
  assertEquals([outcomes.a.share, outcomes.c.share, outcomes.c.recall], [0.25, 0.25, 1]);
  assertEquals(new OutcomeTally(2).outcomes(["x", "y"]).x, { meanProbability: 0, recall: 0, share: 0 });
});
