/**
 * The records that flow between megflow's sources, operators and sinks.
 *
 * All signal arrays are channel-major: sample `t` of channel `c` of a
 * `[nChans, nTimes]` array is at index `c * nTimes + t`.
 *
 * @module
 */

/** The four task types of the HCP MEG assignment data, as spelled in file names. */
export type TaskType = "rest" | "task_motor" | "task_story_math" | "task_working_memory";

/** The brain state to classify. */
export type Label = "rest" | "math" | "memory" | "motor";

/** Class order used for every label index, output unit and confusion matrix row. */
export const LABELS: readonly Label[] = ["rest", "math", "memory", "motor"];

/** Every task type, in the order of {@linkcode LABELS}. */
export const TASK_TYPES: readonly TaskType[] = ["rest", "task_story_math", "task_working_memory", "task_motor"];

/** The label of each task type. */
export const LABEL_OF_TASK: Readonly<Record<TaskType, Label>> = {
  rest: "rest",
  task_story_math: "math",
  task_working_memory: "memory",
  task_motor: "motor",
};

/** Number of magnetometers of the 4D Magnes 3600 WH scanner (rows of every matrix). */
export const N_SENSORS = 248;

/** Sampling rate of the assignment recordings in Hz (2034.51 Hz, used as 2034). */
export const RAW_SFREQ = 2034;

/** One h5 file of a dataset folder: what its name and folder say. */
export interface Recording {
  /** Path of the h5 file. */
  path: string;
  /** Folder the file was found in, relative to the dataset root, e.g. `Cross/test1`. */
  split: string;
  /** Task type from the file name. */
  taskType: TaskType;
  /** Brain state of the whole recording. */
  label: Label;
  /** Subject identifier from the file name (digits). */
  subject: string;
  /** Chunk number from the file name. */
  chunk: number;
  /** Name of the one dataset inside the file: `<taskType>_<subject>`. */
  datasetName: string;
}

/** A contiguous run of samples of one recording, all channels. */
export interface Block {
  /** Recording the samples come from. */
  recording: Recording;
  /** Index of the first sample, counted at `sfreq` from the start of the recording. */
  startSample: number;
  /** Sampling rate of `data` in Hz. */
  sfreq: number;
  /** Number of channels (rows). */
  nChans: number;
  /** Number of samples per channel (columns). */
  nTimes: number;
  /** Samples, channel-major `[nChans, nTimes]`. */
  data: Float32Array | Float64Array;
}

/** A fixed-length training example cut from one recording. */
export interface Window {
  /** Recording the window was cut from. */
  recording: Recording;
  /** Index of the first sample at `sfreq`. */
  startSample: number;
  /** Sampling rate of the window in Hz. */
  sfreq: number;
  /**
   * Shape of `data`: `[nChans, nTimes]` for sensor windows, `[nTimes, rows, cols]`
   * after `gridSensors`.
   */
  shape: number[];
  /** Samples, row-major in `shape`. */
  data: Float32Array;
  /** Class index into {@linkcode LABELS}. */
  label: number;
}

/** Windows stacked for a model: `xs` has shape `[batch, ...windowShape]`. */
export interface Batch {
  /** Stacked window samples, row-major in `shape`. */
  xs: Float32Array;
  /** `[batchSize, ...windowShape]`. */
  shape: number[];
  /** Class index of each window. */
  ys: Int32Array;
  /** Recording of each window, in batch order. */
  recordings: Recording[];
  /** Start sample of each window, in batch order. */
  startSamples: number[];
  /**
   * Set by `mixup`: each window is `lambda` of its own sample and `1 - lambda`
   * of a partner's, whose labels are `ys` here; `trainStep` weighs the two
   * cross-entropies alike. Absent: plain windows.
   */
  mix?: { ys: Int32Array; lambda: number };
}
