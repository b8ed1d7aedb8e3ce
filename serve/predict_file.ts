/**
 * The prediction of one recording file by a served run: the file checked as
 * the reader checks every file, preprocessed as the run's `config.json` says,
 * every window predicted by the run's best model, and the recording's class
 * by majority vote, the evaluation's own rule.
 *
 * @module
 */
import { basename } from "node:path";
import { DataFileError } from "../core/errors.ts";
import { type Label, LABELS, type Recording } from "../core/types.ts";
import { evaluatePredictions } from "../evaluation/metrics.ts";
import { predictRecordings } from "../evaluation/predict.ts";
import { parseRecordingFileName, type RecordingFileName } from "../sources/parse_recording_file_name.ts";
import { readRecordingInfo } from "../sources/read_recording_info.ts";
import type { ServedRun } from "./load_served_run.ts";

/** Options of {@linkcode predictFile}. */
export interface PredictFileOptions {
  /**
   * The recording's own file name (an upload is stored under another). When it
   * follows `<taskType>_<subject>_<chunk>.h5`, the label, subject and chunk come
   * from it and the file's one dataset must be named `<taskType>_<subject>`;
   * otherwise the label is unknown and the file's one 2-D dataset is read
   * whatever its name. Default: the last component of `path`.
   */
  fileName?: string | null;
}

/** One predicted window. */
export interface WindowPrediction {
  /** Start of the window in seconds from the start of the recording. */
  start: number;
  /** Softmax probability of each class. */
  probabilities: Record<Label, number>;
  /** The class of highest probability. */
  class: Label;
}

/** What the file holds, as far as its name and its dataset say. */
export interface RecordingSummary {
  /** The recording's file name as given, or `null` when unknown. */
  fileName: string | null;
  /** Name of the file's one dataset. */
  datasetName: string;
  /** The true class when the file name says it (`<taskType>_<subject>_<chunk>.h5`), else `null`. */
  label: Label | null;
  /** Subject from the file name, else `null`. */
  subject: string | null;
  /** Chunk from the file name, else `null`. */
  chunk: number | null;
  /** `[channels, samples]` of the dataset. */
  shape: [number, number];
  /** `float64` or `float32`. */
  dtype: string;
  /** Length in seconds at the run's raw sampling rate. */
  seconds: number;
}

/** The prediction of one recording (the body of a `POST /predict` answer). */
export interface FilePrediction {
  /** The recording's class: the majority vote of its windows (ties: highest mean probability, then class order). */
  class: Label;
  /** Whether the vote equals the label the file name gives; `null` when the label is unknown. */
  correct: boolean | null;
  /** Windows predicted as each class. */
  votes: Record<Label, number>;
  /** Mean probability of each class over the windows. */
  meanProbabilities: Record<Label, number>;
  /** Every window, in time order. */
  windows: WindowPrediction[];
  /** The file. */
  recording: RecordingSummary;
  /** Registered model name, e.g. `cnn`. */
  model: string;
  /** Name of the run folder served. */
  run: string;
  /** Seconds the prediction took (reading, preprocessing, model). */
  seconds: number;
}

/**
 * Predicts every window of one recording file with a served run, exactly as
 * the run's evaluation does (its preprocessing steps, batch size, sample limit
 * and BatchNorm adaptation; windows only, no augmentation). The file is its own
 * subject: the run's per-subject statistics (BatchNorm adaptation, `align`,
 * `subjectZscore`) are fitted on this recording alone, as the evaluation does
 * for a subject with one recording. No resample cache is read or written.
 * Runs on `run.model`: do not call it again before it has settled (see
 * `createPredictionServer`, which queues calls).
 *
 * @param run A run loaded by `loadServedRun`.
 * @param path The h5 file.
 * @param options The recording's file name.
 * @returns Windows with probabilities, the voted class, what the file holds.
 * @throws {DataFileError} for a file the reader refuses (not HDF5, truncated,
 *   wrong dataset name, shape or dtype, NaN or infinite values), one too short
 *   for a window, or a run with per-subject steps and a file name that does not
 *   follow `<taskType>_<subject>_<chunk>.h5` (those steps find a subject's
 *   recordings by file name).
 *
 * @example
 * ```ts ignore
 * const run = await loadServedRun("runs/2026-11-22T10-00-00-cross-cnn");
 * const prediction = await predictFile(run, "data/Cross/test3/rest_725751_1.h5");
 * console.log(prediction.class, prediction.windows.length); // "rest" 16
 * run.model.dispose();
 * ```
 */
export async function predictFile(
  run: ServedRun,
  path: string,
  options: PredictFileOptions = {},
): Promise<FilePrediction> {
  const started = performance.now();
  const { config, description } = run;
  const fileName = options.fileName === undefined ? basename(path) : options.fileName;
  const named = fileName === null ? undefined : tryParse(fileName);
  if (description.subjectSteps.length > 0 && (named === undefined || basename(path) !== fileName)) {
    throw new DataFileError(
      fileName ?? path,
      `this run's preprocessing has per-subject steps (${description.subjectSteps.join(", ")}), which find a ` +
        `subject's recordings by file name: expected the file stored under its name <taskType>_<subject>_<chunk>.h5`,
    );
  }
  const info = await readRecordingInfo(path, { datasetName: named?.datasetName ?? null });
  const recording: Recording = named ? { path, split: "upload", ...named } : {
    path,
    split: "upload",
    taskType: "rest",
    label: "rest",
    subject: "upload",
    chunk: 0,
    datasetName: info.datasetName,
  };
  const predictions = await predictRecordings(run.model, [recording], {
    steps: config.preprocess,
    batchSize: config.batchSize,
    concurrency: 1,
    maxSamples: config.maxSamples ?? undefined,
    nClasses: LABELS.length,
    adaptBatchNorm: config.adaptBatchNorm ?? false,
    testTimeAdaptation: config.testTimeAdaptation ?? "none",
    split: "upload",
  }).catch((error) => {
    if (error instanceof RangeError && /gave no window/.test(error.message)) {
      throw new DataFileError(
        fileName ?? path,
        `expected at least one ${description.windowSeconds} s window, found ${info.shape[1]} samples ` +
          `(${(info.shape[1] / description.rawSfreq).toFixed(3)} s)`,
      );
    }
    throw error;
  });
  const verdict = evaluatePredictions(predictions.rows).upload.perRecording[0];
  const byClass = (values: readonly number[]) =>
    Object.fromEntries(LABELS.map((label, k) => [label, values[k]])) as Record<Label, number>;
  const voted = LABELS[verdict.voted];
  return {
    class: voted,
    correct: named ? named.label === voted : null,
    votes: byClass(verdict.votes),
    meanProbabilities: byClass(verdict.meanProb),
    windows: predictions.rows.map((row) => ({
      start: row.startSample / description.sfreq,
      probabilities: byClass(row.probs),
      class: LABELS[row.predicted],
    })),
    recording: {
      fileName,
      datasetName: info.datasetName,
      label: named?.label ?? null,
      subject: named?.subject ?? null,
      chunk: named?.chunk ?? null,
      shape: info.shape,
      dtype: info.dtype,
      seconds: info.shape[1] / description.rawSfreq,
    },
    model: config.model,
    run: description.run,
    seconds: (performance.now() - started) / 1000,
  };
}

/** The fields a recording file name gives, or undefined when it does not follow the pattern. */
function tryParse(fileName: string): RecordingFileName | undefined {
  try {
    return parseRecordingFileName(fileName);
  } catch {
    return undefined;
  }
}
