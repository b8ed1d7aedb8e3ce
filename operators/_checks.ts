/**
 * Argument checks shared by the operators' pure functions.
 *
 * @module
 */

/** Number of samples per channel of a channel-major array; throws when it is not whole. */
export function channelLength(name: string, length: number, nChans: number): number {
  if (!Number.isSafeInteger(nChans) || nChans < 1) {
    throw new RangeError(`Cannot ${name}: nChans must be a positive integer, got ${nChans}`);
  }
  if (length % nChans !== 0) {
    throw new TypeError(`Cannot ${name}: expected a multiple of ${nChans} samples (nChans), got ${length}`);
  }
  return length / nChans;
}
