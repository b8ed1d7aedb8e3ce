import { concat, from, lastValueFrom, map, Subject, throwError, toArray } from "rxjs";
import { assert, assertEquals, assertLess, assertRejects, assertThrows } from "@std/assert";
import { releaseBatch, shuffleIntoBatches } from "../../operators/shuffle_into_batches.ts";
import { shuffle } from "../../operators/shuffle.ts";
import { batch } from "../../operators/batch.ts";
import type { Batch, Window } from "../../core/types.ts";
import { makeRecording } from "./_blocks.ts";

const LABELS = ["rest", "motor", "math", "memory"] as const;

function makeWindow(i: number, shape = [2, 3]): Window {
  const size = shape.reduce((a, b) => a * b, 1);
  return {
    recording: makeRecording(LABELS[i % 4], String(i)),
    startSample: 10 * i,
    sfreq: 125,
    shape,
    data: new Float32Array(size).map((_, j) => i * 1000 + j),
    label: i % 4,
  };
}

const windowsOf = (n: number, shape?: number[]) => Array.from({ length: n }, (_, i) => makeWindow(i, shape));

/** Plain arrays, so that batches compare whatever the buffers behind them. */
const plain = (batches: Batch[]) => batches.map((b) => ({ ...b, xs: Array.from(b.xs), ys: Array.from(b.ys) }));

Deno.test("shuffleIntoBatches() gives the batches of shuffle() then batch(), bit for bit", async () => {
  const cases = [
    // [windows, bufferSize, batchSize]: buffer a multiple of the batch or not, smaller or larger than
    // the input, a batch larger than the buffer, a buffer of one
    [40, 8, 4],
    [40, 10, 4],
    [41, 16, 5],
    [7, 16, 3],
    [2, 16, 4],
    [30, 3, 8],
    [25, 1, 4],
    [64, 32, 32],
    [1, 4, 1],
  ];
  for (const [n, bufferSize, batchSize] of cases) {
    for (const seed of [0, 7]) {
      for (const dropRemainder of [false, true]) {
        const windows = windowsOf(n);
        const expected = await lastValueFrom(
          from(windows).pipe(shuffle({ bufferSize, seed }), batch(batchSize, { dropRemainder }), toArray()),
        );
        const fused = await lastValueFrom(
          from(windowsOf(n)).pipe(shuffleIntoBatches(batchSize, { bufferSize, seed, dropRemainder }), toArray()),
        );
        assertEquals(plain(fused), plain(expected), `n ${n}, buffer ${bufferSize}, batch ${batchSize}, seed ${seed}`);
        for (const b of fused) assertEquals(b.xs.length, b.shape.reduce((a, d) => a * d, 1));
      }
    }
  }
});

Deno.test("shuffleIntoBatches() replays the same batches per subscription and differs between seeds", async () => {
  const batches = (seed: number) =>
    from(windowsOf(50)).pipe(shuffleIntoBatches(4, { bufferSize: 12, seed }), toArray());
  const source = batches(3);
  const first = plain(await lastValueFrom(source));
  assertEquals(plain(await lastValueFrom(source)), first);
  assert(JSON.stringify(plain(await lastValueFrom(batches(4)))) !== JSON.stringify(first));
});

Deno.test("shuffleIntoBatches() emits one batch per batchSize windows once the buffer is full", () => {
  const source = new Subject<Window>();
  const seen: Batch[] = [];
  source.pipe(shuffleIntoBatches(2, { bufferSize: 3, seed: 0 })).subscribe((b) => seen.push(b));
  for (let i = 0; i < 4; i++) source.next(makeWindow(i));
  assertEquals(seen.length, 0); // three buffered, one displaced into the batch being filled
  source.next(makeWindow(4));
  assertEquals(seen.length, 1);
  source.complete();
  assertEquals(seen.map((b) => b.shape[0]), [2, 2, 1]);
  assertEquals(seen.flatMap((b) => b.startSamples).sort((a, b) => a - b), [0, 10, 20, 30, 40]);
});

Deno.test("shuffleIntoBatches({ release }) frees each window's samples once copied in, else leaves them", () => {
  for (const release of [true, false]) {
    const source = new Subject<Window>();
    const seen: Batch[] = [];
    source.pipe(shuffleIntoBatches(2, { bufferSize: 4, seed: 1, release })).subscribe((b) => seen.push(b));
    const windows = windowsOf(6);
    const shared = new Float32Array(12); // two windows viewing one buffer: never freed
    windows[5].data = shared.subarray(6);
    windows.forEach((w) => source.next(w));
    source.complete();
    for (const w of windows.slice(0, 5)) assertEquals((w.data.buffer as ArrayBuffer).detached, release);
    assertEquals(windows[5].data.length, 6);
    // the samples still reach the batches
    const all = seen.flatMap((b) => Array.from(b.xs)).sort((a, b) => a - b);
    const expected = windowsOf(6).slice(0, 5).flatMap((w) => Array.from(w.data)).concat(new Array(6).fill(0));
    assertEquals(all, expected.sort((a, b) => a - b));
  }
});

