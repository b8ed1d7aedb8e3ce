/**
 * The window check shared by `batch` and `shuffleIntoBatches`.
 *
 * @module
 */
import type { Window } from "../core/types.ts";

/**
 * Number of samples of a window of `shape`; throws when `w` does not have that shape or its data
 * does not fill it.
 *
 * @param w The window.
 * @param shape The shape every window must have.
 * @param what The operation, for the message (`Cannot ${what}: ...`).
 * @returns The samples of one window.
 * @throws {TypeError} naming both shapes, or the expected and actual sample counts.
 */
export function checkWindow(w: Window, shape: readonly number[], what: string): number {
  const same = w.shape.length === shape.length && w.shape.every((d, i) => d === shape[i]);
  if (!same) {
    throw new TypeError(`Cannot ${what}: expected windows of shape [${shape}], got a window of shape [${w.shape}]`);
  }
  const size = shape.reduce((a, b) => a * b, 1);
  if (!(w.data instanceof Float32Array) || w.data.length !== size) {
    throw new TypeError(
      `Cannot ${what}: expected a Float32Array of ${size} samples for shape [${shape}], got ${w.data?.length} samples`,
    );
  }
  return size;
}
