/**
 * Per-channel z-scoring of each recording.
 *
 * @module
 */
import type { OperatorFunction } from "rxjs";
import type { Block } from "../core/types.ts";
import { channelLength } from "./_checks.ts";
import { ChannelStats, checkMode, normaliseOperator } from "./_normalise.ts";
import { checkOptions } from "../core/check_options.ts";
import { OPERATOR_OPTIONS } from "./_option_rules.ts";

/** Options of {@linkcode zscore} and {@linkcode zscoreChannels}. */
export interface ZscoreOptions {
  /**
   * Which samples the mean and standard deviation cover (ignored by
   * `zscoreChannels`, which always uses the whole array):
   * - "recording": the whole recording, exactly. The operator holds every block
   *   of a recording until the recording ends (one recording per subscription:
   *   ~2.2 MB for 248 x 2190 resampled samples, 70 MB if applied to raw blocks),
   *   then emits them all.
   * - "running": all blocks so far, including the current one (causal, no
   *   buffering; early blocks are normalised with few samples).
   *
   * Default: "recording".
   */
  mode?: "recording" | "running";
  /**
   * Added to the standard deviation before dividing, in the units of the data
   * (Tesla for raw MEG, ~1e-12, so keep it tiny or 0). Channels whose samples
   * are all equal become zeros whatever `epsilon` is. Default: 0.
   */
  epsilon?: number;
}

/**
 * Z-scores each channel of a channel-major array with its own mean and
 * (population, ddof = 0) standard deviation: `(x - mean) / (sd + epsilon)`.
 * Constant channels become zeros.
 *
 * @param data Samples, channel-major `[nChans, nTimes]` (not modified).
 * @param nChans Number of channels.
 * @param options `epsilon`.
 * @returns The z-scores, channel-major, as a new Float32Array.
 * @throws {TypeError} when `data.length` is not a multiple of `nChans`.
 * @throws {RangeError} when `nChans` is not a positive integer or `epsilon` is negative.
 *
 * @example
 * ```ts
 * import { zscoreChannels } from "./zscore.ts";
 * import { assertAlmostEquals, assertEquals } from "@std/assert";
 *
 * const z = zscoreChannels(Float64Array.of(1, 3, 5, 5, 5, 5), 2);
 * assertAlmostEquals(z[0], -Math.sqrt(1.5), 1e-6); // (1 - 3) / sd, sd = sqrt(8 / 3)
 * assertAlmostEquals(z[2], Math.sqrt(1.5), 1e-6);
 * assertEquals([z[1], z[3], z[4], z[5]], [0, 0, 0, 0]); // the mean, and a constant channel
 * ```
 */
export function zscoreChannels(
  data: Float32Array | Float64Array,
  nChans: number,
  options: ZscoreOptions = {},
): Float32Array {
  checkOptions("zscore", options, OPERATOR_OPTIONS.zscore);
  const epsilon = checkEpsilon(options.epsilon ?? 0);
  const nTimes = channelLength("zscoreChannels", data.length, nChans);
  const stats = new ChannelStats(nChans);
  stats.update(data, nTimes);
  return zscoreWith(data, nTimes, stats, epsilon);
}

/**
 * Z-scores every channel of each recording: `(x - mean) / (sd + epsilon)` with
 * per-channel mean and population standard deviation over the whole recording
 * (mode "recording", exact; holds the recording's blocks until it ends) or over
 * the blocks so far (mode "running"). Constant channels become zeros, never NaN.
 * Output blocks keep their fields and get Float32Array data; input blocks are not
 * modified. Statistics are accumulated in float64 per subscription and recording.
 *
 * @param options Mode and epsilon.
 * @returns An operator from blocks to z-scored blocks.
 * @throws {RangeError} when `mode` is unknown or `epsilon` negative (at once);
 *   blocks that are not consecutive fail the stream (see `resample`).
 *
 * @example
 * ```ts
 * import { lastValueFrom, of, toArray } from "rxjs";
 * import { zscore } from "./zscore.ts";
 * import type { Block, Recording } from "../core/types.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const recording = { path: "rest_1_1.h5", label: "rest" } as Recording;
 * const blocks: Block[] = [
 *   { recording, startSample: 0, sfreq: 125, nChans: 1, nTimes: 2, data: Float64Array.of(2, 4) },
 *   { recording, startSample: 2, sfreq: 125, nChans: 1, nTimes: 2, data: Float64Array.of(4, 2) },
 * ];
 * const out = await lastValueFrom(of(...blocks).pipe(zscore(), toArray()));
 * assertEquals(out.map((b) => Array.from(b.data)), [[-1, 1], [1, -1]]);
 * ```
 */
export function zscore(options: ZscoreOptions = {}): OperatorFunction<Block, Block> {
  checkOptions("zscore", options, OPERATOR_OPTIONS.zscore);
  const mode = options.mode ?? "recording";
  checkMode("zscore", mode);
  const epsilon = checkEpsilon(options.epsilon ?? 0);
  return normaliseOperator("zscore", mode, (data, nTimes, stats) => zscoreWith(data, nTimes, stats, epsilon));
}

function zscoreWith(data: Float32Array | Float64Array, nTimes: number, stats: ChannelStats, epsilon: number) {
  const out = new Float32Array(data.length);
  for (let c = 0; c < stats.nChans; c++) {
    if (!(stats.max[c] > stats.min[c])) continue; // constant channel: zeros
    const mean = stats.mean[c];
    const scale = 1 / (stats.sd(c) + epsilon);
    const offset = c * nTimes;
    for (let t = offset; t < offset + nTimes; t++) out[t] = (data[t] - mean) * scale;
  }
  return out;
}

function checkEpsilon(epsilon: number): number {
  if (!(epsilon >= 0) || !Number.isFinite(epsilon)) {
    throw new RangeError(`Cannot zscore: epsilon must be a finite number >= 0, got ${epsilon}`);
  }
  return epsilon;
}
