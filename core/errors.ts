/**
 * Errors about input files. Every message starts with the file's path and says
 * what was expected and what was found.
 *
 * @module
 */

/**
 * A data file (or folder) that cannot be used: corrupt or truncated h5, wrong
 * dataset name, shape or dtype, non-finite values, unknown file name, missing folder.
 *
 * @example
 * ```ts
 * import { DataFileError } from "./errors.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const error = new DataFileError("/data/rest_1_1.h5", "expected 248 rows, got 247");
 * assertEquals(error.message, "/data/rest_1_1.h5: expected 248 rows, got 247");
 * assertEquals(error.path, "/data/rest_1_1.h5");
 * ```
 */
export class DataFileError extends Error {
  /** The file or folder the error is about. */
  readonly path: string;
  /** What is wrong with it, without the path. */
  readonly reason: string;

  /**
   * @param path The file or folder.
   * @param reason What is wrong, e.g. `expected 248 rows, got 247`.
   * @param options Standard error options (`cause`).
   */
  constructor(path: string, reason: string, options?: ErrorOptions) {
    super(`${path}: ${reason}`, options);
    this.name = "DataFileError";
    this.path = path;
    this.reason = reason;
  }
}
