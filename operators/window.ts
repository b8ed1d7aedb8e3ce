/**
 * Cutting each recording's blocks into fixed-length, possibly overlapping windows.
 *
 * @module
 */
import type { OperatorFunction } from "rxjs";
import { type Block, LABELS, type Window } from "../core/types.ts";
import { perRecording } from "./_per_recording.ts";
import { checkOptions } from "../core/check_options.ts";
import { OPERATOR_OPTIONS } from "./_option_rules.ts";

/**
 * Options of {@linkcode window}. Give the window length as `windowSamples` or
 * `windowSeconds` (exactly one), and the stride, if not the window length, as
 * `strideSamples` or `strideSeconds` (at most one). Seconds are converted with
 * the blocks' `sfreq` and rounded to the nearest sample (`Math.round`): 2 s at
 * 125 Hz is 250 samples, 0.5 s at 2034 Hz is 1017.
 */
export interface WindowOptions {
  /** Window length in samples (positive integer). No default. */
  windowSamples?: number;
  /** Window length in seconds (positive). No default. */
  windowSeconds?: number;
  /** Samples from one window start to the next (positive integer; > length leaves gaps). Default: the window length. */
  strideSamples?: number;
  /** Seconds from one window start to the next (positive). Default: the window length. */
  strideSeconds?: number;
  /**
   * Free each block's samples (`ArrayBuffer.transfer(0)`) as soon as no later window needs
   * them, for blocks that nothing else holds (a chain's own intermediate blocks); a block whose
   * array is a view of a larger buffer is left alone. Default: false (blocks are left as they are).
   */
  release?: boolean;
}

/**
 * Number of whole windows of `windowSamples` every `strideSamples` in `nTimes`
 * samples (a partial trailing window is not counted).
 *
 * @param nTimes Samples in the recording.
 * @param windowSamples Window length in samples (>= 1).
 * @param strideSamples Stride in samples (>= 1). Default: `windowSamples`.
 * @returns `floor((nTimes - windowSamples) / strideSamples) + 1`, or 0 when `nTimes < windowSamples`.
 * @throws {RangeError} when the length or stride is not a positive integer.
 *
 * @example
 * ```ts
 * import { windowCount } from "./window.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(windowCount(2190, 250, 125), 16); // a 17.5 s recording at 125 Hz, 2 s windows, 1 s stride
 * assertEquals(windowCount(100, 250), 0);
 * ```
 */
export function windowCount(nTimes: number, windowSamples: number, strideSamples: number = windowSamples): number {
  checkSamples("windowSamples", windowSamples);
  checkSamples("strideSamples", strideSamples);
  return nTimes < windowSamples ? 0 : Math.floor((nTimes - windowSamples) / strideSamples) + 1;
}

/**
 * Cuts the blocks of each recording into windows `[nChans, windowSamples]`
 * starting at the recording's first sample and then every `stride` samples.
 * Windows may span any number of blocks (the operator keeps the blocks that the
 * next window still needs); a trailing partial window is dropped. Each window is
 * a new Float32Array (input blocks are not modified) with the recording, the
 * `startSample` and `sfreq` of the blocks, its shape, and the label index
 * `LABELS.indexOf(recording.label)`.
 *
 * @param options Window length and stride, in samples or seconds.
 * @returns An operator from blocks to windows.
 * @throws {TypeError} at once when neither or both of `windowSamples` and
 *   `windowSeconds` are given, or both stride options.
 * @throws {RangeError} at once when a length or stride is not positive (samples:
 *   not a positive integer); as an error notification when seconds round to 0
 *   samples at the blocks' rate.
 *
 * @example
 * ```ts
 * import { lastValueFrom, of, toArray } from "rxjs";
 * import { window } from "./window.ts";
 * import type { Block, Recording } from "../core/types.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const recording = { path: "task_motor_1_1.h5", label: "motor" } as Recording;
 * const blocks: Block[] = [
 *   { recording, startSample: 0, sfreq: 2, nChans: 1, nTimes: 3, data: Float64Array.of(0, 1, 2) },
 *   { recording, startSample: 3, sfreq: 2, nChans: 1, nTimes: 3, data: Float64Array.of(3, 4, 5) },
 * ];
 * const out = await lastValueFrom(of(...blocks).pipe(window({ windowSeconds: 2, strideSeconds: 1 }), toArray()));
 * assertEquals(out.map((w) => Array.from(w.data)), [[0, 1, 2, 3], [2, 3, 4, 5]]);
 * assertEquals(out.map((w) => [w.startSample, w.label]), [[0, 3], [2, 3]]); // label 3 = "motor"
 * ```
 */
