import { concat, firstValueFrom, from, lastValueFrom, NEVER, Subject, take, throwError, toArray } from "rxjs";
import { assert, assertAlmostEquals, assertEquals, assertLess, assertRejects, assertThrows } from "@std/assert";
import { zscore, zscoreChannels } from "../../operators/zscore.ts";
import type { Block } from "../../core/types.ts";
import { joinBlocks, makeBlocks, makeRecording, signal } from "./_blocks.ts";

function collect(blocks: Block[], options = {}): Promise<Block[]> {
  return lastValueFrom(from(blocks).pipe(zscore(options), toArray()));
}

function channelMoments(data: ArrayLike<number>, nChans: number): Array<[number, number]> {
  const nTimes = data.length / nChans;
  return Array.from({ length: nChans }, (_, c) => {
    let sum = 0, sq = 0;
    for (let t = 0; t < nTimes; t++) sum += data[c * nTimes + t];
    const mean = sum / nTimes;
    for (let t = 0; t < nTimes; t++) sq += (data[c * nTimes + t] - mean) ** 2;
    return [mean, Math.sqrt(sq / nTimes)];
  });
}

// MEG-like magnitudes: femto- to pico-Tesla, different offsets per channel
const meg = signal(4, 1000, (c, t) => (c + 1) * 1e-12 * Math.sin(t / (7 + c)) + c * 3e-12 + 1e-13 * Math.cos(t * 1.7));

Deno.test("zscore() gives every channel mean 0 and sd 1 over the recording", async () => {
  const out = await collect(makeBlocks(meg, 4, [100, 333, 7]));
  for (const [mean, sd] of channelMoments(joinBlocks(out), 4)) {
    assertAlmostEquals(mean, 0, 1e-6);
    assertAlmostEquals(sd, 1, 1e-6);
  }
  assert(out.every((b) => b.data instanceof Float32Array));
  assertEquals(out.map((b) => b.startSample), makeBlocks(meg, 4, [100, 333, 7]).map((b) => b.startSample));
});

Deno.test("zscore() holds a recording's blocks until it ends in mode recording", () => {
  const source = new Subject<Block>();
  const seen: Block[] = [];
  source.pipe(zscore()).subscribe((b) => seen.push(b));
  for (const b of makeBlocks(meg, 4, 250)) source.next(b);
  assertEquals(seen.length, 0);
  source.complete();
  assertEquals(seen.length, 4);
});

Deno.test("zscore() in mode running uses the statistics of the blocks so far", async () => {
  const blocks = makeBlocks(meg, 4, 250);
  const out = await collect(blocks, { mode: "running" });
  assertEquals(out.length, 4);
  // the first block is normalised with its own statistics, the last with the whole recording's
  const first = zscoreChannels(blocks[0].data, 4);
  assertEquals(out[0].data, first);
  const whole = zscoreChannels(meg, 4);
  const last = joinBlocks([out[3]]);
  for (let c = 0; c < 4; c++) {
    for (let t = 0; t < 250; t++) assertAlmostEquals(last[c * 250 + t], whole[c * 1000 + 750 + t], 1e-5);
  }
});

Deno.test("zscore() emits in mode running before the source completes", async () => {
  const out = await firstValueFrom(concat(from(makeBlocks(meg, 4, 500)), NEVER).pipe(zscore({ mode: "running" })));
  assertEquals(out.nTimes, 500);
});

Deno.test("zscore() turns constant channels into zeros, not NaN", async () => {
  const x = signal(2, 300, (c, t) => (c === 0 ? 5e-12 : Math.sin(t)));
  for (const mode of ["recording", "running"] as const) {
    const y = joinBlocks(await collect(makeBlocks(x, 2, 64, { dtype: "float32" }), { mode }));
    assert(y.subarray(0, 300).every((v) => v === 0), mode);
    assert(y.every(Number.isFinite), mode);
  }
});

