/**
 * A local stand-in for the subset of `jsr:@std/assert` that megflow uses.
 *
 * JSR cannot be reached from the machines this project is built on, so
 * `deno.json` maps `"@std/assert"` to this file. Every function keeps the
 * name and signature of its `@std/assert` counterpart, so switching to the
 * real package is a one-line change of that import map entry.
 *
 * @example
 * ```ts
 * import { assertAlmostEquals, assertThrows } from "@std/assert";
 * assertAlmostEquals(0.1 + 0.2, 0.3);
 * assertThrows(() => { throw new RangeError("bad"); }, RangeError, "bad");
 * ```
 *
 * @module
 */
import nodeAssert from "node:assert";

/** Error thrown by every assertion in this module. */
export class AssertionError extends Error {
  /** Creates an assertion error with the given message. */
  constructor(message: string) {
    super(message);
    this.name = "AssertionError";
  }
}

function fromNode(fn: () => void, msg?: string): void {
  try {
    fn();
  } catch (error) {
    if (error instanceof nodeAssert.AssertionError) {
      throw new AssertionError(msg ?? error.message);
    }
    throw error;
  }
}

/** Asserts that `expr` is truthy. */
export function assert(expr: unknown, msg = ""): asserts expr {
  if (!expr) throw new AssertionError(msg || "Expected expression to be truthy");
}

/** Asserts that `expr` is falsy. */
export function assertFalse(expr: unknown, msg = ""): void {
  if (expr) throw new AssertionError(msg || "Expected expression to be falsy");
}

/** Asserts deep equality of `actual` and `expected`. */
export function assertEquals<T>(actual: T, expected: T, msg?: string): void {
  fromNode(() => nodeAssert.deepStrictEqual(actual, expected), msg);
}

/** Asserts that `actual` and `expected` are not deeply equal. */
export function assertNotEquals<T>(actual: T, expected: T, msg?: string): void {
  fromNode(() => nodeAssert.notDeepStrictEqual(actual, expected), msg);
}

/** Asserts that `actual` and `expected` are the same value (`Object.is`). */
export function assertStrictEquals<T>(actual: unknown, expected: T, msg?: string): asserts actual is T {
  fromNode(() => nodeAssert.strictEqual(actual, expected), msg);
}

/** Asserts that two numbers differ by at most `tolerance` (default 1e-7). */
export function assertAlmostEquals(actual: number, expected: number, tolerance = 1e-7, msg?: string): void {
  if (Object.is(actual, expected)) return;
  const delta = Math.abs(expected - actual);
  if (!(delta <= tolerance)) {
    throw new AssertionError(
      msg ??
        `Expected actual: "${actual}" to be close to "${expected}": delta "${delta}" is greater than "${tolerance}"`,
    );
  }
}

/** Asserts that `actual` is neither `null` nor `undefined`. */
export function assertExists<T>(actual: T, msg?: string): asserts actual is NonNullable<T> {
  if (actual === null || actual === undefined) {
    throw new AssertionError(msg ?? `Expected actual: "${actual}" to not be null or undefined`);
  }
}

/** Asserts that `actual` is an instance of `expectedType`. */
// deno-lint-ignore no-explicit-any
export function assertInstanceOf<T extends abstract new (...args: any[]) => any>(
  actual: unknown,
  expectedType: T,
  msg = "",
): asserts actual is InstanceType<T> {
  if (!(actual instanceof expectedType)) {
    throw new AssertionError(msg || `Expected object to be an instance of "${expectedType.name}"`);
  }
}

/** Asserts that `actual` matches the regular expression `expected`. */
export function assertMatch(actual: string, expected: RegExp, msg?: string): void {
  if (!expected.test(actual)) throw new AssertionError(msg ?? `Expected actual: "${actual}" to match: "${expected}"`);
}

/** Asserts that `actual` includes `expected`. */
export function assertStringIncludes(actual: string, expected: string, msg?: string): void {
  if (!actual.includes(expected)) {
    throw new AssertionError(msg ?? `Expected actual: "${actual}" to contain: "${expected}"`);
  }
}

