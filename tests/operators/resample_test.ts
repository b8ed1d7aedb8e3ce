import { concat, firstValueFrom, from, lastValueFrom, NEVER, of, Subject, take, throwError, toArray } from "rxjs";
import { assert, assertAlmostEquals, assertEquals, assertLess, assertRejects, assertThrows } from "@std/assert";
import { designResampleFilter, PolyphaseResampler, resample, resamplePoly } from "../../operators/resample.ts";
import type { Block } from "../../core/types.ts";
import { joinBlocks, makeBlocks, makeRecording, maxAbsDiff, signal } from "./_blocks.ts";

interface FixtureCase {
  name: string;
  up: number;
  down: number;
  nChans: number;
  nTimes: number;
  outTimes: number;
  input: number[];
  output: number[];
  taps?: number[];
}

const fixture: { cases: FixtureCase[] } = JSON.parse(
  Deno.readTextFileSync(new URL("../fixtures/resample_poly_scipy.json", import.meta.url)),
);

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

function collect(blocks: Block[], options = {}): Promise<Block[]> {
  return lastValueFrom(from(blocks).pipe(resample(options), toArray()));
}

Deno.test("designResampleFilter() reproduces scipy's firwin taps times up", () => {
  const c = fixture.cases.find((c) => c.taps !== undefined)!;
  const filter = designResampleFilter(c.up, c.down);
  assertEquals(filter.taps.length, c.taps!.length);
  assertLess(maxAbsDiff(filter.taps, c.taps!), 1e-14);
});

Deno.test("designResampleFilter() reduces the factors by their gcd and packs every tap into a phase", () => {
  const filter = designResampleFilter(125 * 4, 2034 * 4);
  assertEquals([filter.up, filter.down, filter.halfLength], [125, 2034, 20340]);
  assertEquals(filter.taps.length, 40681);
  assertEquals(filter.phaseLengths.reduce((a, b) => a + b, 0), filter.taps.length);
  assertEquals(filter.maxPhaseLength, 326);
  // phase 0 holds taps 0, up, 2 up, ... reversed
  const last = filter.phaseLengths[0] - 1;
  assertEquals(filter.phaseTaps[filter.phaseOffsets[0] + last], filter.taps[0]);
  assertEquals(filter.phaseTaps[filter.phaseOffsets[0] + last - 1], filter.taps[125]);
});

Deno.test("designResampleFilter() rejects factors that are not positive integers", () => {
  assertThrows(() => designResampleFilter(0, 3), RangeError, "up must be a positive integer, got 0");
  assertThrows(() => designResampleFilter(2, 2.5), RangeError, "down must be a positive integer, got 2.5");
  assertThrows(() => designResampleFilter(1, 200_001), RangeError, "at most 100000");
});

Deno.test("resamplePoly() matches scipy.signal.resample_poly to 1e-9 of the signal amplitude", () => {
  for (const c of fixture.cases) {
    const y = resamplePoly(Float64Array.from(c.input), designResampleFilter(c.up, c.down), { nChans: c.nChans });
    assertEquals(y.length, c.output.length, c.name);
    assertLess(maxAbsDiff(y, c.output) / maxAbs(c.output), 1e-9, c.name);
  }
});

Deno.test("resamplePoly() gives each channel the result it has alone, however many channels there are", () => {
  const filter = designResampleFilter(125, 2034);
  const x = signal(6, 900, (c, t) => Math.sin(t / (3 + c)) * (c + 1));
  const all = resamplePoly(x, filter, { nChans: 6 });
  const nOut = all.length / 6;
  for (let c = 0; c < 6; c++) {
    assertEquals(all.subarray(c * nOut, (c + 1) * nOut), resamplePoly(x.subarray(c * 900, (c + 1) * 900), filter));
  }
});

Deno.test("resamplePoly() with equal rates returns the input unchanged", () => {
  const x = Float64Array.from({ length: 50 }, (_, i) => Math.sin(i));
  assertEquals(resamplePoly(x, designResampleFilter(7, 7)), x);
});

Deno.test("resamplePoly() rejects data that is not a whole number of channels", () => {
  assertThrows(
    () => resamplePoly(new Float64Array(7), designResampleFilter(1, 2), { nChans: 2 }),
    TypeError,
    "expected a multiple of 2 samples",
  );
});

Deno.test("resample() matches scipy.signal.resample_poly to 1e-6 with float32 output", async () => {
  for (const c of fixture.cases) {
    const blocks = makeBlocks(Float64Array.from(c.input), c.nChans, [37, 5, 80], { sfreq: c.down });
    const out = await collect(blocks, { toHz: c.up });
    assert(out.every((b) => b.data instanceof Float32Array && b.sfreq === c.up), c.name);
    const y = joinBlocks(out);
    assertEquals(y.length, c.output.length, c.name);
    assertLess(maxAbsDiff(y, c.output) / maxAbs(c.output), 1e-6, c.name);
  }
});

