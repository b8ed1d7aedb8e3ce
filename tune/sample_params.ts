/**
 * Seeded random draws from a search space (random search, and the first rung
 * of successive halving).
 *
 * @module
 */
import { hashSeed, Random } from "../core/random.ts";
import { paramKind, type ParamSpec, roundParam, type SearchSpace } from "./search_space.ts";

/**
 * Draws one value of a parameter.
 *
 * @param spec The parameter.
 * @param random The generator.
 * @returns A choice; an integer in `[low, high]`; a float in `[low, high]`
 *   (uniform, or log-uniform), rounded to 4 significant digits.
 *
 * @example
 * ```ts
 * import { sampleParam } from "./sample_params.ts";
 * import { Random } from "../core/random.ts";
 * import { assert } from "@std/assert";
 *
 * const units = sampleParam({ int: [16, 64] }, new Random(1)) as number;
 * assert(Number.isInteger(units) && units >= 16 && units <= 64);
 * ```
 */
export function sampleParam(spec: ParamSpec, random: Random): unknown {
  switch (paramKind(spec)) {
    case "choice": {
      const choices = (spec as { choice: unknown[] }).choice;
      return choices[random.int(choices.length)];
    }
    case "int": {
      const [low, high] = (spec as { int: [number, number] }).int;
      return low + random.int(high - low + 1);
    }
    case "uniform": {
      const [low, high] = (spec as { uniform: [number, number] }).uniform;
      return Math.min(high, Math.max(low, roundParam(random.uniform(low, high))));
    }
    case "logUniform": {
      const [low, high] = (spec as { logUniform: [number, number] }).logUniform;
      const x = Math.exp(random.uniform(Math.log(low), Math.log(high)));
      return Math.min(high, Math.max(low, roundParam(x)));
    }
  }
}

/**
 * The values of trial `index` of a random search: each parameter drawn from
 * its own stream `hashSeed(seed, index, name)`, so the same seed gives the same
 * trials, trial `i` does not depend on how many trials are asked for, and
 * adding a parameter does not change the draws of the others.
 *
 * @param space The search space (checked by `parseSearchSpace`).
 * @param seed Seed of the search.
 * @param index Trial number (from 0).
 * @returns Parameter name to value, in the order of the space.
 *
 * @example
 * ```ts
 * import { sampleParams } from "./sample_params.ts";
 * import { assert, assertEquals } from "@std/assert";
 *
 * const space = { learningRate: { logUniform: [1e-4, 1e-2] }, batchSize: { choice: [16, 32] } } as const;
 * const trial = sampleParams(space as never, 42, 0);
 * assertEquals(sampleParams(space as never, 42, 0), trial); // seeded
 * assert((trial.learningRate as number) >= 1e-4 && (trial.learningRate as number) <= 1e-2);
 * assert([16, 32].includes(trial.batchSize as number));
 * ```
 */
export function sampleParams(space: SearchSpace, seed: number, index: number): Record<string, unknown> {
  if (!Number.isSafeInteger(index) || index < 0) {
    throw new RangeError(`Cannot sample: trial index must be a non-negative integer, got ${index}`);
  }
  const values: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(space)) {
    values[name] = sampleParam(spec, new Random(hashSeed(seed, index, name)));
  }
  return values;
}
