import { concat, from, lastValueFrom, NEVER, Subject, take, throwError, toArray } from "rxjs";
import { assertEquals, assertRejects, assertThrows } from "@std/assert";
import { batch, stackWindows } from "../../operators/batch.ts";
import type { Batch, Window } from "../../core/types.ts";
import { makeRecording } from "./_blocks.ts";

function makeWindow(i: number, shape = [2, 3]): Window {
  const size = shape.reduce((a, b) => a * b, 1);
  return {
    recording: makeRecording(i % 2 === 0 ? "rest" : "motor", String(i)),
    startSample: 100 * i,
    sfreq: 125,
    shape,
    data: Float32Array.from({ length: size }, (_, j) => i * 1000 + j),
    label: i % 4,
  };
}

function collect(windows: Window[], batchSize: number, dropRemainder = false): Promise<Batch[]> {
  return lastValueFrom(from(windows).pipe(batch(batchSize, { dropRemainder }), toArray()));
}

const windows = Array.from({ length: 7 }, (_, i) => makeWindow(i));

Deno.test("batch() stacks windows into [batch, ...windowShape] and emits the last partial batch", async () => {
  const out = await collect(windows, 3);
  assertEquals(out.map((b) => b.shape), [[3, 2, 3], [3, 2, 3], [1, 2, 3]]);
  assertEquals(Array.from(out[1].xs.subarray(6, 12)), Array.from(windows[4].data));
  assertEquals(Array.from(out[1].ys), [3, 0, 1]);
  assertEquals(out[2].startSamples, [600]);
  assertEquals(out[0].recordings, windows.slice(0, 3).map((w) => w.recording));
  assertEquals(out.flatMap((b) => Array.from(b.xs)), windows.flatMap((w) => Array.from(w.data)));
});

Deno.test("batch() drops the last partial batch with dropRemainder", async () => {
  assertEquals((await collect(windows, 3, true)).map((b) => b.shape[0]), [3, 3]);
  assertEquals((await collect(windows.slice(0, 6), 3, true)).length, 2);
});

Deno.test("batch() stacks grid windows of any rank", async () => {
  const grid = Array.from({ length: 4 }, (_, i) => makeWindow(i, [5, 4, 4]));
  const [out] = await collect(grid, 4);
  assertEquals(out.shape, [4, 5, 4, 4]);
  assertEquals(out.xs.length, 4 * 80);
});

Deno.test("batch() fails with a TypeError naming both shapes when windows differ", async () => {
  await assertRejects(
    () => collect([makeWindow(0), makeWindow(1, [3, 2])], 4),
    TypeError,
    "expected windows of shape [2,3], got a window of shape [3,2]",
  );
  // also across batches: a model cannot take both
  await assertRejects(() => collect([makeWindow(0), makeWindow(1, [2, 4])], 1), TypeError, "shape [2,4]");
});

Deno.test("batch() fails when a window's data does not fill its shape", async () => {
  await assertRejects(
    () => collect([{ ...makeWindow(0), data: new Float32Array(5) }], 2),
    TypeError,
    "expected a Float32Array of 6 samples for shape [2,3], got 5 samples",
  );
  assertThrows(() => stackWindows([]), TypeError, "expected at least one window, got none");
});

Deno.test("batch() completes without output for an empty source and batches a single window", async () => {
  assertEquals(await collect([], 4), []);
  const [one] = await collect([windows[2]], 4);
  assertEquals(one.shape, [1, 2, 3]);
  assertEquals(Array.from(one.ys), [2]);
});

Deno.test("batch() emits full batches from a source that never completes", async () => {
  const out = await lastValueFrom(concat(from(windows), NEVER).pipe(batch(2), take(3), toArray()));
  assertEquals(out.map((b) => b.startSamples), [[0, 100], [200, 300], [400, 500]]);
});

Deno.test("batch() forwards a source error and drops held windows", async () => {
  const seen: Batch[] = [];
  const source = concat(from(windows.slice(0, 3)), throwError(() => new Error("reader died")));
  await assertRejects(
    () => lastValueFrom(source.pipe(batch(2), toArray())).then((b) => seen.push(...b)),
    Error,
    "reader died",
  );
  assertEquals(seen, []);
});

Deno.test("batch() stops pulling from a synchronous source after the subscriber unsubscribes", async () => {
  let pulled = 0;
  function* items(): Generator<Window> {
    for (let i = 0; i < 100; i++) {
      pulled++;
      yield makeWindow(i);
    }
  }
  await lastValueFrom(from(items()).pipe(batch(4), take(1), toArray()));
  assertEquals(pulled, 4);
});

Deno.test("batch() releases the source subscription on early unsubscribe", () => {
  const source = new Subject<Window>();
  const subscription = source.pipe(batch(3)).subscribe();
  source.next(windows[0]);
  subscription.unsubscribe();
  assertEquals(source.observed, false);
});

Deno.test("batch() rejects a batch size that is not a positive integer", () => {
  assertThrows(() => batch(0), RangeError, "batchSize must be a positive integer, got 0");
  assertThrows(() => batch(2.5), RangeError, "got 2.5");
});
