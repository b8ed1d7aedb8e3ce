import { concat, from, lastValueFrom, NEVER, Subject, take, throwError, toArray } from "rxjs";
import { assert, assertEquals, assertRejects, assertThrows } from "@std/assert";
import { window, windowCount, type WindowOptions } from "../../operators/window.ts";
import { type Block, LABELS, type Window } from "../../core/types.ts";
import { makeBlocks, makeRecording, signal } from "./_blocks.ts";

function collect(blocks: Block[], options: WindowOptions): Promise<Window[]> {
  return lastValueFrom(from(blocks).pipe(window(options), toArray()));
}

/** Samples `[start, start + size)` of every channel of a channel-major signal, as float32. */
function slice(x: Float64Array, nChans: number, start: number, size: number): Float32Array {
  const nTimes = x.length / nChans;
  const out = new Float32Array(nChans * size);
  for (let c = 0; c < nChans; c++) out.set(x.subarray(c * nTimes + start, c * nTimes + start + size), c * size);
  return out;
}

const x = signal(3, 1000, (c, t) => c * 10000 + t + 0.25);

Deno.test("window() emits overlapping windows when stride < size", async () => {
  const out = await collect(makeBlocks(x, 3, 128), { windowSamples: 100, strideSamples: 30 });
  assertEquals(out.length, windowCount(1000, 100, 30));
  assertEquals(out.length, 31);
  out.forEach((w, i) => {
    assertEquals(w.startSample, i * 30);
    assertEquals(w.shape, [3, 100]);
    assertEquals(w.data, slice(x, 3, i * 30, 100));
  });
});

Deno.test("window() emits back-to-back windows by default and drops the partial tail", async () => {
  const out = await collect(makeBlocks(x, 3, 333), { windowSamples: 300 });
  assertEquals(out.map((w) => w.startSample), [0, 300, 600]);
});

Deno.test("window() leaves gaps when stride > size", async () => {
  const out = await collect(makeBlocks(x, 3, [7, 50]), { windowSamples: 20, strideSamples: 150 });
  assertEquals(out.map((w) => w.startSample), [0, 150, 300, 450, 600, 750, 900]);
  out.forEach((w) => assertEquals(w.data, slice(x, 3, w.startSample, 20)));
});

Deno.test("window() converts seconds with the block rate, rounding to the nearest sample", async () => {
  const blocks = makeBlocks(x, 3, 200, { sfreq: 125 });
  const out = await collect(blocks, { windowSeconds: 2, strideSeconds: 1 });
  assertEquals(out.length, windowCount(1000, 250, 125));
  assert(out.every((w) => w.shape[1] === 250 && w.sfreq === 125));
  const odd = await collect(makeBlocks(x, 3, 1000, { sfreq: 2034 }), { windowSeconds: 0.1, strideSamples: 300 });
  assertEquals(odd[0].shape, [3, 203]); // 203.4 samples round to 203
  assertEquals(odd.map((w) => w.startSample), [0, 300, 600]);
});

Deno.test("window() windows spanning many blocks equal the slice of the concatenated signal", async () => {
  for (const sizes of [[1], [3, 17], [99], [1000]]) {
    const out = await collect(makeBlocks(x, 3, sizes), { windowSamples: 250, strideSamples: 125 });
    assertEquals(out.length, 7, `sizes ${sizes}`);
    out.forEach((w) => assertEquals(w.data, slice(x, 3, w.startSample, 250), `sizes ${sizes}`));
  }
});

Deno.test("window() counts startSample from the recording's first block and sets the label index", async () => {
  const recording = makeRecording("memory");
  const out = await collect(makeBlocks(x, 3, 400, { startSample: 500, recording }), { windowSamples: 400 });
  assertEquals(out.map((w) => w.startSample), [500, 900]);
  assert(out.every((w) => w.label === LABELS.indexOf("memory") && w.recording === recording));
});

Deno.test("window() starts over for each recording that follows", async () => {
  const a = makeBlocks(x, 3, 300, { recording: makeRecording("rest", "1") });
  const b = makeBlocks(x, 3, 300, { recording: makeRecording("math", "2") });
  const out = await collect([...a, ...b], { windowSamples: 400, strideSamples: 400 });
  assertEquals(out.map((w) => [w.recording.subject, w.startSample, w.label]), [
    ["1", 0, 0],
    ["1", 400, 0],
    ["2", 0, 1],
    ["2", 400, 1],
  ]);
});

Deno.test("window() accepts float32 blocks without modifying them", async () => {
  const blocks = makeBlocks(x, 3, 64, { dtype: "float32" });
  const copies = blocks.map((b) => b.data.slice());
  const out = await collect(blocks, { windowSamples: 100 });
  assertEquals(out[9].data, slice(x, 3, 900, 100));
  blocks.forEach((b, i) => assertEquals(b.data, copies[i]));
});

