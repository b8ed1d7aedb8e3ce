/**
 * The fit phase of the subject-level preprocessing steps (`align`,
 * `subjectZscore`): one pass over all recordings of a subject that estimates
 * per-channel moments (pooled) and, when asked, the mean spatial covariance
 * (the mean of each recording's covariance).
 *
 * Which recordings belong to a subject: by default the `.h5` files of the same
 * folder with the same subject in their name. For training subjects those are
 * their training recordings; for a test subject, its own test recordings,
 * **without their labels**: this is transductive adaptation (the test data are
 * used, unlabelled, to estimate a normalisation), legitimate when all of a new
 * subject's recordings are available before classifying them, as in the
 * assignment's test folders. A recording can therefore only be preprocessed
 * once its whole folder can be read.
 *
 * Results are kept in memory (the last 32 subjects), keyed by the files'
 * identities (path, size, modification time) and the preprocessing before the
 * step, so every epoch and every split reuses one pass per subject.
 *
 * @module
 */
import { ignoreElements, lastValueFrom, type Observable, tap } from "rxjs";
import { dirname, resolve } from "node:path";
import { ChannelStats } from "../operators/_normalise.ts";
import { ChannelCovariance } from "../operators/euclidean_align.ts";
import type { ChannelMoments } from "../operators/subject_zscore.ts";
import { catalog, recordingsOf } from "../sources/catalog.ts";
import { DataFileError } from "../core/errors.ts";
import { readBlocks } from "../sources/read_blocks.ts";
import type { Block, Recording } from "../core/types.ts";

/** What {@linkcode fitSubjectStatistics} estimates. */
export interface SubjectStatistics {
  /** Subject identifier. */
  subject: string;
  /** Paths of the recordings read, in catalogue order. */
  recordings: string[];
  /** Number of channels. */
  nChans: number;
  /** Samples per channel over all recordings. */
  samples: number;
  /** Mean and population standard deviation of each channel over all the subject's samples. */
  moments: ChannelMoments;
  /**
   * Mean over recordings of each recording's spatial covariance (about its own
   * channel means), row-major `nChans x nChans`; only when `covariance` was asked.
   */
  covariance?: Float64Array;
}

/** Options of {@linkcode fitSubjectStatistics}. */
export interface FitSubjectStatisticsOptions {
  /**
   * The blocks of a recording as the step sees them (read and preprocessed by
   * the steps before it). Default: the raw blocks (`readBlocks(recording)`).
   */
  source?(recording: Recording): Observable<Block>;
  /**
   * Identity of `source` for the in-memory cache (e.g. the steps before and the
   * reading options as JSON). Two calls with the same key and the same files
   * share one pass. Default: `"raw"`.
   */
  sourceKey?: string;
  /** Also estimate the mean spatial covariance. Default: false. */
  covariance?: boolean;
  /** The recordings of the subject of `recording`. Default: {@linkcode subjectRecordings}. */
  siblings?(recording: Recording): Promise<Recording[]>;
}

const MAX_ENTRIES = 32;
const memo = new Map<string, Promise<SubjectStatistics>>();