Deno.test("PolyphaseResampler streaming equals resamplePoly for any block sizes", () => {
  const filter = designResampleFilter(125, 2034);
  const nChans = 2, nTimes = 3000;
  const x = signal(nChans, nTimes, (c, t) => Math.sin(t / (13 + c)) + 0.3 * Math.cos(t / 3.1));
  const whole = resamplePoly(x, filter, { nChans });
  for (const sizes of [[1], [7], [100], [163, 1], [325, 326, 327], [4096], [1, 2000, 3, 999]]) {
    const blocks = makeBlocks(x, nChans, sizes);
    const resampler = new PolyphaseResampler(filter, nChans);
    const parts = blocks.map((b) => resampler.push(b.data));
    parts.push(resampler.flush());
    const counts = parts.map((p) => p.length / nChans);
    const streamed = new Float64Array(whole.length);
    let t = 0;
    for (const [i, part] of parts.entries()) {
      for (let c = 0; c < nChans; c++) {
        streamed.set(part.subarray(c * counts[i], (c + 1) * counts[i]), c * (whole.length / nChans) + t);
      }
      t += counts[i];
    }
    assertEquals(t, whole.length / nChans, `sizes ${sizes}`);
    assertEquals(streamed, whole, `sizes ${sizes}`); // exactly: same operations in the same order
  }
});

Deno.test("PolyphaseResampler emits outputs as soon as their input has arrived and resets on flush", () => {
  const filter = designResampleFilter(1, 2); // halfLength 20: output m needs inputs up to 2 m + 20
  const resampler = new PolyphaseResampler(filter, 1);
  assertEquals(resampler.push(new Float64Array(20)).length, 0);
  assertEquals(resampler.push(new Float64Array(1)).length, 1); // input 20 arrived: output 0 ready
  assertEquals(resampler.push(new Float64Array(4)).length, 2);
  assertEquals(resampler.flush().length, Math.ceil(25 / 2) - 3);
  assertEquals([resampler.samplesIn, resampler.samplesOut], [0, 0]);
  assertThrows(() => new PolyphaseResampler(filter, 0), RangeError, "nChans must be a positive integer, got 0");
});

Deno.test("resample() output equals all-at-once resampling for several block sizes", async () => {
  const nChans = 3, nTimes = 2500;
  const x = signal(nChans, nTimes, (c, t) => Math.sin((2 * Math.PI * (5 + c) * t) / 2034) + ((t * 7919) % 13) / 13);
  const whole = resamplePoly(x, designResampleFilter(125, 2034), { nChans });
  for (const sizes of [[1], [50], [163], [1000], [2500], [3, 700, 11]]) {
    const out = await collect(makeBlocks(x, nChans, sizes));
    assertLess(maxAbsDiff(joinBlocks(out), whole) / maxAbs(whole), 1e-6, `sizes ${sizes}`);
    let expected = 0;
    for (const b of out) {
      assertEquals(b.startSample, expected);
      expected += b.nTimes;
    }
  }
});

Deno.test("resample() keeps a 10 Hz sine's amplitude within 1% from 2034 to 125 Hz", async () => {
  const x = signal(1, 2034 * 4, (_, t) => 2 * Math.sin((2 * Math.PI * 10 * t) / 2034));
  const y = joinBlocks(await collect(makeBlocks(x, 1, 1000)));
  assertEquals(y.length, 500);
  let err = 0;
  for (let m = 50; m < 450; m++) err = Math.max(err, Math.abs(y[m] - 2 * Math.sin((2 * Math.PI * 10 * m) / 125)));
  assertLess(err, 0.02); // 1% of the amplitude 2
  assertAlmostEquals(maxAbs(y.subarray(50, 450)), 2, 0.02);
});

Deno.test("resample() removes a 400 Hz sine (residual below 1% of its amplitude)", async () => {
  const x = signal(1, 2034 * 4, (_, t) => Math.sin((2 * Math.PI * 400 * t) / 2034));
  const y = joinBlocks(await collect(makeBlocks(x, 1, 777)));
  assertLess(maxAbs(y.subarray(50, 450)), 0.01);
});

Deno.test("resample() accepts float32 blocks and reports startSample at the target rate", async () => {
  const x = signal(2, 2034, (c, t) => c + Math.sin(t / 50));
  const out = await collect(makeBlocks(x, 2, 600, { dtype: "float32", startSample: 4068 }), {
    fromHz: 2034,
    toHz: 125,
  });
  assertEquals(out[0].startSample, 250);
  assertEquals(out.reduce((n, b) => n + b.nTimes, 0), 125);
  assert(out.every((b) => b.nChans === 2 && b.sfreq === 125 && b.data.length === 2 * b.nTimes));
});

Deno.test("resample() completes without output for an empty source", async () => {
  assertEquals(await collect([]), []);
});

