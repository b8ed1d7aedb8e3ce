/**
 * `predictions.csv` of a run folder: one line per evaluated window, readable
 * by people (class names next to class indices) and by pandas or R, and read
 * back losslessly by {@linkcode parsePredictionsCsv}.
 *
 * Columns: `split,subject,recording,start_sample,label,label_name,predicted,
 * predicted_name,p_rest,p_math,p_memory,p_motor` (one `p_<name>` per label).
 * Fields are quoted as in RFC 4180 when they hold a comma, quote or line
 * break; numbers are written with JavaScript's shortest exact form.
 *
 * @module
 */
import { LABELS } from "../core/types.ts";
import type { PredictionRow } from "./metrics.ts";

/** Options of {@linkcode predictionsToCsv} and {@linkcode parsePredictionsCsv}. */
export interface PredictionsCsvOptions {
  /** Class names in index order, used for `*_name` and `p_<name>` columns. Default: {@linkcode LABELS}. */
  labels?: readonly string[];
}

function headerOf(labels: readonly string[]): string[] {
  return [
    "split",
    "subject",
    "recording",
    "start_sample",
    "label",
    "label_name",
    "predicted",
    "predicted_name",
    ...labels.map((name) => `p_${name}`),
  ];
}

function quote(field: string): string {
  return /[",\r\n]/.test(field) ? `"${field.replaceAll('"', '""')}"` : field;
}

/**
 * Writes prediction rows as CSV text with a header line and a final newline.
 *
 * @param rows One row per window.
 * @param options Class names.
 * @returns The CSV text.
 * @throws {RangeError} A class index outside the labels.
 * @throws {TypeError} A `probs` array whose length differs from the number of labels.
 *
 * @example
 * ```ts
 * import { predictionsToCsv } from "./predictions_csv.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const csv = predictionsToCsv([{
 *   split: "Cross/test1", subject: "162935", recording: "rest_162935_9.h5", startSample: 250,
 *   label: 0, predicted: 3, probs: [0.25, 0.125, 0.125, 0.5],
 * }]);
 * assertEquals(csv.split("\n")[1], "Cross/test1,162935,rest_162935_9.h5,250,0,rest,3,motor,0.25,0.125,0.125,0.5");
 * ```
 */
export function predictionsToCsv(rows: readonly PredictionRow[], options: PredictionsCsvOptions = {}): string {
  const labels = options.labels ?? LABELS;
  const lines = [headerOf(labels).join(",")];
  rows.forEach((row, i) => {
    for (const key of ["label", "predicted"] as const) {
      if (!Number.isInteger(row[key]) || row[key] < 0 || row[key] >= labels.length) {
        throw new RangeError(
          `Cannot write predictions: row ${i} ${key} must be a class index in [0, ${labels.length}), got ${row[key]}`,
        );
      }
    }
    if (row.probs.length !== labels.length) {
      throw new TypeError(
        `Cannot write predictions: row ${i} probs must have ${labels.length} values, got ${row.probs.length}`,
      );
    }
    lines.push([
      quote(row.split),
      quote(row.subject),
      quote(row.recording),
      String(row.startSample),
      String(row.label),
      quote(labels[row.label]),
      String(row.predicted),
      quote(labels[row.predicted]),
      ...row.probs.map(String),
    ].join(","));
  });
  return lines.join("\n") + "\n";
}

/** Splits CSV text into records of fields (RFC 4180: quoted fields may hold commas, quotes, newlines). */
function records(text: string): { fields: string[]; line: number }[] {
  const out: { fields: string[]; line: number }[] = [];
  let fields: string[] = [];
  let field = "";
  let line = 1;
  let recordLine = 1;
  let i = 0;
  let quoted = false;
  let atFieldStart = true;
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (c === '"') quoted = false;
      else {
        if (c === "\n") line++;
        field += c;
      }
      i++;
      continue;
    }
    if (c === '"' && atFieldStart) {
      quoted = true;
      atFieldStart = false;
      i++;
    } else if (c === ",") {
      fields.push(field);
      field = "";
      atFieldStart = true;
      i++;
    } else if (c === "\n" || c === "\r") {
      fields.push(field);
      out.push({ fields, line: recordLine });
      fields = [];
      field = "";
      atFieldStart = true;
      i += c === "\r" && text[i + 1] === "\n" ? 2 : 1;
      recordLine = ++line;
    } else {
      field += c;
      atFieldStart = false;
      i++;
    }
  }
  if (quoted) throw new TypeError(`Cannot parse predictions CSV: line ${recordLine} has an unclosed quote`);
  if (field !== "" || fields.length > 0) {
    fields.push(field);
    out.push({ fields, line: recordLine });
  }
  return out.filter((r) => !(r.fields.length === 1 && r.fields[0] === ""));
}

