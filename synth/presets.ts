/**
 * Dataset layouts of the synthetic generator: `full` mirrors the assignment
 * data exactly; `small` keeps every folder and class at a size fit for tests.
 *
 * @module
 */

/** Name of a built-in dataset layout. */
export type SynthPreset = "full" | "small";

/** How many files of what length, for which subjects, a synthetic dataset holds. */
export interface DatasetLayout {
  /** Samples per channel in every file. */
  nTimes: number;
  /** Sampling rate in Hz. */
  sfreq: number;
  /** Chunks per class in `Intra/train` (chunks 1..n). */
  intraTrainChunks: number;
  /** Chunks per class in `Intra/test` (numbered after the train chunks). */
  intraTestChunks: number;
  /** Chunks per class and subject in `Cross/train` (chunks 1..n). */
  crossTrainChunks: number;
  /** Chunks per class in each `Cross/testK` (numbered after the cross train chunks). */
  crossTestChunks: number;
  /** Subject of the `Intra` folders. */
  intraSubject: string;
  /** Subjects of `Cross/train`. */
  crossTrainSubjects: readonly string[];
  /** One unseen subject per `Cross/test1`, `Cross/test2`, ... */
  crossTestSubjects: readonly string[];
}

const SUBJECTS = {
  intraSubject: "105923",
  crossTrainSubjects: ["113922", "164636"],
  crossTestSubjects: ["162935", "707749", "725751"],
} as const;

/**
 * The built-in layouts.
 * - `full`: 248 x 35624 at 2034 Hz; Intra 8 + 2 chunks per class, Cross/train
 *   2 subjects x 8 chunks, three test subjects x 2 chunks: 128 files, ~9.05 GB.
 * - `small`: 248 x 4096 (~2 s); one chunk per class everywhere: 28 files, ~228 MB.
 *
 * @example
 * ```ts
 * import { SYNTH_PRESETS } from "./presets.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(SYNTH_PRESETS.full.nTimes, 35624);
 * assertEquals(SYNTH_PRESETS.full.crossTestSubjects.length, 3);
 * ```
 */
export const SYNTH_PRESETS: Readonly<Record<SynthPreset, Readonly<DatasetLayout>>> = {
  full: {
    nTimes: 35624,
    sfreq: 2034,
    intraTrainChunks: 8,
    intraTestChunks: 2,
    crossTrainChunks: 8,
    crossTestChunks: 2,
    ...SUBJECTS,
  },
  small: {
    nTimes: 4096,
    sfreq: 2034,
    intraTrainChunks: 1,
    intraTestChunks: 1,
    crossTrainChunks: 1,
    crossTestChunks: 1,
    ...SUBJECTS,
  },
};
