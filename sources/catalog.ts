/**
 * The catalogue of a dataset folder: one table row per h5 recording.
 *
 * @module
 */

import * as aq from "arquero";
import { DataFileError } from "../core/errors.ts";
import { parseRecordingFileName } from "./parse_recording_file_name.ts";
import type { Label, Recording, TaskType } from "../core/types.ts";

/** Options of {@linkcode catalog}. */
export interface CatalogOptions {
  /**
   * Keep only these splits (folder paths relative to `dir`, e.g. `["Cross/test1"]`).
   * A listed split without any h5 file is an error. Default: every split found.
   */
  splits?: string[];
  /**
   * What to do with an `.h5` file whose name is not `<taskType>_<subject>_<chunk>.h5`:
   * `"error"` throws a {@linkcode DataFileError}, `"skip"` leaves it out and reports it
   * through `onWarning`. Default `"error"`.
   */
  onUnknown?: "error" | "skip";
  /** Receives one message per skipped file. Default `console.warn`. */
  onWarning?: (message: string) => void;
}

/** The columns of a catalogue table, in order. */
export const CATALOG_COLUMNS = ["path", "split", "taskType", "label", "subject", "chunk", "datasetName"] as const;

interface FoundFile {
  path: string;
  split: string;
}

/**
 * Lists the h5 recordings of a dataset folder as an Arquero table.
 *
 * `dir` may be a dataset root (holding e.g. `Intra/train`, `Cross/test1`) or a single
 * split folder. The split of a file is the path of its folder relative to `dir`, written
 * with `/` (`Cross/test1`), or the name of `dir` itself for files directly in `dir`.
 * Subfolders are searched recursively. Only `*.h5` files count; other files are ignored,
 * and so are hidden files and folders (names starting with `.`, such as macOS `._x.h5`
 * resource forks) and `__MACOSX` folders. Nothing is written into the folder.
 *
 * Columns: `path` (`dir` joined with the relative path), `split`, `taskType`, `label`,
 * `subject`, `chunk` (number), `datasetName`. Rows are sorted by split (code unit
 * order), subject (numerically), task type (code unit order) and chunk (numerically).
 *
 * @param dir Dataset root or split folder.
 * @param options Split filter and the handling of unknown file names.
 * @returns The catalogue table.
 * @throws {DataFileError} when `dir` does not exist or is not a folder, when it holds no
 *   h5 file (after the split filter), when a listed split has no h5 file, or when an
 *   h5 file name is unknown and `onUnknown` is `"error"`.
 * @throws {TypeError} when `splits` is not an array of strings.
 * @throws {RangeError} when `onUnknown` is neither `"error"` nor `"skip"`.
 *
 * @example
 * ```ts
 * import { catalog, recordingsOf, splitsOf } from "./catalog.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const dir = await Deno.makeTempDir();
 * await Deno.mkdir(`${dir}/Cross/test1`, { recursive: true });
 * for (const name of ["task_motor_162935_2.h5", "rest_162935_10.h5", "rest_162935_9.h5", "notes.txt"]) {
 *   await Deno.writeFile(`${dir}/Cross/test1/${name}`, new Uint8Array());
 * }
 * const table = await catalog(dir);
 * assertEquals(table.numRows(), 3);
 * assertEquals(splitsOf(table), ["Cross/test1"]);
 * assertEquals(recordingsOf(table).map((r) => `${r.label} ${r.chunk}`), ["rest 9", "rest 10", "motor 2"]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function catalog(dir: string, options: CatalogOptions = {}): Promise<aq.ColumnTable> {
  const { splits, onUnknown = "error", onWarning = console.warn } = options;
  if (splits !== undefined && (!Array.isArray(splits) || splits.some((s) => typeof s !== "string"))) {
    throw new TypeError(`Cannot catalog ${dir}: splits must be an array of strings, got ${JSON.stringify(splits)}`);
  }
  if (onUnknown !== "error" && onUnknown !== "skip") {
    throw new RangeError(
      `Cannot catalog ${dir}: onUnknown must be "error" or "skip", got ${JSON.stringify(onUnknown)}`,
    );
  }
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(dir);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new DataFileError(dir, "folder does not exist", { cause: error });
    }
    throw new DataFileError(dir, `cannot open folder: ${(error as Error).message}`, { cause: error });
  }
  if (!info.isDirectory) {
    throw new DataFileError(dir, "expected a dataset folder, found a file");
  }
  const root = dir.length > 1 ? dir.replace(/[\\/]+$/, "") : dir;
  const ownName = rootName(root);
  const found: FoundFile[] = [];
  await collectH5Files(root, [], ownName, found, new Set([await Deno.realPath(root)]));
  const wanted = splits === undefined ? found : found.filter((file) => splits.includes(file.split));
  if (splits !== undefined) {
    const present = new Set(found.map((file) => file.split));
    const missing = splits.filter((split) => !present.has(split));
    if (missing.length > 0) {
      throw new DataFileError(
        dir,
        `expected h5 files in split ${missing.join(", ")}, found splits: ${[...present].sort().join(", ") || "none"}`,
      );
    }
  }
  if (wanted.length === 0) {
    throw new DataFileError(dir, "expected *.h5 recordings in the folder or its subfolders, found none");
  }

  const rows: Recording[] = [];
  for (const file of wanted) {
    try {
      rows.push({ path: file.path, split: file.split, ...parseRecordingFileName(file.path) });
    } catch (error) {
      if (onUnknown === "error" || !(error instanceof DataFileError)) throw error;
      onWarning(`catalog: skipping ${error.message}`);
    }
  }
  if (rows.length === 0) {
    throw new DataFileError(dir, "expected *.h5 recordings named <taskType>_<subject>_<chunk>.h5, found none");
  }
  rows.sort(compareRecordings);
  return aq.table({
    path: rows.map((r) => r.path),
    split: rows.map((r) => r.split),
    taskType: rows.map((r) => r.taskType),
    label: rows.map((r) => r.label),
    subject: rows.map((r) => r.subject),
    chunk: rows.map((r) => r.chunk),
    datasetName: rows.map((r) => r.datasetName),
  });
}

/**
 * The rows of a catalogue table as {@linkcode Recording} records, in table order.
 *
 * @param table A table with the columns of {@linkcode catalog} (possibly filtered or
 *   reordered with Arquero verbs).
 * @returns One recording per row.
 * @throws {TypeError} when a catalogue column is missing.
 *
 * @example
 * ```ts
 * import * as aq from "arquero";
 * import { recordingsOf } from "./catalog.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const table = aq.table({
 *   path: ["d/rest_1_2.h5"], split: ["d"], taskType: ["rest"], label: ["rest"],
 *   subject: ["1"], chunk: [2], datasetName: ["rest_1"],
 * });
 * assertEquals(recordingsOf(table)[0].chunk, 2);
 * ```
 */
