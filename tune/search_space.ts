/**
 * A hyper-parameter search space: named parameters, each a list of choices or
 * a range of integers, floats or log-spaced floats, read from JSON such as
 *
 * ```json
 * {
 *   "learningRate": { "logUniform": [1e-4, 1e-2], "steps": 3 },
 *   "batchSize": { "choice": [16, 32] },
 *   "dropProb": { "uniform": [0.1, 0.5] },
 *   "units": { "int": [16, 64], "steps": 3 },
 *   "windowSeconds": { "choice": [1, 2, 4] }
 * }
 * ```
 *
 * Random search draws from the ranges (log-uniform: uniform in the logarithm);
 * grid search takes every choice and `steps` evenly spaced points of each range
 * (geometrically spaced for `logUniform`; default 3 points). Which part of a
 * run each name sets is decided by `applyParams` (see `tune/apply_params.ts`).
 *
 * @module
 */
import { METRIC_COLUMNS } from "./trials_table.ts";

/** A parameter with a list of values (any JSON values). */
export interface ChoiceSpec {
  /** The values, at least one. */
  choice: unknown[];
}

/** Integers `low..high`, both included. */
export interface IntSpec {
  /** `[low, high]`, integers, `low <= high`. */
  int: [number, number];
  /** Grid points (evenly spaced, rounded, duplicates dropped). Default: min(3, high - low + 1). */
  steps?: number;
}

/** Floats uniform in `[low, high]`. */
export interface UniformSpec {
  /** `[low, high]`, finite, `low <= high`. */
  uniform: [number, number];
  /** Grid points, evenly spaced, ends included. Default: 3. */
  steps?: number;
}

/** Floats whose logarithm is uniform in `[log low, log high]`. */
export interface LogUniformSpec {
  /** `[low, high]`, `0 < low <= high`. */
  logUniform: [number, number];
  /** Grid points, geometrically spaced, ends included. Default: 3. */
  steps?: number;
}

/** One parameter of a search space. */
export type ParamSpec = ChoiceSpec | IntSpec | UniformSpec | LogUniformSpec;

/** Kind of a {@linkcode ParamSpec}. */
export type ParamKind = "choice" | "int" | "uniform" | "logUniform";

/** Parameter name to its values or range, in the order given. */
export type SearchSpace = Record<string, ParamSpec>;

/** Names a parameter cannot have: columns of the trials table. */
export const RESERVED_PARAM_NAMES: readonly string[] = ["trial", "stage", ...METRIC_COLUMNS];

const KINDS: readonly ParamKind[] = ["choice", "int", "uniform", "logUniform"];

/**
 * The kind of a parameter spec.
 *
 * @param spec A checked spec.
 * @returns `"choice"`, `"int"`, `"uniform"` or `"logUniform"`.
 *
 * @example
 * ```ts
 * import { paramKind } from "./search_space.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(paramKind({ logUniform: [1e-4, 1e-2] }), "logUniform");
 * ```
 */
export function paramKind(spec: ParamSpec): ParamKind {
  return KINDS.find((kind) => kind in spec)!;
}

/**
 * Checks and returns a search space read from JSON. `epochs` may be searched
 * (it is a column of the trials table, holding each trial's epoch budget) except
 * under successive halving, which sets it; other table column names are reserved.
 *
 * @param json The parsed JSON.
 * @param where What to name in error messages (e.g. the file). Default: `"search space"`.
 * @returns The same object, typed.
 * @throws {TypeError} for a value that is not an object, an unknown or missing kind, or a range that is not two numbers.
 * @throws {RangeError} for an empty space or choice, reversed or non-finite bounds, a
 *   non-positive log-uniform bound, non-integer int bounds, a bad `steps`, or a reserved name.
 *
 * @example
 * ```ts
 * import { parseSearchSpace } from "./search_space.ts";
 * import { assertEquals, assertThrows } from "@std/assert";
 *
 * const space = parseSearchSpace(JSON.parse('{"learningRate": {"logUniform": [1e-4, 1e-2]}, "batchSize": {"choice": [16, 32]}}'));
 * assertEquals(Object.keys(space), ["learningRate", "batchSize"]);
 * assertThrows(() => parseSearchSpace({ lr: { logUniform: [0, 1] } }), RangeError, "lr");
 * ```
 */
