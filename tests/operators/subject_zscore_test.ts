import { assertEquals, assertRejects, assertThrows } from "@std/assert";
import { EMPTY, lastValueFrom, of, Subject, take, throwError, toArray } from "rxjs";
import { subjectZscore, zscoreWithMoments } from "../../operators/subject_zscore.ts";
import type { Block } from "../../core/types.ts";
import { makeBlocks, makeRecording } from "./_blocks.ts";

const MOMENTS = { mean: Float64Array.of(1, 10), sd: Float64Array.of(2, 5) };

Deno.test("subjectZscore() applies the subject's moments to every recording of it", async () => {
  const recordings = [1, 2].map((chunk) => makeRecording("rest", "42", chunk));
  const blocks = recordings.flatMap((recording, i) =>
    makeBlocks(Float64Array.of(1 + i, 3 + i, 10, 20), 2, 1, { recording, sfreq: 125 })
  );
  const asked: string[] = [];
  const out = await lastValueFrom(
    of(...blocks).pipe(subjectZscore({ momentsOf: (r) => (asked.push(r.path), MOMENTS) }), toArray()),
  );
  assertEquals(asked, recordings.map((r) => r.path));
  assertEquals(out.map((b) => Array.from(b.data)), [[0, 0], [1, 2], [0.5, 0], [1.5, 2]]);
  assertEquals(out.map((b) => b.startSample), [0, 1, 0, 1]);
});

Deno.test("zscoreWithMoments() zeroes constant channels and checks sizes", () => {
  assertEquals(
    Array.from(zscoreWithMoments(Float64Array.of(3, 3), { mean: Float64Array.of(3), sd: Float64Array.of(0) })),
    [0, 0],
  );
  assertThrows(() => zscoreWithMoments(new Float64Array(3), MOMENTS), TypeError, "dividing the 3 samples");
});

Deno.test("subjectZscore() completes on an empty source and forwards errors", async () => {
  const op = subjectZscore({ momentsOf: () => MOMENTS });
  assertEquals(await lastValueFrom(EMPTY.pipe(op, toArray())), []);
  await assertRejects(() => lastValueFrom(throwError(() => new Error("disk")).pipe(op)), Error, "disk");
});

Deno.test("subjectZscore() fails the stream when momentsOf rejects or does not fit", async () => {
  const [block] = makeBlocks(Float64Array.of(1, 2), 2, 1, { sfreq: 125 });
  await assertRejects(
    () => lastValueFrom(of(block).pipe(subjectZscore({ momentsOf: () => Promise.reject(new RangeError("no data")) }))),
    RangeError,
    "no data",
  );
  const oneChannel = { mean: Float64Array.of(0), sd: Float64Array.of(1) };
  await assertRejects(
    () => lastValueFrom(of(block).pipe(subjectZscore({ momentsOf: () => oneChannel }))),
    TypeError,
    "expected moments of 2 channels, got 1",
  );
  assertThrows(() => subjectZscore({} as never), TypeError, "momentsOf");
  assertThrows(() => subjectZscore({ momentsOf: () => MOMENTS, epsilon: -1 }), RangeError, "got -1");
});

Deno.test("subjectZscore() stops on early unsubscribe", async () => {
  const source = new Subject<Block>();
  const [block] = makeBlocks(Float64Array.of(3, 15), 2, 1, { sfreq: 125 });
  const first = lastValueFrom(source.pipe(subjectZscore({ momentsOf: () => MOMENTS }), take(1)));
  source.next(block);
  assertEquals(Array.from((await first).data), [1, 1]);
  assertEquals(source.observed, false);
});
