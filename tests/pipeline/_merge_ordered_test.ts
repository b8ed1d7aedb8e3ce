import { assertEquals, assertRejects } from "@std/assert";
import {
  defer,
  EMPTY,
  finalize,
  from,
  lastValueFrom,
  map,
  mergeMap,
  NEVER,
  type Observable,
  of,
  Subject,
  take,
  tap,
  throwError,
  timer,
  toArray,
} from "rxjs";
import { mergeMapOrdered } from "../../pipeline/_merge_ordered.ts";

/** Emits `id:0 .. id:n-1`, one every `ms` milliseconds, counting inners subscribed and not complete. */
function slow(id: string, n: number, ms: number, active: { now: number; peak: number }): Observable<string> {
  return defer(() => {
    active.now++;
    active.peak = Math.max(active.peak, active.now);
    return timer(ms, ms).pipe(take(n), map((i) => `${id}:${i}`), tap({ complete: () => active.now-- }));
  });
}

Deno.test("mergeMapOrdered() emits in source order whatever the inner speeds, with bounded concurrency", async () => {
  const active = { now: 0, peak: 0 };
  const speeds: [string, number, number][] = [["a", 3, 30], ["b", 2, 5], ["c", 3, 1], ["d", 1, 20], ["e", 2, 2]];
  const out = await lastValueFrom(
    from(speeds).pipe(mergeMapOrdered(([id, n, ms]) => slow(id, n, ms, active), 2), toArray()),
  );
  assertEquals(out, ["a:0", "a:1", "a:2", "b:0", "b:1", "c:0", "c:1", "c:2", "d:0", "e:0", "e:1"]);
  assertEquals(active.peak, 2);
  assertEquals(active.now, 0);
});

Deno.test("mergeMapOrdered() handles an empty source, synchronous inners and empty inners", async () => {
  assertEquals(await lastValueFrom(EMPTY.pipe(mergeMapOrdered(() => of(1), 2), toArray())), []);
  const out = await lastValueFrom(
    of(1, 2, 3, 4).pipe(mergeMapOrdered((n) => (n === 2 ? EMPTY : of(n, n * 10)), 2), toArray()),
  );
  assertEquals(out, [1, 10, 3, 30, 4, 40]);
});

Deno.test("mergeMapOrdered() lets at most `concurrency` finished inners wait behind a slow one", () => {
  const head = new Subject<string>();
  let subscribed = 0;
  const values: string[] = [];
  const subscription = of(0, 1, 2, 3, 4, 5, 6).pipe(
    mergeMapOrdered((i) => defer(() => (subscribed++, i === 0 ? head : of(`${i}`))), 2),
  ).subscribe((v) => values.push(v));
  // inner 0 runs; 1 and 2 finish at once and wait (2 = concurrency), so 3.. do not start yet
  assertEquals([subscribed, values], [4, []]);
  head.next("0");
  head.complete();
  assertEquals(values, ["0", "1", "2", "3", "4", "5", "6"]);
  subscription.unsubscribe();
});

Deno.test("mergeMapOrdered() fails at once on an inner error and unsubscribes the others", async () => {
  let finalised = 0;
  const source = of(0, 1, 2).pipe(
    mergeMapOrdered(
      (i) =>
        i === 1
          ? timer(5).pipe(mergeMap(() => throwError(() => new Error("inner failed"))))
          : NEVER.pipe(finalize(() => finalised++)),
      3,
    ),
  );
  await assertRejects(() => lastValueFrom(source), Error, "inner failed");
  assertEquals(finalised, 2);
});

Deno.test("mergeMapOrdered() forwards a source error and unsubscribes every inner when unsubscribed", async () => {
  await assertRejects(
    () => lastValueFrom(throwError(() => new Error("source failed")).pipe(mergeMapOrdered(() => of(1), 1))),
    Error,
    "source failed",
  );
  let finalised = 0;
  const subscription = of(0, 1, 2).pipe(mergeMapOrdered(() => NEVER.pipe(finalize(() => finalised++)), 2)).subscribe();
  assertEquals(finalised, 0);
  subscription.unsubscribe();
  assertEquals(finalised, 2);
});

Deno.test("mergeMapOrdered() stops emitting when the subscriber unsubscribes inside next()", () => {
  const values: number[] = [];
  const subscription = of(1, 2, 3).pipe(mergeMapOrdered((n) => of(n), 2), take(2)).subscribe((v) => values.push(v));
  assertEquals(values, [1, 2]);
  assertEquals(subscription.closed, true);
});