export function parseSearchSpace(json: unknown, where = "search space"): SearchSpace {
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    throw new TypeError(
      `${where}: expected a JSON object of parameters, got ${Array.isArray(json) ? "an array" : typeof json}`,
    );
  }
  const entries = Object.entries(json as Record<string, unknown>);
  if (entries.length === 0) throw new RangeError(`${where}: expected at least one parameter, got none`);
  for (const [name, spec] of entries) checkSpec(name, spec, where);
  return json as SearchSpace;
}

function checkSpec(name: string, spec: unknown, where: string): void {
  const at = `${where}: parameter ${name}`;
  if (name !== "epochs" && RESERVED_PARAM_NAMES.includes(name)) {
    throw new RangeError(`${at}: the name is reserved for a column of the trials table`);
  }
  if (spec === null || typeof spec !== "object" || Array.isArray(spec)) {
    throw new TypeError(
      `${at}: expected an object such as {"choice": [...]} or {"uniform": [low, high]}, got ${JSON.stringify(spec)}`,
    );
  }
  const keys = Object.keys(spec);
  const kinds = keys.filter((k) => (KINDS as readonly string[]).includes(k));
  const unknown = keys.filter((k) => k !== "steps" && !(KINDS as readonly string[]).includes(k));
  if (kinds.length !== 1 || unknown.length > 0) {
    throw new TypeError(
      `${at}: expected exactly one of ${KINDS.join(", ")} (and optionally steps), got keys ${
        keys.join(", ") || "none"
      }`,
    );
  }
  const kind = kinds[0] as ParamKind;
  const value = (spec as Record<string, unknown>)[kind];
  const steps = (spec as Record<string, unknown>).steps;
  if (kind === "choice") {
    if (!Array.isArray(value) || value.length === 0) {
      throw new RangeError(`${at}: choice must be a non-empty array, got ${JSON.stringify(value)}`);
    }
    if (steps !== undefined) throw new TypeError(`${at}: steps applies to ranges, not to choice`);
    return;
  }
  if (!Array.isArray(value) || value.length !== 2 || value.some((x) => typeof x !== "number")) {
    throw new TypeError(`${at}: ${kind} must be [low, high] (two numbers), got ${JSON.stringify(value)}`);
  }
  const [low, high] = value as [number, number];
  if (!Number.isFinite(low) || !Number.isFinite(high) || low > high) {
    throw new RangeError(`${at}: expected finite bounds with low <= high, got [${low}, ${high}]`);
  }
  if (kind === "logUniform" && !(low > 0)) {
    throw new RangeError(`${at}: logUniform bounds must be positive, got [${low}, ${high}]`);
  }
  if (kind === "int" && (!Number.isSafeInteger(low) || !Number.isSafeInteger(high))) {
    throw new RangeError(`${at}: int bounds must be integers, got [${low}, ${high}]`);
  }
  if (steps !== undefined && (!Number.isSafeInteger(steps) || (steps as number) < 1)) {
    throw new RangeError(`${at}: steps must be a positive integer, got ${JSON.stringify(steps)}`);
  }
}

/**
 * Rounds a sampled or grid float to 4 significant digits, so configs stay
 * readable and trial ids stable across platforms.
 *
 * @param x A finite number.
 * @returns The rounded number.
 *
 * @example
 * ```ts
 * import { roundParam } from "./search_space.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(roundParam(0.000123456), 0.0001235);
 * ```
 */
export function roundParam(x: number): number {
  return x === 0 ? 0 : Number(x.toPrecision(4));
}
