/**
 * Per-channel statistics and the shared streaming logic of `zscore` and `minmax`.
 *
 * @module
 */
import type { OperatorFunction } from "rxjs";
import type { Block } from "../core/types.ts";
import { perRecording } from "./_per_recording.ts";

/** Which samples the statistics of a block's normalisation cover. */
export type NormaliseMode = "recording" | "running";

/**
 * Count, mean, sum of squared deviations, minimum and maximum of each channel,
 * accumulated block by block (two passes per block, merged with Chan et al.'s
 * parallel form of Welford's update), in float64.
 */
export class ChannelStats {
  /** Samples seen per channel. */
  count = 0;
  /** Mean of each channel. */
  readonly mean: Float64Array;
  /** Sum of squared deviations from the mean of each channel. */
  readonly m2: Float64Array;
  /** Smallest sample of each channel. */
  readonly min: Float64Array;
  /** Largest sample of each channel. */
  readonly max: Float64Array;

  constructor(readonly nChans: number) {
    this.mean = new Float64Array(nChans);
    this.m2 = new Float64Array(nChans);
    this.min = new Float64Array(nChans).fill(Infinity);
    this.max = new Float64Array(nChans).fill(-Infinity);
  }

  /** Adds a channel-major `[nChans, nTimes]` block. */
  update(data: Float32Array | Float64Array, nTimes: number): void {
    if (nTimes === 0) return;
    const nA = this.count;
    const n = nA + nTimes;
    for (let c = 0; c < this.nChans; c++) {
      const offset = c * nTimes;
      let sum = 0, lo = this.min[c], hi = this.max[c];
      for (let t = 0; t < nTimes; t++) {
        const v = data[offset + t];
        sum += v;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      const meanB = sum / nTimes;
      let m2B = 0;
      for (let t = 0; t < nTimes; t++) {
        const d = data[offset + t] - meanB;
        m2B += d * d;
      }
      const delta = meanB - this.mean[c];
      this.mean[c] += (delta * nTimes) / n;
      this.m2[c] += m2B + ((delta * delta * nA) / n) * nTimes;
      this.min[c] = lo;
      this.max[c] = hi;
    }
    this.count = n;
  }

  /** Population standard deviation of channel `c` (0 before any sample). */
  sd(c: number): number {
    return this.count === 0 ? 0 : Math.sqrt(this.m2[c] / this.count);
  }
}

/** Writes the normalised `[nChans, nTimes]` block into a new Float32Array. */
export type Normalise = (data: Float32Array | Float64Array, nTimes: number, stats: ChannelStats) => Float32Array;

/**
 * A per-recording block operator that normalises each channel with `normalise`:
 * in mode "recording" with the statistics of the whole recording (blocks are
 * held until it ends), in mode "running" with those of all blocks up to and
 * including the current one.
 */
export function normaliseOperator(
  name: string,
  mode: NormaliseMode,
  normalise: Normalise,
): OperatorFunction<Block, Block> {
  interface State {
    stats: ChannelStats;
    held: Block[];
  }
  const emit = (block: Block, stats: ChannelStats, out: Block[]): void => {
    out.push({ ...block, data: normalise(block.data, block.nTimes, stats) });
  };
  return perRecording<State, Block>(name, {
    open: (first) => ({ stats: new ChannelStats(first.nChans), held: [] }),
    push(state, block, out) {
      state.stats.update(block.data, block.nTimes);
      if (mode === "running") emit(block, state.stats, out);
      else state.held.push(block);
    },
    close(state, out) {
      for (const block of state.held) emit(block, state.stats, out);
      state.held.length = 0;
    },
  });
}

/** Throws unless `mode` is a known normalisation mode. */
export function checkMode(name: string, mode: string): asserts mode is NormaliseMode {
  if (mode !== "recording" && mode !== "running") {
    throw new RangeError(`Cannot ${name}: mode must be "recording" or "running", got ${JSON.stringify(mode)}`);
  }
}
