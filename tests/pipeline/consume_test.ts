import { assertEquals, assertRejects } from "@std/assert";
import { from, NEVER, Observable, Subject, throwError } from "rxjs";
import { consume } from "../../pipeline/consume.ts";
import { PullGate } from "../../core/pull_gate.ts";

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

Deno.test("consume() resolves with 0 for an empty source", async () => {
  assertEquals(await consume(from([]), () => {}), 0);
});

Deno.test("consume() runs steps one at a time, in order", async () => {
  const log: string[] = [];
  await consume(from([1, 2, 3]), async (n) => {
    log.push(`start ${n}`);
    await tick();
    log.push(`end ${n}`);
  });
  assertEquals(log, ["start 1", "end 1", "start 2", "end 2", "start 3", "end 3"]);
});

Deno.test("consume() rejects with the source error", async () => {
  await assertRejects(() => consume(throwError(() => new TypeError("bad file")), () => {}), TypeError, "bad file");
});

Deno.test("consume() rejects when a step throws and unsubscribes from the source", async () => {
  let unsubscribed = false;
  const source = new Observable<number>((subscriber) => {
    subscriber.next(1);
    subscriber.next(2);
    return () => (unsubscribed = true);
  });
  await assertRejects(
    () =>
      consume(source, (n) => {
        if (n === 1) throw new RangeError("step failed");
      }),
    RangeError,
    "step failed",
  );
  assertEquals(unsubscribed, true);
});

Deno.test("consume() stops a never-ending source when aborted", async () => {
  const controller = new AbortController();
  const done = consume(NEVER, () => {}, { signal: controller.signal });
  controller.abort(new Error("stopped by user"));
  await assertRejects(() => done, Error, "stopped by user");
});

Deno.test("consume() takes and releases the gate for every value", async () => {
  const gate = new PullGate(1);
  const subject = new Subject<number>();
  const pendingSeen: number[] = [];
  const done = consume(subject, async () => {
    pendingSeen.push(gate.pending);
    await tick();
  }, { gate });
  subject.next(1);
  subject.next(2);
  assertEquals(gate.pending, 2); // both taken, none finished
  subject.complete();
  assertEquals(await done, 2);
  assertEquals(gate.pending, 0);
  assertEquals(gate.peak, 2);
  assertEquals(pendingSeen, [2, 1]);
});
