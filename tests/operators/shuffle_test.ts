import { concat, from, lastValueFrom, NEVER, range, Subject, take, throwError, toArray } from "rxjs";
import { assert, assertEquals, assertLess, assertNotEquals, assertRejects, assertThrows } from "@std/assert";
import { shuffle } from "../../operators/shuffle.ts";

function shuffled(n: number, bufferSize: number, seed: number): Promise<number[]> {
  return lastValueFrom(range(0, n).pipe(shuffle({ bufferSize, seed }), toArray()));
}

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);

Deno.test("shuffle() emits a permutation of its input", async () => {
  const out = await shuffled(1000, 64, 1);
  assertEquals(sorted(out), Array.from({ length: 1000 }, (_, i) => i));
  assertNotEquals(out, Array.from({ length: 1000 }, (_, i) => i));
});

Deno.test("shuffle() is deterministic per seed and differs between seeds", async () => {
  assertEquals(await shuffled(300, 50, 42), await shuffled(300, 50, 42));
  assertNotEquals(await shuffled(300, 50, 42), await shuffled(300, 50, 43));
});

Deno.test("shuffle() gives each subscription its own state, so re-subscribing replays the order", async () => {
  const source = range(0, 100).pipe(shuffle({ bufferSize: 10, seed: 5 }), toArray());
  const first = await lastValueFrom(source);
  assertEquals(await lastValueFrom(source), first);
});

Deno.test("shuffle() with bufferSize 1 keeps the order", async () => {
  assertEquals(await shuffled(20, 1, 3), Array.from({ length: 20 }, (_, i) => i));
});

Deno.test("shuffle() with a buffer as large as the input gives every position the same chance", async () => {
  const counts = new Array(5).fill(0);
  for (let seed = 0; seed < 2000; seed++) counts[(await shuffled(5, 5, seed)).indexOf(0)]++;
  for (const count of counts) assertLess(Math.abs(count - 400), 80, `position counts ${counts}`);
});

Deno.test("shuffle() emits one buffered item per incoming item once the buffer is full", () => {
  const source = new Subject<number>();
  const seen: number[] = [];
  source.pipe(shuffle({ bufferSize: 3, seed: 0 })).subscribe((v) => seen.push(v));
  source.next(0);
  source.next(1);
  source.next(2);
  assertEquals(seen.length, 0);
  source.next(3);
  assertEquals(seen.length, 1);
  assert(seen[0] < 3);
  source.next(4);
  assertEquals(seen.length, 2);
  source.complete();
  assertEquals(sorted(seen), [0, 1, 2, 3, 4]);
});

Deno.test("shuffle() completes without output for an empty source and passes a single value", async () => {
  assertEquals(await shuffled(0, 4, 0), []);
  assertEquals(await shuffled(1, 4, 0), [0]);
});

Deno.test("shuffle() emits from a source that never completes", async () => {
  const out = await lastValueFrom(
    concat(range(0, 10), NEVER).pipe(shuffle({ bufferSize: 4, seed: 9 }), take(6), toArray()),
  );
  assertEquals(out.length, 6);
  assertEquals(new Set(out).size, 6);
});

Deno.test("shuffle() forwards a source error and drops the buffer", async () => {
  const seen: number[] = [];
  const source = concat(range(0, 3), throwError(() => new Error("boom")));
  await assertRejects(
    () => lastValueFrom(source.pipe(shuffle({ bufferSize: 8 }), toArray())).then((v) => seen.push(...v)),
    Error,
    "boom",
  );
  assertEquals(seen, []);
});

Deno.test("shuffle() stops pulling from a synchronous source after the subscriber unsubscribes", async () => {
  let pulled = 0;
  function* items(): Generator<number> {
    for (let i = 0; i < 1000; i++) {
      pulled++;
      yield i;
    }
  }
  await lastValueFrom(from(items()).pipe(shuffle({ bufferSize: 5, seed: 1 }), take(2), toArray()));
  assertEquals(pulled, 7);
});

Deno.test("shuffle() releases the source subscription on early unsubscribe", () => {
  const source = new Subject<number>();
  const subscription = source.pipe(shuffle({ bufferSize: 2 })).subscribe();
  source.next(1);
  subscription.unsubscribe();
  assertEquals(source.observed, false);
});

Deno.test("shuffle() rejects invalid options at once", () => {
  assertThrows(() => shuffle({ bufferSize: 0 }), RangeError, "bufferSize must be a positive integer, got 0");
  assertThrows(() => shuffle({ seed: 0.5 }), RangeError, "seed must be an integer, got 0.5");
});
