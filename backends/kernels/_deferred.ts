/**
 * Deferred kernel outputs for the tfjs `wasm` backend: see `core/_deferred.ts` (moved there so
 * that models' own ops can defer an output too).
 *
 * @module
 */
export { deferOutput, deferOutputInPlace, type DeferredStats, deferredStats } from "../../core/_deferred.ts";
