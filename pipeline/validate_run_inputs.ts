/**
 * Everything about a run's input files that can be checked before the first
 * epoch: each file's header, dataset, shape, dtype and size (see
 * `validateRecordings`), and that every recording, as read (`maxSamples`) and
 * resampled, holds at least one window.
 *
 * @module
 */
import { DataFileError } from "../core/errors.ts";
import { N_SENSORS, RAW_SFREQ, type Recording } from "../core/types.ts";
import { type ValidatedRecording, validateRecordings } from "../sources/validate_recordings.ts";
import { planPreprocess, type PreprocessStep } from "./preprocess.ts";
import type { ValidateReply, ValidateRequest } from "./_validate_worker.ts";

/** Options of {@linkcode validateRunInputs}. */
export interface ValidateRunInputsOptions {
  /** The run's preprocessing (its resample step, if any, and its window step). */
  steps: readonly PreprocessStep[];
  /** Raw samples read from each recording (`--max-samples`). Default: all. */
  maxSamples?: number;
  /** Rows every file must have. Default: 248. */
  expectedChannels?: number;
  /**
   * Check the files in a Worker that ends with the check, so that h5wasm is not loaded into
   * this thread for the rest of the run (about 50 MB resident). Default: true.
   */
  inWorker?: boolean;
}

/** Window length and rate of a preprocessing, and how a raw length maps to it. */
interface WindowPlan {
  windowSeconds: number;
  windowSamples: number;
  rawHz: number;
  rate: number;
  /** Samples at `rate` of `n` raw samples. */
  samplesAt: (n: number) => number;
}

function windowPlanOf(steps: readonly PreprocessStep[]): WindowPlan {
  const plan = planPreprocess(steps);
  const resample = plan.blockSteps.find((step) => step.op === "resample");
  const rawHz = resample?.op === "resample" ? resample.fromHz ?? RAW_SFREQ : RAW_SFREQ;
  const rate = resample?.op === "resample" ? resample.toHz : rawHz;
  const { windowSeconds } = plan.windowStep;
  return {
    windowSeconds,
    windowSamples: Math.round(windowSeconds * rate),
    rawHz,
    rate,
    // resample_poly's output length: ceil(n * up / down)
    samplesAt: (n) => rate === rawHz ? n : Math.ceil((n * rate) / rawHz),
  };
}

const seconds = (samples: number, hz: number) => `${Number((samples / hz).toFixed(2))} s`;

/**
 * Validates every file of a run (see `validateRecordings`) and checks that
 * each recording, cut to `maxSamples` and resampled as `steps` say, is at least
 * one window long; a shorter one would give no windows (an epoch with none, or a
 * recording silently left out of evaluation).
 *
 * @param recordings Every recording the run reads (train, validation, test).
 * @param options The run's preprocessing, sample limit and channels.
 * @returns Each recording with its file's metadata.
 * @throws {DataFileError} naming a bad file.
 * @throws {RangeError} when the window is longer than a recording, giving both
 *   lengths in seconds and samples (and `maxSamples` when it is what cuts the recording short).
 *
 * @example
 * ```ts
 * import { assertRejects } from "@std/assert";
 * import { validateRunInputs } from "./validate_run_inputs.ts";
 * import { parseRecordingFileName } from "../sources/parse_recording_file_name.ts";
 *
 * const path = "tests/fixtures/h5py/valid/Cross/test1/rest_162935_9.h5"; // 300 samples at 2034 Hz
 * const recording = { path, split: "Cross/test1", ...parseRecordingFileName(path) };
 * const steps = [{ op: "resample", toHz: 125 }, { op: "window", windowSeconds: 2 }] as const;
 * await assertRejects(() => validateRunInputs([recording], { steps: [...steps] }), RangeError, "0.15 s");
 * ```
 */
export async function validateRunInputs(
  recordings: readonly Recording[],
  options: ValidateRunInputsOptions,
): Promise<ValidatedRecording[]> {
  const window = windowPlanOf(options.steps);
  const { maxSamples } = options;
  const expectedChannels = options.expectedChannels ?? N_SENSORS;
  const validated = options.inWorker === false
    ? await validateRecordings(recordings, { expectedChannels })
    : await validateInWorker(recordings, expectedChannels);
  const length = (v: ValidatedRecording) => Math.min(v.info.shape[1], maxSamples ?? Infinity);
  const short = validated.filter((v) => window.samplesAt(length(v)) < window.windowSamples);
  if (short.length > 0) throw tooShort(window, short, validated.length, maxSamples);
  return validated;
}

function tooShort(
  window: WindowPlan,
  short: ValidatedRecording[],
  total: number,
  maxSamples: number | undefined,
): RangeError {
  const { windowSamples, rate, rawHz } = window;
  const shortest = short.reduce((a, b) => (b.info.shape[1] < a.info.shape[1] ? b : a));
  const fileSamples = shortest.info.shape[1];
  const cut = maxSamples !== undefined && maxSamples < fileSamples;
  const raw = cut ? maxSamples : fileSamples;
  const atRate = rate === rawHz ? "" : `, ${window.samplesAt(raw)} at ${rate} Hz`;
  const lasts = cut
    ? `is read for ${seconds(raw, rawHz)} (maxSamples / --max-samples ${maxSamples} of its ${fileSamples} samples ` +
      `at ${rawHz} Hz${atRate})`
    : `lasts ${seconds(raw, rawHz)} (${raw} samples at ${rawHz} Hz${atRate})`;
  const neededRaw = rate === rawHz ? windowSamples : Math.floor(((windowSamples - 1) * rawHz) / rate) + 1;
  const fix = cut && neededRaw <= fileSamples
    ? `raise maxSamples (--max-samples) to at least ${neededRaw} or shorten the window (--window-seconds)`
    : `shorten the window (--window-seconds) to at most ${seconds(window.samplesAt(raw), rate)}`;
  return new RangeError(
    `Cannot cut windows of ${window.windowSeconds} s (${windowSamples} samples at ${rate} Hz): ` +
      `${short.length} of ${total} recordings are shorter; the shortest, ${shortest.recording.path}, ${lasts}; ${fix}`,
  );
}

/** `validateRecordings` in a Worker of its own, terminated when it has replied. */
function validateInWorker(recordings: readonly Recording[], expectedChannels: number): Promise<ValidatedRecording[]> {
  const worker = new Worker(new URL("./_validate_worker.ts", import.meta.url), { type: "module" });
  return new Promise<ValidatedRecording[]>((resolve, reject) => {
    worker.onmessage = ({ data }: MessageEvent<ValidateReply>) => {
      if (data.ok) return resolve(data.validated);
      if (data.name === "DataFileError" && data.path !== undefined && data.reason !== undefined) {
        return reject(new DataFileError(data.path, data.reason));
      }
      const Type = data.name === "RangeError" ? RangeError : data.name === "TypeError" ? TypeError : Error;
      reject(new Type(data.message));
    };
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      reject(new Error(`Cannot validate the recordings: the worker failed: ${event.message}`));
    };
    const request: ValidateRequest = { recordings: [...recordings], expectedChannels };
    worker.postMessage(request);
  }).finally(() => worker.terminate());
}