export function recordingsOf(table: aq.ColumnTable): Recording[] {
  const names = table.columnNames();
  const missing = CATALOG_COLUMNS.filter((name) => !names.includes(name));
  if (missing.length > 0) {
    throw new TypeError(
      `Cannot read recordings: expected catalogue columns ${CATALOG_COLUMNS.join(", ")}, missing ${missing.join(", ")}`,
    );
  }
  const columns = CATALOG_COLUMNS.map((name) => table.array(name) as ArrayLike<unknown>);
  const [path, split, taskType, label, subject, chunk, datasetName] = columns;
  const recordings: Recording[] = [];
  for (let i = 0; i < table.numRows(); i++) {
    recordings.push({
      path: String(path[i]),
      split: String(split[i]),
      taskType: taskType[i] as TaskType,
      label: label[i] as Label,
      subject: String(subject[i]),
      chunk: Number(chunk[i]),
      datasetName: String(datasetName[i]),
    });
  }
  return recordings;
}

/**
 * The distinct splits of a catalogue table, in order of first appearance.
 *
 * @param table A table with a `split` column.
 * @returns Split names, e.g. `["Cross/test1", "Cross/train"]`.
 * @throws {TypeError} when the table has no `split` column.
 *
 * @example
 * ```ts
 * import * as aq from "arquero";
 * import { splitsOf } from "./catalog.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(splitsOf(aq.table({ split: ["Cross/test1", "Cross/test1", "Cross/train"] })), [
 *   "Cross/test1",
 *   "Cross/train",
 * ]);
 * ```
 */
export function splitsOf(table: aq.ColumnTable): string[] {
  if (!table.columnNames().includes("split")) {
    throw new TypeError(`Cannot list splits: expected a split column, got ${table.columnNames().join(", ")}`);
  }
  return [...new Set(Array.from(table.array("split") as ArrayLike<unknown>, String))];
}

function rootName(root: string): string {
  const parts = root.split(/[\\/]/).filter((part) => part !== "" && part !== ".");
  if (parts.length > 0 && parts[parts.length - 1] !== "..") return parts[parts.length - 1];
  try {
    return Deno.realPathSync(root).split(/[\\/]/).filter((part) => part !== "").pop() ?? root;
  } catch {
    return root;
  }
}

async function collectH5Files(
  root: string,
  relative: string[],
  ownName: string,
  found: FoundFile[],
  visited: Set<string>,
): Promise<void> {
  const folder = [root, ...relative].join("/");
  const entries: Deno.DirEntry[] = [];
  for await (const entry of Deno.readDir(folder)) entries.push(entry);
  entries.sort((a, b) => compareText(a.name, b.name));
  for (const entry of entries) {
    if (entry.name.startsWith(".") || entry.name === "__MACOSX") continue;
    const path = `${folder}/${entry.name}`;
    let isDirectory = entry.isDirectory;
    let isFile = entry.isFile;
    if (entry.isSymlink) {
      try {
        const target = await Deno.stat(path);
        isDirectory = target.isDirectory;
        isFile = target.isFile;
      } catch {
        continue; // a dangling link is not a recording
      }
    }
    if (isDirectory) {
      const real = await Deno.realPath(path);
      if (visited.has(real)) continue; // a link back into the tree
      visited.add(real);
      await collectH5Files(root, [...relative, entry.name], ownName, found, visited);
    } else if (isFile && entry.name.toLowerCase().endsWith(".h5")) {
      found.push({ path, split: relative.length === 0 ? ownName : relative.join("/") });
    }
  }
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareRecordings(a: Recording, b: Recording): number {
  return compareText(a.split, b.split) || a.subject.length - b.subject.length || compareText(a.subject, b.subject) ||
    compareText(a.taskType, b.taskType) || a.chunk - b.chunk || compareText(a.path, b.path);
}