function parseNumber(text: string, what: string, line: number): number {
  const value = text.trim() === "" ? NaN : Number(text);
  if (!Number.isFinite(value)) {
    throw new TypeError(`Cannot parse predictions CSV: line ${line} ${what} must be a number, got "${text}"`);
  }
  return value;
}

function parseIndex(text: string, name: string, what: string, labels: readonly string[], line: number): number {
  const value = parseNumber(text, what, line);
  if (!Number.isInteger(value) || value < 0 || value >= labels.length) {
    throw new RangeError(
      `Cannot parse predictions CSV: line ${line} ${what} must be a class index in [0, ${labels.length}), got ${text}`,
    );
  }
  if (labels[value] !== name) {
    throw new RangeError(
      `Cannot parse predictions CSV: line ${line} ${what} ${value} is "${
        labels[value]
      }", but its name column says "${name}"`,
    );
  }
  return value;
}

/**
 * Reads CSV text written by {@linkcode predictionsToCsv} back into rows.
 * Blank lines are skipped; `\r\n` line ends are accepted.
 *
 * @param text CSV text with a header line.
 * @param options Class names (must match the `p_<name>` columns).
 * @returns The rows, in file order.
 * @throws {TypeError} A header other than the expected one, a line with the
 *   wrong number of fields, a field that is not a number, or an unclosed quote.
 * @throws {RangeError} A class index outside the labels, or a class index
 *   whose name column disagrees with it.
 *
 * @example
 * ```ts
 * import { parsePredictionsCsv, predictionsToCsv } from "./predictions_csv.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const rows = [{
 *   split: "Intra/test", subject: "105923", recording: 'odd "name", really.h5', startSample: 0,
 *   label: 2, predicted: 2, probs: [0.1, 0.2, 0.6000000000000001, 0.1],
 * }];
 * assertEquals(parsePredictionsCsv(predictionsToCsv(rows)), rows);
 * ```
 */
export function parsePredictionsCsv(text: string, options: PredictionsCsvOptions = {}): PredictionRow[] {
  if (typeof text !== "string") throw new TypeError(`Cannot parse predictions CSV: expected text, got ${typeof text}`);
  const labels = options.labels ?? LABELS;
  const expected = headerOf(labels);
  const [header, ...body] = records(text.startsWith("\uFEFF") ? text.slice(1) : text);
  if (header === undefined || header.fields.join(",") !== expected.join(",")) {
    throw new TypeError(
      `Cannot parse predictions CSV: expected header "${expected.join(",")}", got "${header?.fields.join(",") ?? ""}"`,
    );
  }
  return body.map(({ fields, line }) => {
    if (fields.length !== expected.length) {
      throw new TypeError(
        `Cannot parse predictions CSV: line ${line} must have ${expected.length} fields, got ${fields.length}`,
      );
    }
    const startSample = parseNumber(fields[3], "start_sample", line);
    if (!Number.isInteger(startSample) || startSample < 0) {
      throw new RangeError(
        `Cannot parse predictions CSV: line ${line} start_sample must be a non-negative integer, got ${fields[3]}`,
      );
    }
    return {
      split: fields[0],
      subject: fields[1],
      recording: fields[2],
      startSample,
      label: parseIndex(fields[4], fields[5], "label", labels, line),
      predicted: parseIndex(fields[6], fields[7], "predicted", labels, line),
      probs: fields.slice(8).map((f, k) => parseNumber(f, `p_${labels[k]}`, line)),
    };
  });
}