/** Asserts that `actual` includes every value of `expected` (deep equality). */
export function assertArrayIncludes<T>(actual: ArrayLike<T>, expected: ArrayLike<T>, msg?: string): void {
  const values = Array.from(actual);
  for (const item of Array.from(expected)) {
    if (!values.some((value) => isDeepEqual(value, item))) {
      throw new AssertionError(msg ?? `Expected actual to include ${JSON.stringify(item)}`);
    }
  }
}

function isDeepEqual(a: unknown, b: unknown): boolean {
  try {
    nodeAssert.deepStrictEqual(a, b);
    return true;
  } catch {
    return false;
  }
}

/** Asserts that `actual > expected`. */
export function assertGreater<T>(actual: T, expected: T, msg?: string): void {
  if (!(actual > expected)) throw new AssertionError(msg ?? `Expect ${actual} > ${expected}`);
}

/** Asserts that `actual >= expected`. */
export function assertGreaterOrEqual<T>(actual: T, expected: T, msg?: string): void {
  if (!(actual >= expected)) throw new AssertionError(msg ?? `Expect ${actual} >= ${expected}`);
}

/** Asserts that `actual < expected`. */
export function assertLess<T>(actual: T, expected: T, msg?: string): void {
  if (!(actual < expected)) throw new AssertionError(msg ?? `Expect ${actual} < ${expected}`);
}

/** Asserts that `actual <= expected`. */
export function assertLessOrEqual<T>(actual: T, expected: T, msg?: string): void {
  if (!(actual <= expected)) throw new AssertionError(msg ?? `Expect ${actual} <= ${expected}`);
}

/** Always throws: marks a place the test must not reach. */
export function fail(msg?: string): never {
  throw new AssertionError(`Failed assertion${msg ? `: ${msg}` : "."}`);
}

/** Always throws: marks code that must be unreachable. */
export function unreachable(msg?: string): never {
  throw new AssertionError(msg ?? "Unreachable");
}

// deno-lint-ignore no-explicit-any
type ErrorClass<E extends Error> = abstract new (...args: any[]) => E;

function checkError<E extends Error>(
  error: unknown,
  ErrorClass?: ErrorClass<E>,
  msgIncludes?: string,
  msg?: string,
): void {
  if (ErrorClass && !(error instanceof ErrorClass)) {
    throw new AssertionError(
      msg ?? `Expected error to be instance of "${ErrorClass.name}", but was "${(error as Error)?.name}": ${error}`,
    );
  }
  if (msgIncludes !== undefined) {
    const message = error instanceof Error ? error.message : String(error);
    if (!message.includes(msgIncludes)) {
      throw new AssertionError(msg ?? `Expected error message to include "${msgIncludes}", but got "${message}"`);
    }
  }
}

/**
 * Asserts that `fn` throws; optionally that the error is an `ErrorClass` whose
 * message includes `msgIncludes`. Returns the error.
 */
export function assertThrows<E extends Error = Error>(
  fn: () => unknown,
  ErrorClass?: ErrorClass<E>,
  msgIncludes?: string,
  msg?: string,
): E {
  try {
    fn();
  } catch (error) {
    checkError(error, ErrorClass, msgIncludes, msg);
    return error as E;
  }
  throw new AssertionError(msg ?? "Expected function to throw.");
}

/**
 * Asserts that the promise returned by `fn` rejects; optionally that the error
 * is an `ErrorClass` whose message includes `msgIncludes`. Returns the error.
 */
export async function assertRejects<E extends Error = Error>(
  fn: () => PromiseLike<unknown>,
  ErrorClass?: ErrorClass<E>,
  msgIncludes?: string,
  msg?: string,
): Promise<E> {
  try {
    await fn();
  } catch (error) {
    checkError(error, ErrorClass, msgIncludes, msg);
    return error as E;
  }
  throw new AssertionError(msg ?? "Expected function to reject.");
}
