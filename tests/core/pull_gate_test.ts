import { assertEquals, assertThrows } from "@std/assert";
import { PullGate } from "../../core/pull_gate.ts";

Deno.test("PullGate is ready at once below its high-water mark", async () => {
  const gate = new PullGate(2);
  gate.take();
  await gate.ready();
  assertEquals(gate.pending, 1);
});

Deno.test("PullGate holds readers at the mark and wakes them on release", async () => {
  const gate = new PullGate(2);
  gate.take(2);
  const order: string[] = [];
  const waiting = gate.ready().then(() => order.push("reader"));
  await Promise.resolve();
  order.push("before release");
  gate.release();
  await waiting;
  assertEquals(order, ["before release", "reader"]);
});

Deno.test("PullGate never counts below zero", () => {
  const gate = new PullGate(1);
  gate.release(3);
  assertEquals(gate.pending, 0);
});

Deno.test("PullGate rejects a high-water mark that is not a positive integer", () => {
  assertThrows(() => new PullGate(0), RangeError, "got 0");
  assertThrows(() => new PullGate(1.5), RangeError, "got 1.5");
});
