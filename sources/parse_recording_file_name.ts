/**
 * What the name of an assignment h5 file says about its recording.
 *
 * @module
 */

import { DataFileError } from "../core/errors.ts";
import { type Label, LABEL_OF_TASK, type TaskType } from "../core/types.ts";

/** The fields of a {@linkcode Recording} that its file name determines. */
export interface RecordingFileName {
  /** Task type, e.g. `task_story_math`. */
  taskType: TaskType;
  /** Brain state of the recording, e.g. `math`. */
  label: Label;
  /** Subject identifier (digits, kept as written, e.g. `"105923"`). */
  subject: string;
  /** Chunk number. */
  chunk: number;
  /** Name of the one dataset the file must hold: `<taskType>_<subject>`. */
  datasetName: string;
}

/** The file name pattern, in words, as error messages show it. */
export const RECORDING_FILE_PATTERN =
  "<taskType>_<subject>_<chunk>.h5 with taskType rest, task_motor, task_story_math or task_working_memory, " +
  "subject and chunk digits";

const FILE_NAME = /^(rest|task_motor|task_story_math|task_working_memory)_(\d+)_(\d+)\.h5$/;

/**
 * Parses the name of an assignment h5 file, `<taskType>_<subject>_<chunk>.h5`.
 *
 * Only the last path component is looked at; folders are ignored. Pure: the file
 * need not exist.
 *
 * @param path File name or path, with `/` or `\` as separator.
 * @returns Task type, label, subject, chunk and the expected dataset name.
 * @throws {DataFileError} when the name does not follow the pattern (the message names
 *   the file and the expected pattern).
 *
 * @example
 * ```ts
 * import { parseRecordingFileName } from "./parse_recording_file_name.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(parseRecordingFileName("data/Cross/test1/task_story_math_162935_4.h5"), {
 *   taskType: "task_story_math",
 *   label: "math",
 *   subject: "162935",
 *   chunk: 4,
 *   datasetName: "task_story_math_162935",
 * });
 * ```
 */
export function parseRecordingFileName(path: string): RecordingFileName {
  if (typeof path !== "string") {
    throw new TypeError(`Cannot parse recording file name: expected a string, got ${typeof path}`);
  }
  const name = path.split(/[\\/]/).pop() ?? "";
  const match = FILE_NAME.exec(name);
  if (!match) {
    throw new DataFileError(path, `file name ${JSON.stringify(name)} does not match ${RECORDING_FILE_PATTERN}`);
  }
  const taskType = match[1] as TaskType;
  const subject = match[2];
  const chunk = Number(match[3]);
  if (!Number.isSafeInteger(chunk)) {
    throw new DataFileError(path, `chunk number ${match[3]} in the file name is too large`);
  }
  return { taskType, label: LABEL_OF_TASK[taskType], subject, chunk, datasetName: `${taskType}_${subject}` };
}