/**
 * The recordings of the same subject in the same folder as `recording`
 * (catalogue order; unknown file names are skipped).
 *
 * @param recording A recording whose file exists.
 * @returns The subject's recordings, `recording` included.
 * @throws {DataFileError} when the folder cannot be read or holds no recording of the subject.
 *
 * @example
 * ```ts
 * import { subjectRecordings } from "./fit_subject_statistics.ts";
 * import type { Recording } from "../core/types.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const dir = await Deno.makeTempDir();
 * for (const name of ["rest_1_1.h5", "task_motor_1_2.h5", "rest_2_1.h5"]) await Deno.writeFile(`${dir}/${name}`, new Uint8Array());
 * const siblings = await subjectRecordings({ path: `${dir}/rest_1_1.h5`, subject: "1" } as Recording);
 * assertEquals(siblings.map((r) => r.label), ["rest", "motor"]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function subjectRecordings(recording: Recording): Promise<Recording[]> {
  const folder = dirname(resolve(recording.path));
  const table = await catalog(folder, { onUnknown: "skip", onWarning: () => {} });
  const found = recordingsOf(table).filter((r) => r.subject === recording.subject && dirname(r.path) === folder);
  if (found.length === 0) {
    throw new DataFileError(folder, `expected recordings of subject ${recording.subject}, found none`);
  }
  return found;
}

async function identity(recordings: readonly Recording[]): Promise<Array<[string, number, number | null]>> {
  return await Promise.all(recordings.map(async (r) => {
    const stat = await Deno.stat(r.path);
    return [resolve(r.path), stat.size, stat.mtime?.getTime() ?? null] as [string, number, number | null];
  }));
}

/**
 * Estimates the statistics of the subject of `recording` from all the
 * subject's recordings (see the module doc for which, and for the cache).
 * Recordings are read one after the other; memory stays at one block plus
 * `nChans²` numbers per recording in flight.
 *
 * @param recording Any recording of the subject.
 * @param options Source of blocks, cache key, covariance, sibling lookup.
 * @returns Moments, and the mean covariance when asked.
 * @throws {DataFileError} for unreadable files; {@linkcode TypeError} when the
 *   recordings disagree on the number of channels; {@linkcode RangeError} when they hold no sample.
 *
 * @example
 * ```ts
 * import { of } from "rxjs";
 * import { fitSubjectStatistics } from "./fit_subject_statistics.ts";
 * import type { Block, Recording } from "../core/types.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const recordings = [1, 2].map((chunk) => ({ path: `rest_7_${chunk}.h5`, subject: "7", chunk }) as Recording);
 * const source = (recording: Recording) =>
 *   of<Block>({ recording, startSample: 0, sfreq: 1, nChans: 1, nTimes: 2, data: Float64Array.of(recording.chunk, recording.chunk) });
 * const stats = await fitSubjectStatistics(recordings[0], {
 *   source, sourceKey: "example", siblings: () => Promise.resolve(recordings), covariance: true,
 * });
 * assertEquals([stats.moments.mean[0], stats.moments.sd[0]], [1.5, 0.5]); // pooled over both recordings
 * assertEquals(stats.covariance![0], 0); // each recording is constant: zero covariance within it
 * ```
 */
export async function fitSubjectStatistics(
  recording: Recording,
  options: FitSubjectStatisticsOptions = {},
): Promise<SubjectStatistics> {
  const siblings = await (options.siblings ?? subjectRecordings)(recording);
  const files = await identity(siblings).catch(() => siblings.map((r) => [r.path, 0, null]));
  const key = JSON.stringify({ source: options.sourceKey ?? "raw", covariance: options.covariance ?? false, files });
  let entry = memo.get(key);
  if (entry === undefined) {
    entry = fitOnce(recording.subject, siblings, options);
    memo.set(key, entry);
    entry.catch(() => memo.delete(key));
    while (memo.size > MAX_ENTRIES) memo.delete(memo.keys().next().value!);
  } else {
    memo.delete(key); // most recently used last
    memo.set(key, entry);
  }
  return await entry;
}

async function fitOnce(
  subject: string,
  recordings: readonly Recording[],
  options: FitSubjectStatisticsOptions,
): Promise<SubjectStatistics> {
  const source = options.source ?? ((r: Recording) => readBlocks(r));
  let stats: ChannelStats | undefined;
  let covarianceSum: Float64Array | undefined;
  let covariances = 0;
  for (const recording of recordings) {
    let covariance: ChannelCovariance | undefined;
    await lastValueFrom(
      source(recording).pipe(
        tap((block) => {
          stats ??= new ChannelStats(block.nChans);
          if (block.nChans !== stats.nChans) {
            throw new TypeError(
              `Cannot fit subject ${subject}: expected ${stats.nChans} channels in ${recording.path}, got ${block.nChans}`,
            );
          }
          stats.update(block.data, block.nTimes);
          if (options.covariance) {
            covariance ??= new ChannelCovariance(block.nChans);
            covariance.update(block.data, block.nTimes);
          }
        }),
        ignoreElements(),
      ),
      { defaultValue: undefined },
    );
    if (covariance && covariance.count > 0) {
      const c = covariance.covariance();
      covarianceSum ??= new Float64Array(c.length);
      for (let i = 0; i < c.length; i++) covarianceSum[i] += c[i];
      covariances++;
    }
  }
  if (!stats || stats.count === 0) {
    throw new RangeError(`Cannot fit subject ${subject}: its ${recordings.length} recordings hold no sample`);
  }
  const moments: ChannelMoments = {
    mean: new Float64Array(stats.mean),
    sd: Float64Array.from({ length: stats.nChans }, (_, c) => (stats!.max[c] > stats!.min[c] ? stats!.sd(c) : 0)),
  };
  const result: SubjectStatistics = {
    subject,
    recordings: recordings.map((r) => r.path),
    nChans: stats.nChans,
    samples: stats.count,
    moments,
  };
  if (covarianceSum) result.covariance = covarianceSum.map((x) => x / covariances);
  return result;
}
