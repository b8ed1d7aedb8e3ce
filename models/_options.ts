/**
 * Validation shared by the model factories: signal shapes, output counts and options.
 * Every error names the model, the field, what was expected and what was seen.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import { ACTIVATION_NAMES, type SignalShape } from "./types.ts";

/**
 * Merges `options` over `defaults`, rejecting unknown keys and values whose type differs
 * from the default's (numbers, strings, booleans, arrays of the same length).
 * `undefined` values keep the default.
 */
export function resolveOptions<O extends object>(
  model: string,
  defaults: Readonly<Required<O>>,
  options: Partial<O> | undefined,
): Required<O> {
  const resolved = { ...defaults } as Required<O>;
  for (const [key, value] of Object.entries(resolved)) {
    if (Array.isArray(value)) (resolved as Record<string, unknown>)[key] = [...value];
  }
  if (options === undefined) return resolved;
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new TypeError(`Cannot build ${model}: options must be an object, got ${describe(options)}`);
  }
  const known = Object.keys(defaults);
  for (const [key, value] of Object.entries(options)) {
    if (!known.includes(key)) {
      throw new TypeError(`Cannot build ${model}: unknown option "${key}"; known options: ${known.join(", ")}`);
    }
    if (value === undefined) continue;
    const fallback = (defaults as Record<string, unknown>)[key];
    if (Array.isArray(fallback)) {
      if (!Array.isArray(value) || value.length !== fallback.length || value.some((v) => typeof v !== "number")) {
        throw new TypeError(
          `Cannot build ${model}: option "${key}" must be an array of ${fallback.length} numbers, got ${
            describe(value)
          }`,
        );
      }
    } else if (typeof value !== typeof fallback) {
      throw new TypeError(
        `Cannot build ${model}: option "${key}" must be a ${typeof fallback}, got ${describe(value)}`,
      );
    }
    (resolved as Record<string, unknown>)[key] = Array.isArray(value) ? [...value] : value;
  }
  return resolved;
}

/** Throws a RangeError unless `value` is an integer >= `min`. */
export function checkInt(model: string, name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`Cannot build ${model}: ${name} must be an integer >= ${min}, got ${value}`);
  }
  return value;
}

/** Throws a RangeError unless `value` is a finite number >= 0. */
export function checkNonNegative(model: string, name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(`Cannot build ${model}: ${name} must be a finite number >= 0, got ${value}`);
  }
  return value;
}

/** Throws a RangeError unless `value` is a probability in [0, 1). */
export function checkProb(model: string, name: string, value: number): number {
  if (!(value >= 0 && value < 1)) {
    throw new RangeError(`Cannot build ${model}: ${name} must be in [0, 1), got ${value}`);
  }
  return value;
}

/** Throws a RangeError naming `model`, `name` and the choices unless `value` is one of `choices`. */
export function checkOneOf(model: string, name: string, value: string, choices: readonly string[]): void {
  if (!choices.includes(value)) {
    throw new RangeError(`Cannot build ${model}: ${name} must be one of ${choices.join(", ")}, got "${value}"`);
  }
}

/** Throws a RangeError unless `value` is a known activation name. */
export function checkActivation(model: string, value: string): void {
  checkOneOf(model, "activation", value, ACTIVATION_NAMES);
}

/** Validates the number of classes (>= 2). */
export function checkOutputs(model: string, nOutputs: number): number {
  return checkInt(model, "nOutputs", nOutputs, 2);
}

/** Validates a sensor-window signal and returns its `[nChans, nTimes]`. */
export function channelSignal(model: string, signal: SignalShape): [number, number] {
  checkSignalObject(model, signal);
  if (signal.nChans === undefined) {
    throw new TypeError(`Cannot build ${model}: signal.nChans is required, got ${describe(signal)}`);
  }
  return [checkInt(model, "signal.nChans", signal.nChans, 1), checkInt(model, "signal.nTimes", signal.nTimes, 1)];
}

/** Validates a grid signal and returns its `[nTimes, gridRows, gridCols]`. */
export function gridSignal(model: string, signal: SignalShape): [number, number, number] {
  checkSignalObject(model, signal);
  if (signal.gridRows === undefined || signal.gridCols === undefined) {
    throw new TypeError(
      `Cannot build ${model}: the input is a sensor grid, so signal.gridRows and signal.gridCols are required, got ${
        describe(signal)
      }`,
    );
  }
  return [
    checkInt(model, "signal.nTimes", signal.nTimes, 1),
    checkInt(model, "signal.gridRows", signal.gridRows, 1),
    checkInt(model, "signal.gridCols", signal.gridCols, 1),
  ];
}

function checkSignalObject(model: string, signal: SignalShape): void {
  if (signal === null || typeof signal !== "object") {
    throw new TypeError(
      `Cannot build ${model}: signal must be an object like {nChans, nTimes}, got ${describe(signal)}`,
    );
  }
  for (const key of ["nChans", "nTimes", "gridRows", "gridCols"] as const) {
    const value = signal[key];
    if (value !== undefined && typeof value !== "number") {
      throw new TypeError(`Cannot build ${model}: signal.${key} must be a number, got ${describe(value)}`);
    }
  }
  if (signal.nTimes === undefined) {
    throw new TypeError(`Cannot build ${model}: signal.nTimes is required, got ${describe(signal)}`);
  }
}

function describe(value: unknown): string {
  if (typeof value === "string") return `"${value}"`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * Throws megflow's own error unless a tfjs backend is ready to build `model` on: tfjs's own
 * ("The highest priority backend 'wasm' has not yet been initialized ...") does not say what a
 * megflow user should do. A backend registered with a synchronous init (cpu) is set up here.
 */
export function checkBackend(model: string): void {
  try {
    tf.engine().backend; // sets up the best backend that needs no await, or throws
  } catch (error) {
    throw new Error(
      `Cannot build ${model}: no tfjs backend is ready. Choose one first: \`await setupBackend("auto")\` ` +
        `(or "webgpu", "wasm", "cpu"; exported by megflow's mod.ts), which picks and initialises it ` +
        `(tfjs said: ${error instanceof Error ? error.message : error})`,
    );
  }
}
