import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import "@tensorflow/tfjs-backend-cpu";
import { assertEquals, assertNotEquals, assertRejects, assertStrictEquals } from "@std/assert";
import { Random } from "../../core/random.ts";
import { withSeededRandom } from "../../core/with_seeded_random.ts";

await tf.setBackend("cpu");

const three = () => [Math.random(), Math.random(), Math.random()];

Deno.test("withSeededRandom() makes Math.random() the seeded Random sequence", async () => {
  const expected = new Random(5);
  assertEquals(await withSeededRandom(5, three), [expected.next(), expected.next(), expected.next()]);
  assertEquals(await withSeededRandom(5, three), await withSeededRandom(5, three));
  assertNotEquals(await withSeededRandom(6, three), await withSeededRandom(5, three));
});

Deno.test("withSeededRandom() returns what the function returns, sync or async", async () => {
  assertEquals(await withSeededRandom(1, () => "sync"), "sync");
  assertEquals(await withSeededRandom(1, () => Promise.resolve(42)), 42);
  assertEquals(await withSeededRandom(1, () => undefined), undefined);
});

Deno.test("withSeededRandom() restores Math.random afterwards", async () => {
  const original = Math.random;
  await withSeededRandom(1, three);
  assertStrictEquals(Math.random, original);
});

Deno.test("withSeededRandom() restores Math.random when the function throws", async () => {
  const original = Math.random;
  const error = new RangeError("bad config");
  const thrown = await assertRejects(
    () =>
      withSeededRandom(1, () => {
        throw error;
      }),
    RangeError,
    "bad config",
  );
  assertStrictEquals(thrown, error);
  assertStrictEquals(Math.random, original);
  await assertRejects(() => withSeededRandom(1, () => Promise.reject(new TypeError("late"))), TypeError, "late");
  assertStrictEquals(Math.random, original);
});

Deno.test("withSeededRandom() keeps Math.random seeded across awaits of the function", async () => {
  const expected = new Random(8);
  const values = await withSeededRandom(8, async () => {
    const first = Math.random();
    await new Promise((resolve) => setTimeout(resolve, 5));
    return [first, Math.random()];
  });
  assertEquals(values, [expected.next(), expected.next()]);
});

Deno.test("withSeededRandom() nested calls restore in last-in, first-out order", async () => {
  const original = Math.random;
  const outer = new Random(1);
  const inner = new Random(2);
  const seen = await withSeededRandom(1, async () => {
    const a = Math.random();
    const b = await withSeededRandom(2, () => Math.random());
    const c = Math.random(); // the outer generator again, where it left off
    return [a, b, c];
  });
  assertEquals(seen, [outer.next(), inner.next(), outer.next()]);
  assertStrictEquals(Math.random, original);
});

Deno.test("withSeededRandom() makes tfjs weight initialisation repeatable", async () => {
  const build = () =>
    withSeededRandom(3, () => {
      const model = tfl.sequential({ layers: [tfl.layers.dense({ units: 4, inputShape: [6] })] });
      const kernel = model.getWeights()[0].arraySync();
      model.dispose();
      return kernel;
    });
  const a = await build();
  assertEquals(await build(), a);
  const free = tfl.sequential({ layers: [tfl.layers.dense({ units: 4, inputShape: [6] })] });
  assertNotEquals(free.getWeights()[0].arraySync(), a);
  free.dispose();
});