Deno.test("resample() resamples a single block: the ready part at once, the rest at completion", async () => {
  const out = await collect(makeBlocks(new Float64Array(2034).fill(1), 1, 2034));
  assertEquals(out.length, 2);
  assertEquals(out.map((b) => b.startSample), [0, out[0].nTimes]);
  assertEquals(out[0].nTimes + out[1].nTimes, 125);
  assertAlmostEquals(out[0].data[62], 1, 1e-3);
});

Deno.test("resample() resamples recordings that follow one another separately", async () => {
  const x = signal(1, 1500, (_, t) => Math.cos(t / 40));
  const a = makeBlocks(x, 1, 400, { recording: makeRecording("rest", "1") });
  const b = makeBlocks(x, 1, 300, { recording: makeRecording("motor", "2") });
  const out = await collect([...a, ...b]);
  const outA = out.filter((o) => o.recording.subject === "1");
  const outB = out.filter((o) => o.recording.subject === "2");
  const whole = resamplePoly(x, designResampleFilter(125, 2034));
  assertLess(maxAbsDiff(joinBlocks(outA), whole), 1e-6);
  assertLess(maxAbsDiff(joinBlocks(outB), whole), 1e-6);
  assertEquals(outB[0].startSample, 0);
});

Deno.test("resample() fails when recordings are interleaved", async () => {
  const x = new Float64Array(100);
  const a = makeBlocks(x, 1, 50, { recording: makeRecording("rest", "1") });
  const b = makeBlocks(x, 1, 50, { recording: makeRecording("motor", "2") });
  await assertRejects(() => collect([a[0], b[0], a[1]]), RangeError, "after that recording ended");
});

Deno.test("resample() forwards a source error without flushing", async () => {
  const seen: Block[] = [];
  const source = concat(from(makeBlocks(new Float64Array(5000), 1, 2500)), throwError(() => new Error("disk gone")));
  await assertRejects(
    () => lastValueFrom(source.pipe(resample(), toArray())).then((v) => seen.push(...v)),
    Error,
    "disk gone",
  );
  assertEquals(seen, []);
});

Deno.test("resample() emits available output from a source that never completes", async () => {
  const blocks = makeBlocks(new Float64Array(4068), 1, 2034);
  const first = await firstValueFrom(concat(from(blocks), NEVER).pipe(resample()));
  assert(first.nTimes > 0 && first.nTimes < 125);
});

Deno.test("resample() stops pulling from a synchronous source after the subscriber unsubscribes", async () => {
  let pulled = 0;
  function* blocks(): Generator<Block> {
    for (let i = 0; i < 1000; i++) {
      pulled++;
      yield {
        recording: makeRecording(),
        startSample: i * 2034,
        sfreq: 2034,
        nChans: 1,
        nTimes: 2034,
        data: new Float64Array(2034),
      };
    }
  }
  const out = await lastValueFrom(from(blocks()).pipe(resample(), take(2), toArray()));
  assertEquals(out.length, 2);
  assertEquals(pulled, 2);
});

Deno.test("resample() releases the source subscription on early unsubscribe", () => {
  const source = new Subject<Block>();
  const seen: Block[] = [];
  const subscription = source.pipe(resample()).subscribe((b) => seen.push(b));
  source.next(makeBlocks(new Float64Array(2034), 1, 2034)[0]);
  subscription.unsubscribe();
  assertEquals(source.observed, false);
  assertEquals(seen.length, 1);
});

Deno.test("resample() rejects invalid rates at once", () => {
  assertThrows(() => resample({ toHz: -125 }), RangeError, "target rate must be a positive integer in Hz, got -125");
  assertThrows(
    () => resample({ fromHz: 2034.51 }),
    RangeError,
    "source rate must be a positive integer in Hz, got 2034.51",
  );
});

Deno.test("resample() fails on blocks that do not fit the stream", async () => {
  const [a, b] = makeBlocks(new Float64Array(200), 1, 100);
  await assertRejects(
    () => collect([a, b], { fromHz: 1000 }),
    RangeError,
    "expected blocks at fromHz = 1000 Hz, got 2034",
  );
  await assertRejects(() => collect([a, a]), RangeError, "to start at sample 100, got 0");
  await assertRejects(
    () => collect([{ ...a, nTimes: 99 }]),
    TypeError,
    "expected 99 samples for a [1, 99] block, got 100",
  );
  await assertRejects(() => collect([{ ...a, sfreq: 2034.5 }]), RangeError, "block rate must be a positive integer");
  await assertRejects(() => collect([a, { ...b, sfreq: 1000 }]), RangeError, "expected sfreq 2034 Hz");
});

Deno.test("resample() gives each subscription its own state", async () => {
  const x = signal(1, 3000, (_, t) => Math.sin(t / 9));
  const source = of(...makeBlocks(x, 1, 512)).pipe(resample());
  const [first, second] = [await lastValueFrom(source.pipe(toArray())), await lastValueFrom(source.pipe(toArray()))];
  assertEquals(joinBlocks(first), joinBlocks(second));
});
