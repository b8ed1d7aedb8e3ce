/**
 * Grid search: every combination of the choices and of evenly spaced points
 * of the ranges of a search space.
 *
 * @module
 */
import { paramKind, type ParamSpec, roundParam, type SearchSpace } from "./search_space.ts";

/**
 * The grid values of one parameter: its choices; or `steps` points of its
 * range, ends included, evenly spaced (geometrically for `logUniform`; rounded
 * and without duplicates for `int`). One step gives the middle of the range.
 *
 * @param spec The parameter.
 * @returns The values, in increasing order for ranges.
 *
 * @example
 * ```ts
 * import { gridValues } from "./grid_points.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(gridValues({ logUniform: [1e-4, 1e-2] }), [1e-4, 1e-3, 1e-2]);
 * assertEquals(gridValues({ int: [1, 2], steps: 5 }), [1, 2]);
 * ```
 */
export function gridValues(spec: ParamSpec): unknown[] {
  const kind = paramKind(spec);
  if (kind === "choice") return [...(spec as { choice: unknown[] }).choice];
  const [low, high] = (spec as unknown as Record<string, [number, number]>)[kind];
  const steps = (spec as { steps?: number }).steps ?? (kind === "int" ? Math.min(3, high - low + 1) : 3);
  const at = (k: number) => (steps === 1 ? 0.5 : k / (steps - 1));
  const points: number[] = [];
  for (let k = 0; k < steps; k++) {
    const x = kind === "logUniform"
      ? Math.exp(Math.log(low) + at(k) * (Math.log(high) - Math.log(low)))
      : low + at(k) * (high - low);
    const value = kind === "int" ? Math.round(x) : Math.min(high, Math.max(low, roundParam(x)));
    if (!points.includes(value)) points.push(value);
  }
  return points;
}

/**
 * Every point of the grid of a search space, the first parameter varying
 * slowest.
 *
 * @param space The search space.
 * @returns One record of values per grid point.
 * @throws {RangeError} when the grid has more than 100000 points.
 *
 * @example
 * ```ts
 * import { gridPoints } from "./grid_points.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const points = gridPoints({ batchSize: { choice: [16, 32] }, dropProb: { uniform: [0.1, 0.5], steps: 3 } });
 * assertEquals(points.length, 6);
 * assertEquals(points[0], { batchSize: 16, dropProb: 0.1 });
 * assertEquals(points[5], { batchSize: 32, dropProb: 0.5 });
 * ```
 */
export function gridPoints(space: SearchSpace): Array<Record<string, unknown>> {
  const axes = Object.entries(space).map(([name, spec]) => [name, gridValues(spec)] as const);
  const size = axes.reduce((n, [, values]) => n * values.length, 1);
  if (size > 100_000) throw new RangeError(`Cannot enumerate the grid: ${size} points (more than 100000)`);
  let points: Array<Record<string, unknown>> = [{}];
  for (const [name, values] of axes) {
    points = points.flatMap((point) => values.map((value) => ({ ...point, [name]: value })));
  }
  return points;
}
