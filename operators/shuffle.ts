/**
 * Bounded, seeded shuffling of a stream (the shuffle buffer of tf.data).
 *
 * @module
 */
import { concat, defer, finalize, mergeMap, type MonoTypeOperatorFunction, type Observable } from "rxjs";
import { Random } from "../core/random.ts";
import { checkOptions } from "../core/check_options.ts";
import { OPERATOR_OPTIONS } from "./_option_rules.ts";

/** Options of {@linkcode shuffle}. */
export interface ShuffleOptions {
  /**
   * Number of items held (positive integer). The larger, the better items of
   * different recordings mix, and the more memory: bufferSize x one item (a
   * [248, 250] float32 window is 248 kB, so 512 windows are ~127 MB). Default: 1024.
   */
  bufferSize?: number;
  /**
   * Seed of the random order (an integer). Every subscription starts from this
   * seed, so re-subscribing replays the same order; an epoch loop passes
   * `seed + epoch` for a new order per epoch. Default: 0.
   */
  seed?: number;
}

/**
 * Shuffles a stream with a bounded buffer: the first `bufferSize` items fill the
 * buffer; then each incoming item takes the place of a uniformly chosen buffered
 * item, which is emitted; when the source completes, the buffered items are
 * emitted in random order. The output is a permutation of the input. Mixing is
 * local: an item can move earlier by at most `bufferSize` places, so a buffer
 * smaller than a recording's number of windows leaves runs of one recording's
 * windows. State (buffer and generator) lives per subscription; a source error
 * is forwarded at once and the buffer dropped.
 *
 * @param options Buffer size and seed.
 * @returns An operator that emits the same items in a seeded random order.
 * @throws {RangeError} at once when `bufferSize` is not a positive integer or `seed` not an integer.
 *
 * @example
 * ```ts
 * import { lastValueFrom, range, toArray } from "rxjs";
 * import { shuffle } from "./shuffle.ts";
 * import { assertEquals, assertNotEquals } from "@std/assert";
 *
 * const shuffled = range(0, 10).pipe(shuffle({ bufferSize: 4, seed: 7 }), toArray());
 * const order = await lastValueFrom(shuffled);
 * assertEquals([...order].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
 * assertNotEquals(order, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
 * assertEquals(await lastValueFrom(shuffled), order); // same seed, same order
 * ```
 */
export function shuffle<T>(options: ShuffleOptions = {}): MonoTypeOperatorFunction<T> {
  checkOptions("shuffle", options, OPERATOR_OPTIONS.shuffle);
  const bufferSize = options.bufferSize ?? 1024;
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(bufferSize) || bufferSize < 1) {
    throw new RangeError(`Cannot shuffle: bufferSize must be a positive integer, got ${bufferSize}`);
  }
  if (!Number.isSafeInteger(seed)) {
    throw new RangeError(`Cannot shuffle: seed must be an integer, got ${seed}`);
  }
  return (source: Observable<T>) =>
    defer(() => {
      const random = new Random(seed);
      let buffer: T[] = [];
      const onItem = (item: T): T[] => {
        if (buffer.length < bufferSize) {
          buffer.push(item);
          return [];
        }
        const j = random.int(bufferSize);
        const out = buffer[j];
        buffer[j] = item;
        return [out];
      };
      const onComplete = (): T[] => {
        const rest = random.shuffle(buffer);
        buffer = [];
        return rest;
      };
      return concat(source.pipe(mergeMap(onItem)), defer(onComplete)).pipe(
        finalize(() => {
          buffer = [];
        }),
      );
    });
}
