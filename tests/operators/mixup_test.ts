import { assert, assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { from, lastValueFrom, toArray } from "rxjs";
import { mixBatch, mixup } from "../../operators/mixup.ts";
import type { Batch } from "../../core/types.ts";

function batchOf(n: number, size: number, offset = 0): Batch {
  return {
    xs: Float32Array.from({ length: n * size }, (_, i) => offset + Math.floor(i / size) * 10 + (i % size)),
    shape: [n, size],
    ys: Int32Array.from({ length: n }, (_, i) => i % 4),
    recordings: [],
    startSamples: Array.from({ length: n }, (_, i) => i * 125),
  };
}

Deno.test("mixBatch() mixes every window with its partner and keeps the rest of the batch", () => {
  const batch = batchOf(3, 2);
  const mixed = mixBatch(batch, 0.6, [2, 0, 1]);
  const expected = [0, 1, 2].flatMap((i) =>
    [0, 1].map((k) => 0.6 * batch.xs[i * 2 + k] + 0.4 * batch.xs[[2, 0, 1][i] * 2 + k])
  );
  [...mixed.xs].forEach((x, i) => assertAlmostEquals(x, expected[i], 1e-5));
  assertEquals([[...mixed.ys], [...mixed.mix!.ys], mixed.mix!.lambda], [[0, 1, 2], [2, 0, 1], 0.6]);
  assertEquals([mixed.shape, mixed.startSamples], [batch.shape, batch.startSamples]);
  assertEquals([...batch.xs], [0, 1, 10, 11, 20, 21]); // input untouched
  assertEquals([...mixBatch(batch, 1, [1, 2, 0]).xs], [...batch.xs]); // lambda 1: no mixing
});

Deno.test("mixBatch() rejects a lambda below one half and a partner list that is not a permutation", () => {
  const batch = batchOf(3, 2);
  assertThrows(() => mixBatch(batch, 0.4, [0, 1, 2]), RangeError, "lambda must be in [0.5, 1]");
  assertThrows(() => mixBatch(batch, 0.7, [0, 0, 1]), RangeError, "permutation of 0..2");
  assertThrows(() => mixBatch(batch, 0.7, [0, 1]), RangeError, "permutation");
  assertThrows(() => mixBatch(batch, 0.7, [0, 1, 3]), RangeError, "permutation");
});

Deno.test("mixup() draws lambda in [0.5, 1] from Beta(alpha, alpha), the same for the same seed", async () => {
  const batches = Array.from({ length: 400 }, (_, i) => batchOf(8, 3, i));
  const run = (alpha: number, seed: number) => lastValueFrom(from(batches).pipe(mixup({ alpha, seed }), toArray()));
  const a = await run(0.2, 1);
  const again = await run(0.2, 1);
  const other = await run(0.2, 2);
  assertEquals(a.map((b) => b.mix!.lambda), again.map((b) => b.mix!.lambda));
  assertEquals(a.map((b) => [...b.mix!.ys]), again.map((b) => [...b.mix!.ys]));
  assert(a.some((b, i) => b.mix!.lambda !== other[i].mix!.lambda));
  const lambdas = a.map((b) => b.mix!.lambda);
  assert(lambdas.every((l) => l >= 0.5 && l <= 1));
  // max(B, 1 - B) for B ~ Beta(0.2, 0.2) has mean 0.899 and sd 0.14; for Beta(5, 5) 0.623 and 0.087 (numpy,
  // 2e6 draws). Over 2000 batches the mean's sd is 0.003 and 0.002: the tolerances are 4 sd.
  const many = Array.from({ length: 2000 }, (_, i) => batchOf(2, 1, i));
  const meanLambda = async (alpha: number) => {
    const mixed = await lastValueFrom(from(many).pipe(mixup({ alpha, seed: 3 }), toArray()));
    return mixed.reduce((s, b) => s + b.mix!.lambda, 0) / mixed.length;
  };
  assertAlmostEquals(await meanLambda(0.2), 0.899, 0.012);
  assertAlmostEquals(await meanLambda(5), 0.623, 0.008);
  // Partners are a permutation of the batch's labels.
  for (const b of a) assertEquals([...b.mix!.ys].sort(), [...b.ys].sort());
});

Deno.test("mixup() rejects a non-positive alpha and a non-integer seed", () => {
  assertThrows(() => mixup({ alpha: 0 }), RangeError, "alpha must be > 0");
  assertThrows(() => mixup({ alpha: Number.NaN }), RangeError, "alpha must be > 0");
  assertThrows(() => mixup({ alpha: 0.2, seed: 1.5 }), RangeError, "seed must be an integer");
});
