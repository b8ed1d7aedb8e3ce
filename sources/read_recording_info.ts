/**
 * Validated metadata of one recording file, without reading its samples.
 *
 * @module
 */

import { h5Module, openRecordingFile } from "./_h5.ts";
import { parseRecordingFileName } from "./parse_recording_file_name.ts";
import { N_SENSORS } from "../core/types.ts";

/** Options of {@linkcode readRecordingInfo}. */
export interface ReadRecordingInfoOptions {
  /**
   * Name the one dataset must have; `null` accepts the file's one dataset whatever its name
   * (a file whose name does not say it, such as an upload). Default: `<taskType>_<subject>`
   * from the file name.
   */
  datasetName?: string | null;
  /** Number of rows (sensors) the dataset must have. Default {@linkcode N_SENSORS} (248). */
  expectedChannels?: number;
}

/** What a recording file holds. */
export interface RecordingInfo {
  /** Name of its one dataset, e.g. `rest_162935`. */
  datasetName: string;
  /** `[nChans, nTimes]`. */
  shape: [number, number];
  /** `float64` or `float32`. */
  dtype: "float64" | "float32";
  /** Chunk shape of a chunked dataset, `null` for contiguous storage (as h5py writes by default). */
  chunks: number[] | null;
  /** Filters of a chunked dataset, e.g. `["shuffle", "deflate"]`; empty when uncompressed. */
  filters: string[];
}

/**
 * Opens a recording file, checks it as {@linkcode readBlocks} does (one 2-D float
 * dataset with the expected name and number of rows, file complete) and returns its
 * metadata. No samples are read, so non-finite values are not detected here.
 *
 * @param path The h5 file.
 * @param options Expected dataset name (or `null`: any) and number of rows.
 * @returns Dataset name, shape, dtype and storage.
 * @throws {DataFileError} when the file is missing, not HDF5, truncated or corrupt, when
 *   the file name does not follow `<taskType>_<subject>_<chunk>.h5` and no `datasetName`
 *   (or `null`) is given, or when the dataset is not as expected.
 * @throws {RangeError} when `expectedChannels` is not a positive integer.
 *
 * @example
 * ```ts
 * import { readRecordingInfo } from "./read_recording_info.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const info = await readRecordingInfo("tests/fixtures/h5py/valid/Cross/test1/rest_162935_9.h5");
 * assertEquals(info.datasetName, "rest_162935");
 * assertEquals(info.shape, [248, 300]);
 * assertEquals(info.dtype, "float64");
 *
 * // A file of any name: its one dataset, whatever it is called.
 * const any = await readRecordingInfo("tests/fixtures/h5py/invalid/wrong_name/rest_100307_5.h5", { datasetName: null });
 * assertEquals(any.datasetName, "task_motor_100307");
 * ```
 */
export async function readRecordingInfo(path: string, options: ReadRecordingInfoOptions = {}): Promise<RecordingInfo> {
  const { expectedChannels = N_SENSORS } = options;
  if (!Number.isInteger(expectedChannels) || expectedChannels < 1) {
    throw new RangeError(
      `Cannot read recording info: expectedChannels must be a positive integer, got ${expectedChannels}`,
    );
  }
  const datasetName = options.datasetName === undefined
    ? parseRecordingFileName(path).datasetName
    : options.datasetName;
  const module = await h5Module();
  const { file, info } = openRecordingFile(module, path, { datasetName, expectedChannels });
  file.close();
  return {
    datasetName: info.name,
    shape: [info.shape[0], info.shape[1]],
    dtype: info.dtype as "float64" | "float32",
    chunks: info.chunks,
    filters: info.filters,
  };
}