Deno.test("shuffleIntoBatches() drains its buffer into batches without copying it", () => {
  // 64 windows of 64 kB fill a 4 MB buffer exactly; draining hands its chunks over as the batches,
  // so the array buffers held after the drain take no more memory than the buffer did.
  const source = new Subject<Window>();
  const held: Batch[] = [];
  source.pipe(shuffleIntoBatches(8, { bufferSize: 64, seed: 2, release: true })).subscribe((b) => held.push(b));
  for (const w of windowsOf(64, [64, 256])) source.next(w);
  const before = Deno.memoryUsage().external;
  source.complete();
  const grown = Deno.memoryUsage().external - before;
  assertEquals(held.length, 8);
  assertLess(grown, 1 << 20, `external memory grew by ${grown} bytes while draining a 4 MB buffer`);
  const starts = held.flatMap((b) => b.startSamples);
  assertEquals([...starts].sort((a, b) => a - b), Array.from({ length: 64 }, (_, i) => 10 * i));
  held.forEach((b) =>
    b.startSamples.forEach((start, row) => assertEquals(b.xs[row * 64 * 256 + 5], (start / 10) * 1000 + 5))
  );
});

Deno.test("shuffleIntoBatches() fails on a window of another shape and forwards source errors", async () => {
  const odd = [makeWindow(0), makeWindow(1, [3, 2])];
  await assertRejects(
    () => lastValueFrom(from(odd).pipe(shuffleIntoBatches(2, { bufferSize: 4 }))),
    TypeError,
    "expected windows of shape [2,3], got a window of shape [3,2]",
  );
  const short = { ...makeWindow(0), data: new Float32Array(5) };
  await assertRejects(
    () => lastValueFrom(from([short]).pipe(shuffleIntoBatches(2))),
    TypeError,
    "expected a Float32Array of 6 samples",
  );
  const failing = concat(from(windowsOf(3)), throwError(() => new Error("boom")));
  await assertRejects(
    () => lastValueFrom(failing.pipe(shuffleIntoBatches(2, { bufferSize: 8 }), toArray())),
    Error,
    "boom",
  );
  assertEquals(await lastValueFrom(from([] as Window[]).pipe(shuffleIntoBatches(2), toArray())), []);
});

Deno.test("shuffleIntoBatches() rejects bad sizes, seeds and options at once", () => {
  assertThrows(() => shuffleIntoBatches(0), RangeError, "batchSize must be a positive integer, got 0");
  assertThrows(() => shuffleIntoBatches(2, { bufferSize: 1.5 }), RangeError, "bufferSize must be a positive integer");
  assertThrows(() => shuffleIntoBatches(2, { seed: 0.5 }), RangeError, "seed must be an integer");
  // deno-lint-ignore no-explicit-any
  assertThrows(() => shuffleIntoBatches(2, { buffer: 4 } as any), TypeError, "buffer");
});

Deno.test("releaseBatch() hands a batch's array to the next batch of its stream, which is still right", async () => {
  const fused = () => from(windowsOf(60)).pipe(shuffleIntoBatches(4, { bufferSize: 8, seed: 5 }));
  const expected = plain(await lastValueFrom(fused().pipe(toArray())));
  const arrays = new Set<ArrayBufferLike>();
  const released = await lastValueFrom(
    fused().pipe(
      map((b) => {
        arrays.add(b.xs.buffer);
        const copy = plain([b])[0];
        releaseBatch(b);
        return copy;
      }),
      toArray(),
    ),
  );
  assertEquals(released, expected);
  assertEquals(arrays.size, 3); // one array for the 13 batches made while streaming, 2 chunks of the buffer
});

Deno.test("releaseBatch() frees the arrays of a stream that has ended and leaves other batches alone", async () => {
  const batches = await lastValueFrom(from(windowsOf(10)).pipe(shuffleIntoBatches(4, { bufferSize: 4 }), toArray()));
  assertEquals(batches.map((b) => b.shape[0]), [4, 4, 2]);
  const detached = (b: Batch) => (b.xs.buffer as ArrayBuffer).detached;
  batches.forEach(releaseBatch);
  assertEquals(batches.map(detached), [true, true, false]); // the smaller last batch is an array of its own
  const others = await lastValueFrom(from(windowsOf(6)).pipe(batch(3), toArray()));
  const copy = plain(others);
  others.forEach(releaseBatch);
  assertEquals(plain(others), copy);
  releaseBatch(batches[0]); // twice: nothing more happens
});
