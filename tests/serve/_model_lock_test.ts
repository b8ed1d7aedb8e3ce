import { assertEquals } from "@std/assert";
import { ModelLock } from "../../serve/_model_lock.ts";

Deno.test("ModelLock grants the lock in arrival order, one holder at a time", async () => {
  const lock = new ModelLock();
  const order: string[] = [];
  const first = await lock.acquire(1000);
  const waiters = ["b", "c"].map((name) => lock.acquire(1000).then((release) => (order.push(name), release)));
  assertEquals(lock.waiting, 2);
  order.push("a");
  first!();
  first!(); // a second release does nothing
  const second = await waiters[0];
  assertEquals(order, ["a", "b"]);
  second!();
  (await waiters[1])!();
  assertEquals([order, lock.waiting], [["a", "b", "c"], 0]);
  (await lock.acquire(0))!(); // free again
});

Deno.test("ModelLock lets a waiter go at its deadline without the lock", async () => {
  const lock = new ModelLock();
  const held = await lock.acquire(1000);
  assertEquals(await lock.acquire(20), undefined);
  assertEquals(lock.waiting, 0);
  held!();
  const again = await lock.acquire(0);
  assertEquals(typeof again, "function");
  again!();
});
