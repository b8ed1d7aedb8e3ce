/**
 * Hand-made recordings and blocks for the operator tests.
 *
 * @module
 */
import type { Block, Label, Recording, TaskType } from "../../core/types.ts";

const TASK_OF_LABEL: Record<Label, TaskType> = {
  rest: "rest",
  math: "task_story_math",
  memory: "task_working_memory",
  motor: "task_motor",
};

/** A recording record with plausible fields; `label` decides the task type. */
export function makeRecording(label: Label = "rest", subject = "105923", chunk = 1): Recording {
  const taskType = TASK_OF_LABEL[label];
  return {
    path: `/data/${taskType}_${subject}_${chunk}.h5`,
    split: "Intra/train",
    taskType,
    label,
    subject,
    chunk,
    datasetName: `${taskType}_${subject}`,
  };
}

/** Options of {@linkcode makeBlocks}. */
export interface MakeBlocksOptions {
  /** Recording of the blocks. Default: `makeRecording()`. */
  recording?: Recording;
  /** Sampling rate. Default: 2034. */
  sfreq?: number;
  /** startSample of the first block. Default: 0. */
  startSample?: number;
  /** Block data type. Default: "float64". */
  dtype?: "float32" | "float64";
}

/**
 * Cuts a channel-major `[nChans, nTimes]` signal into consecutive blocks; the
 * block sizes cycle through `blockSizes` (the last block may be shorter).
 */
export function makeBlocks(
  data: Float64Array,
  nChans: number,
  blockSizes: number | number[],
  options: MakeBlocksOptions = {},
): Block[] {
  const sizes = typeof blockSizes === "number" ? [blockSizes] : blockSizes;
  const nTimes = data.length / nChans;
  const recording = options.recording ?? makeRecording();
  const sfreq = options.sfreq ?? 2034;
  const start = options.startSample ?? 0;
  const blocks: Block[] = [];
  for (let t = 0, i = 0; t < nTimes; i++) {
    const n = Math.min(sizes[i % sizes.length], nTimes - t);
    const block = options.dtype === "float32" ? new Float32Array(nChans * n) : new Float64Array(nChans * n);
    for (let c = 0; c < nChans; c++) block.set(data.subarray(c * nTimes + t, c * nTimes + t + n), c * n);
    blocks.push({ recording, startSample: start + t, sfreq, nChans, nTimes: n, data: block });
    t += n;
  }
  return blocks;
}

/** Concatenates the blocks' data along time into one channel-major Float64Array. */
export function joinBlocks(blocks: Block[]): Float64Array {
  if (blocks.length === 0) return new Float64Array(0);
  const nChans = blocks[0].nChans;
  const nTimes = blocks.reduce((n, b) => n + b.nTimes, 0);
  const out = new Float64Array(nChans * nTimes);
  let t = 0;
  for (const b of blocks) {
    for (let c = 0; c < nChans; c++) out.set(b.data.subarray(c * b.nTimes, (c + 1) * b.nTimes), c * nTimes + t);
    t += b.nTimes;
  }
  return out;
}

/** A channel-major `[nChans, nTimes]` signal from `f(channel, sampleIndex)`. */
export function signal(nChans: number, nTimes: number, f: (c: number, t: number) => number): Float64Array {
  const out = new Float64Array(nChans * nTimes);
  for (let c = 0; c < nChans; c++) for (let t = 0; t < nTimes; t++) out[c * nTimes + t] = f(c, t);
  return out;
}

/** Largest absolute difference between two arrays of the same length. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}
