/**
 * A first-come, first-served lock with a waiting deadline: the prediction
 * server runs one prediction on its model at a time (tfjs is single-threaded,
 * and BatchNorm adaptation changes the model's statistics until it restores
 * them), and a request that waits past its deadline leaves the queue.
 *
 * @module
 */

/** The lock. `acquire` resolves to a release function, to be called exactly once. */
export class ModelLock {
  #busy = false;
  #queue: Array<() => void> = [];

  /** Requests waiting for the lock. */
  get waiting(): number {
    return this.#queue.length;
  }

  /**
   * Waits for the lock, in arrival order.
   *
   * @param timeoutMs Longest wait in milliseconds.
   * @returns `release`, or `undefined` when the wait timed out (the caller does not hold the lock).
   */
  acquire(timeoutMs: number): Promise<(() => void) | undefined> {
    if (!this.#busy) {
      this.#busy = true;
      return Promise.resolve(this.#releaser());
    }
    return new Promise((resolve) => {
      const grant = () => {
        clearTimeout(timer);
        resolve(this.#releaser());
      };
      const timer = setTimeout(() => {
        this.#queue = this.#queue.filter((waiter) => waiter !== grant);
        resolve(undefined);
      }, Math.max(0, timeoutMs));
      this.#queue.push(grant);
    });
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#queue.shift();
      if (next) next();
      else this.#busy = false;
    };
  }
}