Deno.test("zscore() adds epsilon to the standard deviation", async () => {
  const x = Float64Array.of(1, 3, 1, 3); // mean 2, sd 1
  const y = joinBlocks(await collect(makeBlocks(x, 1, 4), { epsilon: 1 }));
  assertEquals(Array.from(y), [-0.5, 0.5, -0.5, 0.5]);
});

Deno.test("zscoreChannels() matches a two-pass reference on large offsets", () => {
  const x = signal(1, 500, (_, t) => 1e6 + Math.sin(t / 3));
  const z = zscoreChannels(x, 1);
  const [[mean, sd]] = channelMoments(x, 1);
  for (let t = 0; t < 500; t++) assertAlmostEquals(z[t], (x[t] - mean) / sd, 1e-5);
  assertThrows(() => zscoreChannels(x, 3), TypeError, "expected a multiple of 3 samples");
});

Deno.test("zscore() does not modify its input blocks", async () => {
  const blocks = makeBlocks(meg, 4, 300);
  const copies = blocks.map((b) => b.data.slice());
  await collect(blocks);
  blocks.forEach((b, i) => assertEquals(b.data, copies[i]));
});

Deno.test("zscore() completes without output for an empty source", async () => {
  assertEquals(await collect([]), []);
});

Deno.test("zscore() normalises a single block", async () => {
  const out = await collect(makeBlocks(meg, 4, 1000));
  assertEquals(out.length, 1);
  for (const [, sd] of channelMoments(out[0].data, 4)) assertAlmostEquals(sd, 1, 1e-6);
});

Deno.test("zscore() normalises recordings that follow one another separately", async () => {
  const a = makeBlocks(meg, 4, 300, { recording: makeRecording("rest", "1") });
  const b = makeBlocks(meg.map((v) => 10 * v + 1), 4, 300, { recording: makeRecording("math", "2") });
  const out = await collect([...a, ...b]);
  const ya = joinBlocks(out.filter((o) => o.recording.subject === "1"));
  const yb = joinBlocks(out.filter((o) => o.recording.subject === "2"));
  assertLess(Math.max(...ya.map((v, i) => Math.abs(v - yb[i]))), 1e-4);
});

Deno.test("zscore() forwards a source error and drops held blocks", async () => {
  const seen: Block[] = [];
  const source = concat(from(makeBlocks(meg, 4, 250)), throwError(() => new Error("bad file")));
  await assertRejects(() => lastValueFrom(source.pipe(zscore())).then((b) => seen.push(b)), Error, "bad file");
  assertEquals(seen, []);
});

Deno.test("zscore() stops pulling from a synchronous source after the subscriber unsubscribes", async () => {
  let pulled = 0;
  function* blocks(): Generator<Block> {
    for (let i = 0; i < 100; i++) {
      pulled++;
      yield {
        recording: makeRecording(),
        startSample: i * 10,
        sfreq: 125,
        nChans: 1,
        nTimes: 10,
        data: new Float64Array(10).fill(i),
      };
    }
  }
  await lastValueFrom(from(blocks()).pipe(zscore({ mode: "running" }), take(3), toArray()));
  assertEquals(pulled, 3);
});

Deno.test("zscore() releases the source subscription on early unsubscribe", () => {
  const source = new Subject<Block>();
  const subscription = source.pipe(zscore()).subscribe();
  source.next(makeBlocks(meg, 4, 1000)[0]);
  subscription.unsubscribe();
  assertEquals(source.observed, false);
});

Deno.test("zscore() rejects invalid options and malformed blocks", async () => {
  assertThrows(
    () => zscore({ mode: "global" as "running" }),
    RangeError,
    'mode must be "recording" or "running", got "global"',
  );
  assertThrows(() => zscore({ epsilon: -1 }), RangeError, "epsilon must be a finite number >= 0, got -1");
  const [block] = makeBlocks(meg, 4, 1000);
  await assertRejects(
    () => collect([{ ...block, nChans: 3 }]),
    TypeError,
    "expected 3000 samples for a [3, 1000] block",
  );
});
