/**
 * One check for every options object megflow takes from a user (operators, `runConfig`,
 * `trainRun`, `--config` files): unknown keys are refused naming the key and the known
 * ones, and each known key's value is checked for type and range, so a typo such as
 * `resample({ to: 100 })` fails at once instead of silently keeping a default.
 *
 * @module
 */

/** What one option may hold. `undefined` is always allowed (it means "the default"). */
export interface OptionRule {
  /**
   * The value's type: `"number"` is any number (NaN included: for callers that check ranges
   * themselves), `"finite"` a finite number, `"integer"` a safe integer,
   * `"array"` any array, `"object"` a plain object (not an array, not null), `"function"`
   * a function, `"any"` anything.
   */
  type: "number" | "finite" | "integer" | "boolean" | "string" | "array" | "object" | "function" | "any";
  /** Smallest allowed number (inclusive). Default: none. */
  min?: number;
  /** Largest allowed number (inclusive). Default: none. */
  max?: number;
  /** Smallest allowed number, itself excluded (e.g. `0` for "positive"). Default: none. */
  above?: number;
  /** The allowed values (strings or numbers). Default: any value of `type`. */
  oneOf?: readonly (string | number)[];
  /** `null` is allowed too. Default: false. */
  nullable?: boolean;
}

/** The rules of an options object, one per known key. */
export type OptionRules = Readonly<Record<string, OptionRule>>;

/**
 * Checks an options object against `rules`: a non-object, an unknown key, a value of
 * the wrong type or out of range is refused. Returns the options unchanged.
 *
 * @param what What takes the options, as its messages start: `Cannot <what>: ...`
 *   (e.g. `"resample"`).
 * @param options The options given; `undefined` means "no options".
 * @param rules The known keys and what each may hold.
 * @returns `options`.
 * @throws {TypeError} for a non-object, an unknown key (naming it and the known ones) or a
 *   value of the wrong type.
 * @throws {RangeError} for a value out of range or not one of `oneOf`.
 *
 * @example
 * ```ts
 * import { checkOptions } from "./check_options.ts";
 * import { assertThrows } from "@std/assert";
 *
 * const rules = { toHz: { type: "integer", above: 0 }, fromHz: { type: "integer", above: 0 } } as const;
 * checkOptions("resample", { toHz: 100 }, rules);
 * assertThrows(
 *   () => checkOptions("resample", { to: 100 }, rules),
 *   TypeError,
 *   'Cannot resample: unknown option "to"; known options: toHz, fromHz',
 * );
 * assertThrows(() => checkOptions("resample", { toHz: -5 }, rules), RangeError, `"toHz" must be > 0, got -5`);
 * ```
 */
export function checkOptions<T>(what: string, options: T, rules: OptionRules): T {
  if (options === undefined) return options;
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new TypeError(`Cannot ${what}: options must be an object, got ${describeValue(options)}`);
  }
  const known = Object.keys(rules);
  for (const [key, value] of Object.entries(options)) {
    const rule = Object.hasOwn(rules, key) ? rules[key] : undefined;
    if (rule === undefined) {
      throw new TypeError(`Cannot ${what}: unknown option "${key}"; known options: ${known.join(", ")}`);
    }
    checkOptionValue(what, key, value, rule);
  }
  return options;
}

/**
 * Checks one value against its rule (what {@linkcode checkOptions} does for each key).
 *
 * @param what What takes the value, as its messages start: `Cannot <what>: ...`.
 * @param key The option's name, as the messages say it.
 * @param value The value; `undefined` passes.
 * @param rule What it may hold.
 * @throws {TypeError} for a value of the wrong type.
 * @throws {RangeError} for a value out of range or not one of `oneOf`.
 *
 * @example
 * ```ts
 * import { checkOptionValue } from "./check_options.ts";
 * import { assertThrows } from "@std/assert";
 *
 * checkOptionValue("train", "epochs", 3, { type: "integer", min: 1 });
 * assertThrows(() => checkOptionValue("train", "epochs", "3", { type: "integer" }), TypeError, 'got "3"');
 * ```
 */
export function checkOptionValue(what: string, key: string, value: unknown, rule: OptionRule): void {
  if (value === undefined || (value === null && rule.nullable)) return;
  if (!hasType(value, rule.type)) {
    throw new TypeError(`Cannot ${what}: option "${key}" must be ${article(rule.type)}, got ${describeValue(value)}`);
  }
  if (rule.oneOf !== undefined && !rule.oneOf.includes(value as string | number)) {
    throw new RangeError(
      `Cannot ${what}: option "${key}" must be one of ${rule.oneOf.join(", ")}, got ${describeValue(value)}`,
    );
  }
  if (typeof value !== "number") return;
  if (rule.min !== undefined && value < rule.min) {
    throw new RangeError(`Cannot ${what}: option "${key}" must be >= ${rule.min}, got ${value}`);
  }
  if (rule.max !== undefined && value > rule.max) {
    throw new RangeError(`Cannot ${what}: option "${key}" must be <= ${rule.max}, got ${value}`);
  }
  if (rule.above !== undefined && !(value > rule.above)) {
    throw new RangeError(`Cannot ${what}: option "${key}" must be > ${rule.above}, got ${value}`);
  }
}

function hasType(value: unknown, type: OptionRule["type"]): boolean {
  switch (type) {
    case "any":
      return true;
    case "integer":
      return Number.isSafeInteger(value);
    case "finite":
      return typeof value === "number" && Number.isFinite(value);
    case "array":
      return Array.isArray(value);
    case "object":
      return value !== null && typeof value === "object" && !Array.isArray(value);
    case "number":
      return typeof value === "number";
    case "boolean":
      return typeof value === "boolean";
    case "string":
      return typeof value === "string";
    case "function":
      return typeof value === "function";
  }
}

function article(type: OptionRule["type"]): string {
  if (type === "finite") return "a finite number";
  if (type === "any") return "any value";
  return type === "integer" || type === "array" || type === "object" ? `an ${type}` : `a ${type}`;
}

/** A value as error messages show it: JSON where possible, strings quoted. */
export function describeValue(value: unknown): string {
  if (typeof value === "string") return `"${value}"`;
  if (typeof value === "function") return "a function";
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
