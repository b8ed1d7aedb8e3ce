/**
 * Checks every file of a run up front (header, dataset name, shape, dtype,
 * size), reading metadata only, so that a bad file fails in seconds with its
 * name instead of after minutes of training.
 *
 * @module
 */
import { DataFileError } from "../core/errors.ts";
import { N_SENSORS, type Recording } from "../core/types.ts";
import { readRecordingInfo, type RecordingInfo } from "./read_recording_info.ts";

/** Options of {@linkcode validateRecordings}. */
export interface ValidateRecordingsOptions {
  /** Number of rows (sensors) every file must have. Default {@linkcode N_SENSORS} (248). */
  expectedChannels?: number;
}

/** A recording and what its file holds. */
export interface ValidatedRecording {
  /** The recording. */
  recording: Recording;
  /** Its file's dataset name, shape, dtype and storage. */
  info: RecordingInfo;
}

/**
 * Opens every recording's file as the readers do and checks it without reading
 * its samples: an HDF5 file that exists and is complete (its superblock's end of
 * file within the file), exactly one dataset, named `recording.datasetName`,
 * of shape `[expectedChannels, nTimes]`, float64 (or float32), and, for contiguous
 * storage, a file large enough to hold it. Every file is checked even after a bad
 * one, so the error says how many are bad.
 *
 * @param recordings The recordings of a run (duplicates are checked once).
 * @param options Expected number of rows.
 * @returns Each recording with its file's metadata, in the given order.
 * @throws {DataFileError} naming the first bad file and what is wrong with it; when
 *   several are bad, the reason ends with how many and the next few paths.
 *
 * @example
 * ```ts
 * import { validateRecordings } from "./validate_recordings.ts";
 * import { parseRecordingFileName } from "./parse_recording_file_name.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const path = "tests/fixtures/h5py/valid/Cross/test1/rest_162935_9.h5";
 * const [checked] = await validateRecordings([{ path, split: "Cross/test1", ...parseRecordingFileName(path) }]);
 * assertEquals(checked.info.shape, [248, 300]);
 * ```
 */
export async function validateRecordings(
  recordings: readonly Recording[],
  options: ValidateRecordingsOptions = {},
): Promise<ValidatedRecording[]> {
  const { expectedChannels = N_SENSORS } = options;
  const infos = new Map<string, RecordingInfo>();
  const bad: DataFileError[] = [];
  for (const recording of recordings) {
    if (infos.has(recording.path)) continue;
    try {
      infos.set(
        recording.path,
        await readRecordingInfo(recording.path, { datasetName: recording.datasetName, expectedChannels }),
      );
    } catch (error) {
      if (!(error instanceof DataFileError)) throw error;
      if (!bad.some((b) => b.path === recording.path)) bad.push(error);
    }
  }
  if (bad.length > 0) throw badFiles(bad);
  return recordings.map((recording) => ({ recording, info: infos.get(recording.path)! }));
}

function badFiles(bad: DataFileError[]): DataFileError {
  const [first, ...others] = bad;
  if (others.length === 0) return first;
  const shown = others.slice(0, 3).map((e) => e.path).join(", ");
  const more = others.length > 3 ? `, ...` : "";
  return new DataFileError(
    first.path,
    `${first.reason} (and ${others.length} more bad file${others.length === 1 ? "" : "s"}: ${shown}${more})`,
    { cause: first },
  );
}
