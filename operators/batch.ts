/**
 * Stacking windows into batches for a model.
 *
 * @module
 */
import { bufferCount, defer, filter, map, type Observable, type OperatorFunction, tap } from "rxjs";
import type { Batch, Window } from "../core/types.ts";
import { checkOptions } from "../core/check_options.ts";
import { OPERATOR_OPTIONS } from "./_option_rules.ts";
import { checkWindow as checkShape } from "./_window_shape.ts";

/** Options of {@linkcode batch}. */
export interface BatchOptions {
  /** Drop the last batch when it has fewer than `batchSize` windows. Default: false (emit it). */
  dropRemainder?: boolean;
}

/**
 * Stacks windows of one shape into a batch: `xs` of shape `[n, ...windowShape]`
 * (a new Float32Array, windows in arrival order), `ys` the label indices, and each
 * window's recording and start sample.
 *
 * @param windows One or more windows of the same shape.
 * @returns The batch.
 * @throws {TypeError} when there is no window, when two windows differ in shape
 *   (the message names both shapes), or when a window's data does not match its shape.
 *
 * @example
 * ```ts
 * import { stackWindows } from "./batch.ts";
 * import type { Recording, Window } from "../core/types.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const recording = { path: "rest_1_1.h5" } as Recording;
 * const w = (v: number, label: number): Window =>
 *   ({ recording, startSample: v, sfreq: 125, shape: [1, 2], data: Float32Array.of(v, v), label });
 * const b = stackWindows([w(1, 0), w(2, 3)]);
 * assertEquals(b.shape, [2, 1, 2]);
 * assertEquals(Array.from(b.xs), [1, 1, 2, 2]);
 * assertEquals(Array.from(b.ys), [0, 3]);
 * ```
 */
export function stackWindows(windows: readonly Window[]): Batch {
  if (windows.length === 0) throw new TypeError("Cannot batch: expected at least one window, got none");
  const shape = windows[0].shape;
  const size = checkWindow(windows[0], shape);
  const xs = new Float32Array(windows.length * size);
  const ys = new Int32Array(windows.length);
  windows.forEach((w, i) => {
    checkWindow(w, shape);
    xs.set(w.data, i * size);
    ys[i] = w.label;
  });
  return {
    xs,
    shape: [windows.length, ...shape],
    ys,
    recordings: windows.map((w) => w.recording),
    startSamples: windows.map((w) => w.startSample),
  };
}

/**
 * Groups windows into batches of `batchSize` ({@linkcode stackWindows}); the last,
 * smaller batch is emitted at completion unless `dropRemainder` is set. All
 * windows of a subscription must have the shape of its first window. Holds at
 * most `batchSize - 1` windows; a source error is forwarded and they are dropped.
 *
 * @param batchSize Windows per batch (positive integer).
 * @param options `dropRemainder`.
 * @returns An operator from windows to batches.
 * @throws {RangeError} at once when `batchSize` is not a positive integer.
 * @throws {TypeError} as an error notification, at the first window whose shape
 *   differs from the first window's (the message names both shapes).
 *
 * @example
 * ```ts
 * import { lastValueFrom, range, map, toArray } from "rxjs";
 * import { batch } from "./batch.ts";
 * import type { Recording, Window } from "../core/types.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const recording = { path: "rest_1_1.h5" } as Recording;
 * const windows = range(0, 5).pipe(
 *   map((i): Window => ({ recording, startSample: i, sfreq: 125, shape: [2, 3], data: new Float32Array(6), label: 0 })),
 * );
 * const batches = await lastValueFrom(windows.pipe(batch(2), toArray()));
 * assertEquals(batches.map((b) => b.shape), [[2, 2, 3], [2, 2, 3], [1, 2, 3]]);
 * ```
 */
export function batch(batchSize: number, options: BatchOptions = {}): OperatorFunction<Window, Batch> {
  checkOptions("batch", options, OPERATOR_OPTIONS.batch);
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`Cannot batch: batchSize must be a positive integer, got ${batchSize}`);
  }
  const dropRemainder = options.dropRemainder ?? false;
  return (source: Observable<Window>) =>
    defer(() => {
      let shape: number[] | undefined;
      return source.pipe(
        tap((w) => checkWindow(w, shape ??= [...w.shape])),
        bufferCount(batchSize),
        filter((windows) => !dropRemainder || windows.length === batchSize),
        map(stackWindows),
      );
    });
}

function checkWindow(w: Window, shape: readonly number[]): number {
  return checkShape(w, shape, "batch");
}
