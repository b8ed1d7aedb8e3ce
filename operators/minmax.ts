/**
 * Per-channel min-max scaling of each recording.
 *
 * @module
 */
import type { OperatorFunction } from "rxjs";
import type { Block } from "../core/types.ts";
import { channelLength } from "./_checks.ts";
import { ChannelStats, checkMode, normaliseOperator } from "./_normalise.ts";
import { checkOptions } from "../core/check_options.ts";
import { OPERATOR_OPTIONS } from "./_option_rules.ts";

/** Options of {@linkcode minmax} and {@linkcode minmaxChannels}. */
export interface MinmaxOptions {
  /**
   * Which samples the minimum and maximum cover (ignored by `minmaxChannels`):
   * "recording" (the whole recording; the operator holds a recording's blocks
   * until it ends) or "running" (all blocks so far, including the current one;
   * causal, no buffering). Default: "recording".
   */
  mode?: "recording" | "running";
  /** Target interval `[low, high]`, e.g. `[-1, 1]`; `low < high`. Default: `[0, 1]`. */
  range?: readonly [number, number];
}

/**
 * Scales each channel of a channel-major array linearly so that its minimum maps
 * to `low` and its maximum to `high`. Constant channels map to the middle of the
 * range, `(low + high) / 2`.
 *
 * @param data Samples, channel-major `[nChans, nTimes]` (not modified).
 * @param nChans Number of channels.
 * @param options Target `range`.
 * @returns The scaled samples, channel-major, as a new Float32Array.
 * @throws {TypeError} when `data.length` is not a multiple of `nChans`.
 * @throws {RangeError} when `nChans` is not a positive integer or the range is not `low < high`.
 *
 * @example
 * ```ts
 * import { minmaxChannels } from "./minmax.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const y = minmaxChannels(Float64Array.of(2, 4, 6, 7, 7, 7), 2, { range: [-1, 1] });
 * assertEquals(Array.from(y), [-1, 0, 1, 0, 0, 0]);
 * ```
 */
export function minmaxChannels(
  data: Float32Array | Float64Array,
  nChans: number,
  options: MinmaxOptions = {},
): Float32Array {
  checkOptions("minmax", options, OPERATOR_OPTIONS.minmax);
  const [low, high] = checkRange(options.range ?? [0, 1]);
  const nTimes = channelLength("minmaxChannels", data.length, nChans);
  const stats = new ChannelStats(nChans);
  stats.update(data, nTimes);
  return minmaxWith(data, nTimes, stats, low, high);
}

/**
 * Scales every channel of each recording to `range` (default `[0, 1]`) with its
 * minimum and maximum over the whole recording (mode "recording", holds the
 * recording's blocks until it ends) or over the blocks so far (mode "running";
 * the current block is included, so outputs stay inside the range). Constant
 * channels map to the middle of the range. Output blocks keep their fields and
 * get Float32Array data; input blocks are not modified.
 *
 * @param options Mode and range.
 * @returns An operator from blocks to scaled blocks.
 * @throws {RangeError} when `mode` is unknown or the range is not `low < high` (at once).
 *
 * @example
 * ```ts
 * import { lastValueFrom, of, toArray } from "rxjs";
 * import { minmax } from "./minmax.ts";
 * import type { Block, Recording } from "../core/types.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const recording = { path: "rest_1_1.h5", label: "rest" } as Recording;
 * const blocks: Block[] = [
 *   { recording, startSample: 0, sfreq: 125, nChans: 1, nTimes: 2, data: Float64Array.of(10, 20) },
 *   { recording, startSample: 2, sfreq: 125, nChans: 1, nTimes: 2, data: Float64Array.of(30, 50) },
 * ];
 * const out = await lastValueFrom(of(...blocks).pipe(minmax(), toArray()));
 * assertEquals(out.map((b) => Array.from(b.data)), [[0, 0.25], [0.5, 1]]);
 * ```
 */
export function minmax(options: MinmaxOptions = {}): OperatorFunction<Block, Block> {
  checkOptions("minmax", options, OPERATOR_OPTIONS.minmax);
  const mode = options.mode ?? "recording";
  checkMode("minmax", mode);
  const [low, high] = checkRange(options.range ?? [0, 1]);
  return normaliseOperator("minmax", mode, (data, nTimes, stats) => minmaxWith(data, nTimes, stats, low, high));
}

function minmaxWith(
  data: Float32Array | Float64Array,
  nTimes: number,
  stats: ChannelStats,
  low: number,
  high: number,
): Float32Array {
  const out = new Float32Array(data.length);
  for (let c = 0; c < stats.nChans; c++) {
    const offset = c * nTimes;
    const min = stats.min[c], max = stats.max[c];
    if (!(max > min)) {
      out.fill((low + high) / 2, offset, offset + nTimes);
      continue;
    }
    const scale = (high - low) / (max - min);
    for (let t = offset; t < offset + nTimes; t++) out[t] = low + (data[t] - min) * scale;
  }
  return out;
}

function checkRange(range: readonly [number, number]): readonly [number, number] {
  const [low, high] = Array.isArray(range) ? range : [NaN, NaN];
  if (!Number.isFinite(low) || !Number.isFinite(high) || !(low < high)) {
    throw new RangeError(
      `Cannot minmax: range must be [low, high] with finite low < high, got ${JSON.stringify(range)}`,
    );
  }
  return [low, high];
}
