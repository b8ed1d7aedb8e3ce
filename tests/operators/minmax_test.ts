import { concat, firstValueFrom, from, lastValueFrom, NEVER, Subject, take, throwError, toArray } from "rxjs";
import { assert, assertAlmostEquals, assertEquals, assertRejects, assertThrows } from "@std/assert";
import { minmax, minmaxChannels } from "../../operators/minmax.ts";
import type { Block } from "../../core/types.ts";
import { joinBlocks, makeBlocks, makeRecording, signal } from "./_blocks.ts";

function collect(blocks: Block[], options = {}): Promise<Block[]> {
  return lastValueFrom(from(blocks).pipe(minmax(options), toArray()));
}

function channelRange(data: ArrayLike<number>, nChans: number, c: number): [number, number] {
  const nTimes = data.length / nChans;
  let lo = Infinity, hi = -Infinity;
  for (let t = 0; t < nTimes; t++) {
    lo = Math.min(lo, data[c * nTimes + t]);
    hi = Math.max(hi, data[c * nTimes + t]);
  }
  return [lo, hi];
}

const x = signal(3, 600, (c, t) => (c + 1) * 2e-12 * Math.sin(t / (5 + c)) - c * 1e-12 + 1e-13 * ((t * 37) % 11));

Deno.test("minmax() maps every channel onto [0, 1] over the recording", async () => {
  const y = joinBlocks(await collect(makeBlocks(x, 3, [50, 200])));
  for (let c = 0; c < 3; c++) {
    const [lo, hi] = channelRange(y, 3, c);
    assertAlmostEquals(lo, 0, 1e-7);
    assertAlmostEquals(hi, 1, 1e-6);
  }
});

Deno.test("minmax() maps onto [-1, 1] with the range option, linearly", async () => {
  const y = joinBlocks(await collect(makeBlocks(x, 3, 128), { range: [-1, 1] }));
  for (let c = 0; c < 3; c++) {
    const [lo, hi] = channelRange(x, 3, c);
    for (let t = 0; t < 600; t += 37) {
      assertAlmostEquals(y[c * 600 + t], -1 + (2 * (x[c * 600 + t] - lo)) / (hi - lo), 1e-6);
    }
  }
});

Deno.test("minmax() in mode running keeps every output inside the range and emits at once", async () => {
  const blocks = makeBlocks(x, 3, 100);
  const out = await collect(blocks, { mode: "running" });
  assertEquals(out.length, 6);
  assertEquals(out[0].data, minmaxChannels(blocks[0].data, 3));
  assert(joinBlocks(out).every((v) => v >= 0 && v <= 1));
  const first = await firstValueFrom(concat(from(blocks), NEVER).pipe(minmax({ mode: "running" })));
  assertEquals(first.startSample, 0);
});

Deno.test("minmax() maps constant channels to the middle of the range", async () => {
  const flat = signal(2, 100, (c, t) => (c === 1 ? 7 : t));
  const y = joinBlocks(await collect(makeBlocks(flat, 2, 30), { range: [0, 1] }));
  assert(y.subarray(100).every((v) => v === 0.5));
  assertEquals(y[0], 0);
  assertEquals(y[99], 1);
});

Deno.test("minmaxChannels() rejects bad shapes and ranges", () => {
  assertThrows(() => minmaxChannels(new Float32Array(5), 2), TypeError, "expected a multiple of 2 samples");
  assertThrows(() => minmaxChannels(new Float32Array(4), 2, { range: [1, 1] }), RangeError, "got [1,1]");
});

Deno.test("minmax() completes without output for an empty source", async () => {
  assertEquals(await collect([]), []);
});

Deno.test("minmax() scales a single block", async () => {
  const out = await collect(makeBlocks(x, 3, 600));
  assertEquals(out.length, 1);
  assertEquals(out[0].data, minmaxChannels(x, 3));
});

Deno.test("minmax() scales recordings that follow one another separately", async () => {
  const a = makeBlocks(x, 3, 200, { recording: makeRecording("rest", "1") });
  const b = makeBlocks(x.map((v) => v * 100), 3, 200, { recording: makeRecording("motor", "2") });
  const out = await collect([...a, ...b]);
  const ya = joinBlocks(out.filter((o) => o.recording.subject === "1"));
  const yb = joinBlocks(out.filter((o) => o.recording.subject === "2"));
  ya.forEach((v, i) => assertAlmostEquals(v, yb[i], 1e-6));
});

Deno.test("minmax() forwards a source error", async () => {
  const source = concat(from(makeBlocks(x, 3, 200)), throwError(() => new Error("truncated")));
  await assertRejects(() => lastValueFrom(source.pipe(minmax({ mode: "running" }))), Error, "truncated");
});

Deno.test("minmax() stops pulling from a synchronous source after the subscriber unsubscribes", async () => {
  let pulled = 0;
  function* blocks(): Generator<Block> {
    for (let i = 0; i < 100; i++) {
      pulled++;
      yield {
        recording: makeRecording(),
        startSample: i * 4,
        sfreq: 125,
        nChans: 1,
        nTimes: 4,
        data: Float64Array.of(i, 1, 2, 3),
      };
    }
  }
  await lastValueFrom(from(blocks()).pipe(minmax({ mode: "running" }), take(2), toArray()));
  assertEquals(pulled, 2);
});

Deno.test("minmax() releases the source subscription on early unsubscribe", () => {
  const source = new Subject<Block>();
  const subscription = source.pipe(minmax()).subscribe();
  source.next(makeBlocks(x, 3, 600)[0]);
  subscription.unsubscribe();
  assertEquals(source.observed, false);
});

Deno.test("minmax() rejects invalid options at once", () => {
  assertThrows(
    () => minmax({ range: [1, -1] }),
    RangeError,
    "range must be [low, high] with finite low < high, got [1,-1]",
  );
  assertThrows(() => minmax({ mode: "all" as "running" }), RangeError, 'got "all"');
});