export function window(options: WindowOptions): OperatorFunction<Block, Window> {
  checkOptions("window", options, OPERATOR_OPTIONS.window);
  const { windowSamples, windowSeconds, strideSamples, strideSeconds, release = false } = options ?? {};
  const done = release ? releaseSamples : () => {};
  checkWindowOptions(options ?? {});
  return perRecording<WindowState, Window>("window", {
    open(first) {
      const label = LABELS.indexOf(first.recording.label);
      if (label < 0) {
        throw new TypeError(
          `Cannot window: expected a recording label in ${LABELS.join(", ")}, got ${
            JSON.stringify(first.recording.label)
          }`,
        );
      }
      const size = windowSamples ?? toSamples("windowSeconds", windowSeconds!, first.sfreq);
      const stride = strideSamples ??
        (strideSeconds === undefined ? size : toSamples("strideSeconds", strideSeconds, first.sfreq));
      return { size, stride, label, nChans: first.nChans, queue: [], nextStart: first.startSample };
    },
    push(state, block, out) {
      const end = block.startSample + block.nTimes;
      if (end > state.nextStart) state.queue.push(block);
      while (state.nextStart + state.size <= end) {
        out.push({
          recording: block.recording,
          startSample: state.nextStart,
          sfreq: block.sfreq,
          shape: [state.nChans, state.size],
          data: cut(state, state.nextStart),
          label: state.label,
        });
        state.nextStart += state.stride;
      }
      while (state.queue.length > 0 && state.queue[0].startSample + state.queue[0].nTimes <= state.nextStart) {
        done(state.queue.shift()!.data);
      }
    },
    close(state) {
      for (const block of state.queue.splice(0)) done(block.data);
    },
  });
}

/** The windowing of one recording. */
interface WindowState {
  /** Window length, samples. */
  size: number;
  /** Samples from one window start to the next. */
  stride: number;
  /** Label index of the recording. */
  label: number;
  /** Channels of the blocks. */
  nChans: number;
  /** The blocks that the next window may still need, in order. */
  queue: Block[];
  /** First sample of the next window. */
  nextStart: number;
}

/** Throws when the options give neither or both lengths, both strides, or a value that is not positive. */
function checkWindowOptions(options: WindowOptions): void {
  const { windowSamples, windowSeconds, strideSamples, strideSeconds } = options;
  if ((windowSamples === undefined) === (windowSeconds === undefined)) {
    throw new TypeError(
      `Cannot window: expected exactly one of windowSamples and windowSeconds, got ${
        JSON.stringify({ windowSamples, windowSeconds })
      }`,
    );
  }
  if (strideSamples !== undefined && strideSeconds !== undefined) {
    throw new TypeError(
      `Cannot window: expected at most one of strideSamples and strideSeconds, got ${
        JSON.stringify({ strideSamples, strideSeconds })
      }`,
    );
  }
  if (windowSamples !== undefined) checkSamples("windowSamples", windowSamples);
  if (windowSeconds !== undefined) checkSeconds("windowSeconds", windowSeconds);
  if (strideSamples !== undefined) checkSamples("strideSamples", strideSamples);
  if (strideSeconds !== undefined) checkSeconds("strideSeconds", strideSeconds);
}

/** Seconds as whole samples at `sfreq`; throws when they round to less than one sample. */
function toSamples(name: string, seconds: number, sfreq: number): number {
  const samples = Math.round(seconds * sfreq);
  if (samples < 1) {
    throw new RangeError(`Cannot window: ${name} = ${seconds} s is less than one sample at ${sfreq} Hz`);
  }
  return samples;
}

/** Copies the window starting at sample `start` out of the queued blocks (channel-major, float32). */
function cut(state: WindowState, start: number): Float32Array {
  const { size, nChans } = state;
  const data = new Float32Array(nChans * size);
  for (const block of state.queue) {
    const b0 = block.startSample, b1 = b0 + block.nTimes;
    const lo = Math.max(start, b0), hi = Math.min(start + size, b1);
    if (lo >= hi) continue;
    for (let c = 0; c < nChans; c++) {
      const from = c * block.nTimes - b0;
      data.set(block.data.subarray(from + lo, from + hi), c * size + lo - start);
    }
  }
  return data;
}

/** Frees an array's buffer when the array is all of it (nothing else can see it then). */
function releaseSamples(data: Float32Array | Float64Array): void {
  const buffer = data.buffer;
  if (
    buffer instanceof ArrayBuffer && !buffer.detached && data.byteOffset === 0 && data.byteLength === buffer.byteLength
  ) {
    buffer.transfer(0);
  }
}

function checkSamples(name: string, samples: number): void {
  if (!Number.isSafeInteger(samples) || samples < 1) {
    throw new RangeError(`Cannot window: ${name} must be a positive integer, got ${samples}`);
  }
}

function checkSeconds(name: string, seconds: number): void {
  if (!(seconds > 0) || !Number.isFinite(seconds)) {
    throw new RangeError(`Cannot window: ${name} must be a positive number of seconds, got ${seconds}`);
  }
}
