/**
 * Shared plumbing of the block operators (`resample`, `zscore`, `minmax`,
 * `window`): per-subscription state, one run of state per recording, and the
 * checks every block must pass.
 *
 * A run starts at the first block of a recording and ends when the source
 * completes or when a block of another recording arrives (so the operators also
 * work on recordings concatenated one after the other, e.g. with `concatMap`).
 * Blocks of a recording that already ended (interleaved recordings, as a
 * `mergeMap` placed before the operator would produce) are an error.
 *
 * @module
 */
import { concat, defer, finalize, mergeMap, type Observable, type OperatorFunction } from "rxjs";
import type { Block } from "../core/types.ts";

/** What a block operator does with the blocks of one recording. */
export interface RunHooks<S, R> {
  /** Creates the state of a run from its first block; may throw to fail the stream. */
  open(first: Block): S;
  /** Handles one block of the run, appending what it emits to `out`. */
  push(state: S, block: Block, out: R[]): void;
  /** Ends the run (recording changed or source completed), appending the rest to `out`. */
  close(state: S, out: R[]): void;
}

interface Run<S> {
  path: string;
  state: S;
  nextSample: number;
  nChans: number;
  sfreq: number;
}

/**
 * Builds an operator that runs `hooks` over each recording's blocks with fresh
 * state per subscription. Errors thrown by the hooks or by the block checks
 * become error notifications; unsubscribing drops the state.
 */
export function perRecording<S, R>(name: string, hooks: RunHooks<S, R>): OperatorFunction<Block, R> {
  return (source: Observable<Block>) =>
    defer(() => {
      let run: Run<S> | undefined;
      const ended = new Set<string>();
      const endRun = (out: R[]): void => {
        if (run === undefined) return;
        const last = run;
        run = undefined;
        ended.add(last.path);
        hooks.close(last.state, out);
      };
      const onBlock = (block: Block): R[] => {
        checkBlock(name, block);
        const out: R[] = [];
        const path = block.recording.path;
        if (run !== undefined && run.path !== path) endRun(out);
        if (run === undefined) {
          if (ended.has(path)) {
            throw new RangeError(
              `Cannot ${name}: blocks of recording ${path} arrive after that recording ended; ` +
                `apply ${name}() per recording (inside mergeMap), not after merging recordings`,
            );
          }
          run = {
            path,
            state: hooks.open(block),
            nextSample: block.startSample,
            nChans: block.nChans,
            sfreq: block.sfreq,
          };
        } else {
          if (block.startSample !== run.nextSample) {
            throw new RangeError(
              `Cannot ${name}: expected the block of ${path} to start at sample ${run.nextSample}, got ${block.startSample}`,
            );
          }
          if (block.nChans !== run.nChans) {
            throw new TypeError(`Cannot ${name}: expected ${run.nChans} channels in ${path}, got ${block.nChans}`);
          }
          if (block.sfreq !== run.sfreq) {
            throw new RangeError(`Cannot ${name}: expected sfreq ${run.sfreq} Hz in ${path}, got ${block.sfreq}`);
          }
        }
        run.nextSample = block.startSample + block.nTimes;
        hooks.push(run.state, block, out);
        return out;
      };
      const onComplete = (): R[] => {
        const out: R[] = [];
        endRun(out);
        return out;
      };
      return concat(source.pipe(mergeMap(onBlock)), defer(onComplete)).pipe(
        finalize(() => {
          run = undefined;
          ended.clear();
        }),
      );
    });
}

/** Throws when a block's fields do not describe its data. */
function checkBlock(name: string, block: Block): void {
  const { nChans, nTimes, data } = block;
  if (!(data instanceof Float32Array || data instanceof Float64Array)) {
    throw new TypeError(`Cannot ${name}: expected block data as Float32Array or Float64Array, got ${typeName(data)}`);
  }
  if (!Number.isInteger(nChans) || nChans < 1 || !Number.isInteger(nTimes) || nTimes < 0) {
    throw new TypeError(`Cannot ${name}: expected block shape [nChans >= 1, nTimes >= 0], got [${nChans}, ${nTimes}]`);
  }
  if (data.length !== nChans * nTimes) {
    throw new TypeError(
      `Cannot ${name}: expected ${nChans * nTimes} samples for a [${nChans}, ${nTimes}] block, got ${data.length}`,
    );
  }
  if (!(block.sfreq > 0) || !Number.isFinite(block.sfreq)) {
    throw new RangeError(`Cannot ${name}: expected a positive block sfreq, got ${block.sfreq}`);
  }
  if (!Number.isInteger(block.startSample) || block.startSample < 0) {
    throw new RangeError(`Cannot ${name}: expected a non-negative integer startSample, got ${block.startSample}`);
  }
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "object") return (value as object).constructor?.name ?? "object";
  return typeof value;
}
