import { assert, assertEquals, assertNotEquals } from "@std/assert";
import { sampleParams } from "../../tune/sample_params.ts";
import type { SearchSpace } from "../../tune/search_space.ts";

const SPACE: SearchSpace = {
  learningRate: { logUniform: [1e-5, 1e-1] },
  dropProb: { uniform: [0.1, 0.5] },
  units: { int: [2, 5] },
  activation: { choice: ["elu", "relu", "tanh"] },
};

const draws = Array.from({ length: 2000 }, (_, i) => sampleParams(SPACE, 7, i));

Deno.test("sampleParams() is seeded: same seed and index, same values; other seed, other values", () => {
  assertEquals(sampleParams(SPACE, 7, 3), draws[3]);
  assertNotEquals(sampleParams(SPACE, 8, 3), draws[3]);
});

Deno.test("sampleParams() keeps every value inside its range and reaches both ends of int ranges", () => {
  for (const d of draws) {
    assert((d.learningRate as number) >= 1e-5 && (d.learningRate as number) <= 1e-1);
    assert((d.dropProb as number) >= 0.1 && (d.dropProb as number) <= 0.5);
    assert(Number.isInteger(d.units) && (d.units as number) >= 2 && (d.units as number) <= 5);
  }
  assertEquals([...new Set(draws.map((d) => d.units))].sort(), [2, 3, 4, 5]);
  assertEquals([...new Set(draws.map((d) => d.activation))].sort(), ["elu", "relu", "tanh"]);
});

Deno.test("sampleParams() draws log-uniform values uniformly in the logarithm", () => {
  // Log-uniform on [1e-5, 1e-1]: each decade holds a quarter of the draws (uniform would put 90 % in the last).
  const decades = [0, 0, 0, 0];
  for (const d of draws) decades[Math.min(3, Math.floor(Math.log10(d.learningRate as number) + 5))]++;
  for (const n of decades) assert(n > 400 && n < 600, `decade counts ${decades}`);
});

Deno.test("sampleParams() gives each parameter its own stream, so adding one keeps the others", () => {
  const wider = sampleParams({ ...SPACE, batchSize: { choice: [8, 16] } }, 7, 5);
  const { batchSize: _, ...rest } = wider;
  assertEquals(rest, draws[5]);
});
