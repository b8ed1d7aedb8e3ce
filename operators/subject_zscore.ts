/**
 * Per-channel z-scoring with the statistics of a whole subject (all of the
 * subject's recordings pooled) instead of each recording's own.
 *
 * Every recording of the assignment holds one class, so per-recording
 * z-scoring also divides out what differs between that subject's classes in
 * each channel's level and power (e.g. stronger posterior alpha at rest).
 * Pooling over the subject removes what differs between subjects (head
 * position, gains, overall power) and keeps those class differences.
 *
 * @module
 */
import type { OperatorFunction } from "rxjs";
import type { Block, Recording } from "../core/types.ts";
import { withRecordingValue } from "./_with_recording_value.ts";
import { checkOptions } from "../core/check_options.ts";
import { OPERATOR_OPTIONS } from "./_option_rules.ts";

/** Mean and standard deviation of each channel. */
export interface ChannelMoments {
  /** Mean of each channel. */
  mean: Float64Array;
  /** Population standard deviation of each channel (0: constant channel). */
  sd: Float64Array;
}

/** Options of {@linkcode subjectZscore}. */
export interface SubjectZscoreOptions {
  /**
   * The moments of a recording's subject (the same for all recordings of one
   * subject). Called once per recording and subscription; may be async (a
   * first pass over the subject's data). Required.
   */
  momentsOf(recording: Recording): ChannelMoments | Promise<ChannelMoments>;
  /** Added to the standard deviation before dividing, in data units. Default: 0. */
  epsilon?: number;
}

/**
 * Z-scores a channel-major array with given moments: `(x - mean) / (sd + epsilon)`;
 * channels with `sd` 0 become zeros.
 *
 * @param data Samples `[nChans, nTimes]` (not modified).
 * @param moments Mean and sd per channel (`nChans` each).
 * @param epsilon Added to each sd (default 0).
 * @returns A new Float32Array.
 * @throws {TypeError} when the sizes do not match.
 *
 * @example
 * ```ts
 * import { zscoreWithMoments } from "./subject_zscore.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const z = zscoreWithMoments(Float64Array.of(1, 3, 5, 5), { mean: Float64Array.of(2, 5), sd: Float64Array.of(1, 0) });
 * assertEquals(Array.from(z), [-1, 1, 0, 0]);
 * ```
 */
export function zscoreWithMoments(
  data: Float32Array | Float64Array,
  moments: ChannelMoments,
  epsilon = 0,
): Float32Array {
  const nChans = moments.mean.length;
  if (moments.sd.length !== nChans || nChans === 0 || data.length % nChans !== 0) {
    throw new TypeError(
      `Cannot z-score: expected moments of equal length dividing the ${data.length} samples, got mean ${moments.mean.length} and sd ${moments.sd.length}`,
    );
  }
  const nTimes = data.length / nChans;
  const out = new Float32Array(data.length);
  for (let c = 0; c < nChans; c++) {
    const sd = moments.sd[c];
    if (!(sd > 0)) continue;
    const mean = moments.mean[c];
    const scale = 1 / (sd + epsilon);
    for (let t = c * nTimes; t < (c + 1) * nTimes; t++) out[t] = (data[t] - mean) * scale;
  }
  return out;
}

/**
 * Z-scores every block with the channel moments of its recording's subject.
 * Blocks keep their fields and get Float32Array data; blocks wait (in order)
 * while moments are being computed; input blocks are not modified.
 *
 * @param options Where the moments come from, and epsilon.
 * @returns An operator from blocks to z-scored blocks.
 * @throws {TypeError} at once when `momentsOf` is not a function; {@linkcode RangeError}
 *   for a negative epsilon. Moments that do not fit a block fail the stream.
 *
 * @example
 * ```ts
 * import { lastValueFrom, of, toArray } from "rxjs";
 * import { subjectZscore } from "./subject_zscore.ts";
 * import type { Block, Recording } from "../core/types.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const recording = { path: "rest_1_1.h5", subject: "1", label: "rest" } as Recording;
 * const block: Block = { recording, startSample: 0, sfreq: 125, nChans: 1, nTimes: 2, data: Float64Array.of(4, 6) };
 * const moments = { mean: Float64Array.of(5), sd: Float64Array.of(2) }; // of all the subject's recordings
 * const [out] = await lastValueFrom(of(block).pipe(subjectZscore({ momentsOf: () => moments }), toArray()));
 * assertEquals(Array.from(out.data), [-0.5, 0.5]);
 * ```
 */
export function subjectZscore(options: SubjectZscoreOptions): OperatorFunction<Block, Block> {
  checkOptions("subjectZscore", options ?? {}, OPERATOR_OPTIONS.subjectZscore);
  if (typeof options?.momentsOf !== "function") {
    throw new TypeError(
      `Cannot z-score: expected options.momentsOf to be a function, got ${typeof options?.momentsOf}`,
    );
  }
  const epsilon = options.epsilon ?? 0;
  if (!(epsilon >= 0) || !Number.isFinite(epsilon)) {
    throw new RangeError(`Cannot z-score: epsilon must be a finite number >= 0, got ${epsilon}`);
  }
  return withRecordingValue((recording) => options.momentsOf(recording), (block, moments): Block => {
    if (moments.mean.length !== block.nChans) {
      throw new TypeError(
        `Cannot z-score ${block.recording.path}: expected moments of ${block.nChans} channels, got ${moments.mean.length}`,
      );
    }
    return { ...block, data: zscoreWithMoments(block.data, moments, epsilon) };
  });
}
