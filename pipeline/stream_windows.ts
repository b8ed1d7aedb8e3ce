/**
 * The source half of every megflow pipeline: recordings in, windows out, with
 * at most `concurrency` recordings being read at once and the reads paced by
 * the sink through a {@linkcode PullGate}.
 *
 * @module
 */
import { defer, finalize, from, type Observable, tap } from "rxjs";
import { mergeMapOrdered } from "./_merge_ordered.ts";
import { ResamplePool } from "./resample_pool.ts";
import { chainOf, DEFAULT_PREPROCESS, planPreprocess, type PreprocessStep } from "./preprocess.ts";
import { readResampled } from "./read_resampled.ts";
import { readBlocks } from "../sources/read_blocks.ts";
import type { PullGate } from "../core/pull_gate.ts";
import type { Block, Recording, Window } from "../core/types.ts";

/** Options of {@linkcode streamWindows}. */
export interface StreamWindowsOptions {
  /** Preprocessing steps applied to each recording. Default: {@linkcode DEFAULT_PREPROCESS}. */
  steps?: readonly PreprocessStep[];
  /**
   * Recordings read at the same time. Their windows come out recording after recording,
   * in the order of `recordings`, whatever the speed of each read (the next recordings'
   * windows wait in memory meanwhile). Default: `workers + 1` (at least 2): one more than the
   * workers, so that a worker that finishes a recording starts the next at once, while the
   * finished one is still being stored in the cache.
   */
  concurrency?: number;
  /**
   * Workers that read and resample raw recordings on other cores (a `ResamplePool` per
   * subscription, terminated when it ends) when the first step is `resample`; 0 reads and
   * resamples on this thread. Either way the windows are the same, bit for bit, in the
   * same order. Workers start only for recordings missing from the cache. Default:
   * `navigator.hardwareConcurrency`.
   */
  workers?: number;
  /** Backpressure gate shared with the sink (see `consume`). Default: none. */
  gate?: PullGate;
  /** Raw samples per hyperslab read. Default: 4096. */
  blockSamples?: number;
  /** Sampling rate of the raw files in Hz. Default: 2034. */
  rawSfreq?: number;
  /** Read only the first samples of each recording (quick runs). Default: all. */
  maxSamples?: number;
  /**
   * Cache of resampled recordings (used when the first step is `resample`), so
   * later epochs do not re-read raw files. Default: none.
   */
  cacheDir?: string;
  /**
   * Training epoch (from 1) when the windows feed training: training-only steps
   * (`augment`) apply, seeded by `seed` and the epoch. Default: none (evaluation).
   */
  epoch?: number;
  /** Seed of training-only steps. Default: 0. */
  seed?: number;
}

/**
 * Streams the windows of `recordings`, each recording read block by block
 * and preprocessed by its own operator chain, recording after recording in the
 * order given, `concurrency` recordings read at once (by `workers` threads when
 * resampling). Cold: every subscription (every epoch) reads again (or from the
 * cache).
 *
 * @param recordings Recordings in the order to start reading them.
 * @param options Steps, concurrency, workers, gate, cache.
 * @returns Windows of all recordings, recording after recording.
 * @throws {RangeError} when `concurrency` is not a positive integer or `workers` not a
 *   non-negative integer; step errors as `preprocess`.
 */
export function streamWindows(
  recordings: readonly Recording[],
  options: StreamWindowsOptions = {},
): Observable<Window> {
  const workers = options.workers ?? Math.max(1, navigator.hardwareConcurrency ?? 1);
  if (!Number.isInteger(workers) || workers < 0) {
    throw new RangeError(`Cannot stream windows: workers must be a non-negative integer, got ${workers}`);
  }
  const concurrency = options.concurrency ?? Math.max(2, workers + 1);
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`Cannot stream windows: concurrency must be a positive integer, got ${concurrency}`);
  }
  const steps = options.steps ?? DEFAULT_PREPROCESS;
  const plan = planPreprocess(steps);
  const readOptions = {
    gate: options.gate,
    blockSamples: options.blockSamples,
    sfreq: options.rawSfreq,
    maxSamples: options.maxSamples,
  };
  // Subject-level steps read a subject's other recordings the same way, without the sink's gate.
  const training = { epoch: options.epoch, seed: options.seed };
  const readKey = (more: object) =>
    JSON.stringify({ blockSamples: options.blockSamples, maxSamples: options.maxSamples, ...more });
  const [first, ...rest] = plan.blockSteps;
  if (first?.op === "resample") {
    const resampleOptions = { ...readOptions, sfreq: first.fromHz ?? options.rawSfreq, toHz: first.toHz };
    const chain = chainOf({ ...plan, blockSteps: rest }, {
      ...training,
      read: (recording) =>
        readResampled(recording, { ...resampleOptions, gate: undefined, cacheDir: options.cacheDir }),
      readKey: readKey({ fromHz: resampleOptions.sfreq ?? null, toHz: first.toHz }),
    });
    return defer(() => {
      const pool = workers > 0 ? new ResamplePool({ workers }) : undefined;
      let previous: Promise<void> = Promise.resolve(); // settles when the recording before has ended
      const read = (recording: Recording) =>
        defer(() => {
          const blocks: Block[] = [];
          const cachedAfter = previous;
          let ended = () => {};
          previous = new Promise<void>((resolve) => (ended = resolve));
          return readResampled(recording, { ...resampleOptions, cacheDir: options.cacheDir, pool, cachedAfter }).pipe(
            tap((block) => blocks.push(block)),
            chain,
            finalize(() => {
              releaseBlocks(blocks);
              ended();
            }),
          );
        });
      return from(recordings).pipe(mergeMapOrdered(read, concurrency), finalize(() => pool?.close()));
    });
  }
  const chain = chainOf(plan, {
    ...training,
    read: (recording) => readBlocks(recording, { ...readOptions, gate: undefined }),
    readKey: readKey({ rawSfreq: options.rawSfreq ?? null }),
  });
  return from(recordings).pipe(
    mergeMapOrdered((recording) => readBlocks(recording, readOptions).pipe(chain), concurrency),
  );
}

/**
 * Frees the samples of a recording's resampled blocks once its chain has ended. The blocks
 * come from `readResampled` (each with a buffer of its own: a worker's transferred block, the
 * kernel's output, or the bytes of a cache file) and every step makes new arrays (`window`
 * copies), so nothing refers to them any more. Freed now, they do not wait for V8's next
 * major collection, which lets up to 100 MB of dead buffers pile up on the stream's thread.
 */
function releaseBlocks(blocks: readonly Block[]): void {
  for (const { data } of blocks) {
    const buffer = data.buffer;
    if (buffer instanceof ArrayBuffer && !buffer.detached) buffer.transfer(0);
  }
}
