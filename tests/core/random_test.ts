import { assert, assertEquals, assertNotEquals, assertStrictEquals } from "@std/assert";
import { hashSeed, Random } from "../../core/random.ts";

const draw = (random: Random, n: number, f: (r: Random) => number = (r) => r.next()) =>
  Array.from({ length: n }, () => f(random));

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

function sd(values: number[]): number {
  const m = mean(values);
  return Math.sqrt(values.reduce((s, v) => s + (v - m) ** 2, 0) / values.length);
}

Deno.test("Random gives the same sequence for the same seed and another for another seed", () => {
  const a = draw(new Random(42), 1000);
  assertEquals(draw(new Random(42), 1000), a);
  assertNotEquals(draw(new Random(43), 1000), a);
  // Neighbouring and special seeds are not degenerate.
  for (const seed of [0, -1, 2 ** 31, 1.5]) {
    const values = draw(new Random(seed), 100);
    assertEquals(new Set(values).size, 100, `seed ${seed}`);
  }
  assertNotEquals(draw(new Random(0), 10), draw(new Random(-0.5), 10));
});

Deno.test("Random.next() is uniform on [0, 1)", () => {
  const values = draw(new Random(7), 20_000);
  assert(values.every((v) => v >= 0 && v < 1));
  const bins = new Array(10).fill(0);
  for (const v of values) bins[Math.floor(v * 10)]++;
  for (const count of bins) assert(Math.abs(count - 2000) < 150, `bins ${bins}`);
  assert(Math.abs(mean(values) - 0.5) < 0.01);
});

Deno.test("Random.int(n) gives every integer of [0, n) about equally often", () => {
  const random = new Random(3);
  const counts = new Array(5).fill(0);
  for (let i = 0; i < 10_000; i++) {
    const k = random.int(5);
    assert(Number.isInteger(k) && k >= 0 && k < 5, `${k}`);
    counts[k]++;
  }
  for (const count of counts) assert(Math.abs(count - 2000) < 150, `counts ${counts}`);
  assertEquals(new Set(draw(new Random(1), 100, (r) => r.int(1))), new Set([0]));
});

Deno.test("Random.uniform(low, high) stays within [low, high) and centres on the middle", () => {
  const values = draw(new Random(11), 10_000, (r) => r.uniform(-3, 5));
  assert(values.every((v) => v >= -3 && v < 5));
  assert(Math.abs(mean(values) - 1) < 0.1, `mean ${mean(values)}`);
  assert(values.some((v) => v < -2.9) && values.some((v) => v > 4.9));
  assertEquals(new Random(1).uniform(2, 2), 2);
});

Deno.test("Random.normal() has mean 0 and standard deviation 1", () => {
  const values = draw(new Random(5), 20_000, (r) => r.normal());
  assert(values.every(Number.isFinite));
  assert(Math.abs(mean(values)) < 0.03, `mean ${mean(values)}`);
  assert(Math.abs(sd(values) - 1) < 0.03, `sd ${sd(values)}`);
  // About 95.4 % within two standard deviations.
  const within = values.filter((v) => Math.abs(v) < 2).length / values.length;
  assert(Math.abs(within - 0.954) < 0.01, `within 2 sd: ${within}`);
});

Deno.test("Random.normal() repeats for a seed, the cached spare included", () => {
  const a = draw(new Random(9), 5, (r) => r.normal());
  assertEquals(draw(new Random(9), 5, (r) => r.normal()), a);
  assertEquals(new Set(a).size, 5); // the spare is a new value, not a repeat
});

Deno.test("Random.shuffle() permutes in place and returns the same array", () => {
  const items = Array.from({ length: 50 }, (_, i) => i);
  const shuffled = new Random(1).shuffle(items);
  assertStrictEquals(shuffled, items);
  assertEquals([...shuffled].sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i));
  assertNotEquals(shuffled, Array.from({ length: 50 }, (_, i) => i));
  const again = new Random(1).shuffle(Array.from({ length: 50 }, (_, i) => i));
  assertEquals(again, shuffled);
});

Deno.test("Random.shuffle() leaves an empty or one-item array as it is", () => {
  assertEquals(new Random(1).shuffle([]), []);
  assertEquals(new Random(1).shuffle(["only"]), ["only"]);
});

Deno.test("Random.shuffle() draws every order of three items about equally often", () => {
  const random = new Random(13);
  const counts = new Map<string, number>();
  for (let i = 0; i < 6000; i++) {
    const key = random.shuffle(["a", "b", "c"]).join("");
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  assertEquals(counts.size, 6);
  for (const [order, count] of counts) assert(Math.abs(count - 1000) < 120, `${order}: ${count}`);
});

Deno.test("hashSeed() is a repeatable unsigned 32-bit integer", () => {
  for (const parts of [[], [0], [1, "rest", 2], ["a long string with ünïcode"]] as Array<Array<number | string>>) {
    const h = hashSeed(...parts);
    assertEquals(hashSeed(...parts), h);
    assert(Number.isInteger(h) && h >= 0 && h < 2 ** 32, `${parts}: ${h}`);
  }
});

Deno.test("hashSeed() depends on every part, their order and where one part ends", () => {
  const base = hashSeed(1, "rest", 2);
  assertNotEquals(hashSeed(1, "rest", 3), base);
  assertNotEquals(hashSeed(2, "rest", 2), base);
  assertNotEquals(hashSeed(2, "rest", 1), base);
  assertNotEquals(hashSeed(1, "rest", 2, 0), base);
  assertNotEquals(hashSeed("ab", "c"), hashSeed("a", "bc"));
  assertNotEquals(hashSeed(12), hashSeed(1, 2));
  assertNotEquals(hashSeed(), hashSeed(""));
});

Deno.test("hashSeed() of neighbouring inputs spreads over the 32-bit range", () => {
  const hashes = Array.from({ length: 1000 }, (_, i) => hashSeed(7, i));
  assertEquals(new Set(hashes).size, 1000);
  const top = new Array(4).fill(0);
  for (const h of hashes) top[h >>> 30]++;
  for (const count of top) assert(Math.abs(count - 250) < 60, `top two bits ${top}`);
});