Deno.test("window() completes without output for an empty source or a recording shorter than a window", async () => {
  assertEquals(await collect([], { windowSamples: 10 }), []);
  assertEquals(await collect(makeBlocks(x, 3, 1000), { windowSamples: 1001 }), []);
});

Deno.test("window() cuts a single block", async () => {
  const out = await collect(makeBlocks(x, 3, 1000), { windowSamples: 500 });
  assertEquals(out.length, 2);
});

Deno.test("window() emits windows of a source that never completes", async () => {
  const out = await lastValueFrom(
    concat(from(makeBlocks(x, 3, 100)), NEVER).pipe(window({ windowSamples: 100 }), take(10), toArray()),
  );
  assertEquals(out.length, 10);
});

Deno.test("window() forwards a source error", async () => {
  const seen: Window[] = [];
  const source = concat(from(makeBlocks(x, 3, 100)), throwError(() => new Error("read failed")));
  await assertRejects(
    () => lastValueFrom(source.pipe(window({ windowSamples: 100 }), toArray())).then((w) => seen.push(...w)),
    Error,
    "read failed",
  );
  assertEquals(seen, []);
});

Deno.test("window() stops pulling from a synchronous source after the subscriber unsubscribes", async () => {
  let pulled = 0;
  function* blocks(): Generator<Block> {
    for (const block of makeBlocks(x, 3, 10)) {
      pulled++;
      yield block;
    }
  }
  await lastValueFrom(from(blocks()).pipe(window({ windowSamples: 20 }), take(2), toArray()));
  assertEquals(pulled, 4);
});

Deno.test("window() releases the source subscription on early unsubscribe", () => {
  const source = new Subject<Block>();
  const seen: Window[] = [];
  const subscription = source.pipe(window({ windowSamples: 10 })).subscribe((w) => seen.push(w));
  source.next(makeBlocks(x, 3, 25)[0]);
  subscription.unsubscribe();
  assertEquals(source.observed, false);
  assertEquals(seen.length, 2);
});

Deno.test("window() rejects invalid options at once", () => {
  assertThrows(() => window({}), TypeError, "expected exactly one of windowSamples and windowSeconds");
  assertThrows(() => window({ windowSamples: 2, windowSeconds: 1 }), TypeError, "exactly one");
  assertThrows(() => window({ windowSamples: 2, strideSamples: 1, strideSeconds: 1 }), TypeError, "at most one");
  assertThrows(() => window({ windowSamples: 2.5 }), RangeError, "windowSamples must be a positive integer, got 2.5");
  assertThrows(
    () => window({ windowSamples: 5, strideSamples: 0 }),
    RangeError,
    "strideSamples must be a positive integer, got 0",
  );
  assertThrows(
    () => window({ windowSeconds: -2 }),
    RangeError,
    "windowSeconds must be a positive number of seconds, got -2",
  );
  assertThrows(() => windowCount(10, 0), RangeError, "windowSamples must be a positive integer, got 0");
});

Deno.test("window() fails when seconds round to no sample or the label is unknown", async () => {
  await assertRejects(
    () => collect(makeBlocks(x, 3, 100, { sfreq: 10 }), { windowSeconds: 0.01 }),
    RangeError,
    "windowSeconds = 0.01 s is less than one sample at 10 Hz",
  );
  const bad = makeBlocks(x, 3, 100, { recording: { ...makeRecording(), label: "sleep" as "rest" } });
  await assertRejects(() => collect(bad, { windowSamples: 10 }), TypeError, 'got "sleep"');
});

Deno.test("window({ release }) frees each block once no later window needs it, and leaves views alone", () => {
  for (const release of [true, false]) {
    const blocks = makeBlocks(signal(2, 40, (c, t) => c * 100 + t), 2, 10).map((b) => ({ ...b, data: b.data.slice() }));
    const view = new Float64Array(2 * 10 + 4).subarray(4); // the last block views a larger buffer
    view.set(blocks[3].data);
    blocks[3].data = view;
    const source = new Subject<Block>();
    const seen: Window[] = [];
    source.pipe(window({ windowSamples: 15, strideSamples: 10, release })).subscribe((w) => seen.push(w));
    const detached = () => blocks.map((b) => (b.data.buffer as ArrayBuffer).detached);
    source.next(blocks[0]);
    source.next(blocks[1]); // window [0, 15) cut: block 0 is no longer needed
    assertEquals(detached(), [release, false, false, false]);
    source.next(blocks[2]); // window [10, 25) cut: block 1 is done, block 2 still needed by [20, 35)
    assertEquals(detached(), [release, release, false, false]);
    source.next(blocks[3]); // window [20, 35) cut: block 2 is done; the view is never freed
    assertEquals(detached(), [release, release, release, false]);
    source.complete();
    assertEquals(detached(), [release, release, release, false]);
    assertEquals(seen.map((w) => w.startSample), [0, 10, 20]);
    assertEquals(Array.from(seen[1].data.subarray(0, 3)), [10, 11, 12]);
  }
});
