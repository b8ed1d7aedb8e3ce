import { assertEquals, assertThrows } from "@std/assert";
import { pickRecordings } from "../../bench/pick_recordings.ts";
import { LABELS, type Recording } from "../../core/types.ts";

const recordings: Recording[] = Array.from({ length: 40 }, (_, i) =>
  ({
    path: `/data/${i}.h5`,
    label: LABELS[i % 4],
  }) as Recording);

Deno.test("pickRecordings() takes the classes in turn, the same files every time", () => {
  const picked = pickRecordings(recordings, 12);
  assertEquals(picked.length, 12);
  assertEquals(new Set(picked.map((r) => r.path)).size, 12);
  for (const label of LABELS) assertEquals(picked.filter((r) => r.label === label).length, 3);
  assertEquals(pickRecordings(recordings, 12), picked);
});

Deno.test("pickRecordings() of fewer files is the start of a larger pick", () => {
  const all = pickRecordings(recordings, 40);
  for (const n of [1, 5, 16, 39]) assertEquals(pickRecordings(recordings, n), all.slice(0, n));
});

Deno.test("pickRecordings() rejects more files than the folder holds", () => {
  assertThrows(() => pickRecordings(recordings, 41), RangeError, "asked for 41 files, the folder has 40");
});
