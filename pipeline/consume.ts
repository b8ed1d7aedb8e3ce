/**
 * The asynchronous end of a pipeline: runs an async step per value, one at a
 * time, and tells a {@linkcode PullGate} when each value was taken and finished,
 * so that a pull-driven reader never runs far ahead of a slow sink.
 *
 * @module
 */
import type { Observable, Subscription } from "rxjs";
import type { PullGate } from "../core/pull_gate.ts";

/** Options of {@linkcode consume}. */
export interface ConsumeOptions {
  /**
   * Gate shared with the pipeline's readers: each value is `take()`n when it
   * arrives and `release()`d when its step has finished. Default: none (the
   * source is not held back and values queue up here).
   */
  gate?: PullGate;
  /** Stops consuming (unsubscribes) and rejects with the signal's reason. Default: none. */
  signal?: AbortSignal;
}

/**
 * Subscribes to `source` and runs `step` on every value in order, never two
 * at once. Resolves after the source completes and the last step finished;
 * rejects on the first source error or step failure, and then unsubscribes
 * from the source (which closes its files).
 *
 * @param source Values to consume, e.g. batches.
 * @param step Work per value, e.g. one training step.
 * @param options Gate and abort signal.
 * @returns The number of values consumed.
 *
 * @example
 * ```ts
 * import { from } from "rxjs";
 * import { consume } from "./consume.ts";
 * import { PullGate } from "../core/pull_gate.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const seen: number[] = [];
 * const gate = new PullGate(1);
 * const count = await consume(from([1, 2, 3]), async (n) => {
 *   await new Promise((resolve) => setTimeout(resolve, 1));
 *   seen.push(n);
 * }, { gate });
 * assertEquals(count, 3);
 * assertEquals(seen, [1, 2, 3]);
 * assertEquals(gate.pending, 0);
 * ```
 */
export function consume<T>(
  source: Observable<T>,
  step: (value: T) => Promise<void> | void,
  options: ConsumeOptions = {},
): Promise<number> {
  const { gate, signal } = options;
  return new Promise<number>((resolve, reject) => {
    let chain: Promise<void> = Promise.resolve();
    let count = 0;
    let failed = false;
    // Assigned once, but read by `fail` possibly before `subscribe` returns (a synchronous
    // error), where a `const` would still be in its temporal dead zone.
    // deno-lint-ignore prefer-const
    let subscription: Subscription | undefined;
    const fail = (error: unknown) => {
      if (failed) return;
      failed = true;
      subscription?.unsubscribe();
      signal?.removeEventListener("abort", onAbort);
      reject(error);
    };
    const onAbort = () => fail(signal?.reason ?? new Error("consume() was aborted"));
    if (signal?.aborted) return onAbort();
    signal?.addEventListener("abort", onAbort, { once: true });
    subscription = source.subscribe({
      next: (value) => {
        if (failed) return;
        gate?.take();
        chain = chain.then(async () => {
          if (failed) return;
          await step(value);
          count++;
        }).then(() => gate?.release(), (error) => {
          gate?.release();
          fail(error);
        });
      },
      error: (error) => fail(error),
      complete: () => {
        chain.then(() => {
          if (failed) return;
          signal?.removeEventListener("abort", onAbort);
          resolve(count);
        });
      },
    });
    if (failed) subscription.unsubscribe();
  });
}
