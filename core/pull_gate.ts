/**
 * Backpressure between a fast reader and a slow, asynchronous sink.
 *
 * RxJS pushes: a reader that does not wait for the sink would read the whole
 * dataset while the first training step runs. A `PullGate` counts the items the
 * sink has received but not finished; sources `await gate.ready()` before each
 * read, and it resolves only while fewer than `highWaterMark` items are pending.
 *
 * @example
 * ```ts
 * import { PullGate } from "./pull_gate.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const gate = new PullGate(1);
 * gate.take();                       // the sink received an item
 * let reading = false;
 * const waiting = gate.ready().then(() => (reading = true));
 * await Promise.resolve();
 * assertEquals(reading, false);      // the reader waits...
 * gate.release();                    // ...until the sink is done with it
 * await waiting;
 * assertEquals(reading, true);
 * ```
 *
 * @module
 */

/** Counts items a sink has taken but not finished, and holds readers back. */
export class PullGate {
  /** Largest number of pending items at which `ready()` still resolves at once. */
  readonly highWaterMark: number;
  #pending = 0;
  #peak = 0;
  #waiters: Array<() => void> = [];

  /**
   * @param highWaterMark Readers wait while this many items or more are pending (>= 1).
   * @throws {RangeError} when `highWaterMark` is not a positive integer.
   */
  constructor(highWaterMark = 2) {
    if (!Number.isInteger(highWaterMark) || highWaterMark < 1) {
      throw new RangeError(`Cannot create PullGate: highWaterMark must be a positive integer, got ${highWaterMark}`);
    }
    this.highWaterMark = highWaterMark;
  }

  /** Items taken and not yet released. */
  get pending(): number {
    return this.#pending;
  }

  /** Largest `pending` seen since construction. */
  get peak(): number {
    return this.#peak;
  }

  /** Resolves when fewer than `highWaterMark` items are pending. */
  ready(): Promise<void> {
    if (this.#pending < this.highWaterMark) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** The sink received `n` items. */
  take(n = 1): void {
    this.#pending += n;
    if (this.#pending > this.#peak) this.#peak = this.#pending;
  }

  /** The sink finished `n` items; wakes waiting readers when below the mark. */
  release(n = 1): void {
    this.#pending = Math.max(0, this.#pending - n);
    while (this.#pending < this.highWaterMark && this.#waiters.length > 0) {
      this.#waiters.shift()!();
    }
  }
}
