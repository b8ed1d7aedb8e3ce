/**
 * Data augmentation of training windows: random circular time shift, sensor
 * dropout, per-sensor gain jitter and Gaussian noise (optionally a band gain, a
 * window gain, a head movement under the sensors and a time scale), each seeded per window.
 *
 * Apply it to training windows only (the `augment` preprocessing step does so:
 * it is active in training epochs and passes windows through in validation and
 * evaluation). Labels, recordings and start samples are kept.
 *
 * Mixup acts on batches, not windows: see `mixup` (`operators/mixup.ts`).
 *
 * @module
 */
import { map, type MonoTypeOperatorFunction } from "rxjs";
import { hashSeed, Random } from "../core/random.ts";
import type { Window } from "../core/types.ts";
import { checkOptions } from "../core/check_options.ts";
import { OPERATOR_OPTIONS } from "./_option_rules.ts";
import { applyBandGain, bandGainSize, drawBandGain } from "./_band_gain.ts";
import { headMoveLayout, moveHead } from "./_head_move.ts";
import { timeScale } from "./_time_scale.ts";
import { magnes3600Layout } from "../core/layout.ts";

/** Options of {@linkcode augment} and {@linkcode augmentWindow}. */
export interface AugmentOptions {
  /** Seed; every window draws from `hashSeed(seed, recording path, startSample)`. Default: 0. */
  seed?: number;
  /**
   * Largest circular time shift in seconds (uniform in ±this, whole samples;
   * samples pushed out at one end come back at the other). 0: off. Default: 0.25.
   */
  timeShiftSeconds?: number;
  /** Probability that a sensor is set to zero in a window. 0: off. Default: 0.1. */
  sensorDropProb?: number;
  /** Standard deviation of a multiplicative gain per sensor, `1 + gainStd * N(0, 1)`. 0: off. Default: 0.05. */
  gainStd?: number;
  /**
   * Standard deviation of added white noise, relative to each sensor's
   * standard deviation in the window (unit-free, works on z-scored or raw data). 0: off. Default: 0.1.
   * Each sensor's noise is a run of a fixed table of 65536 standard normal values, from a
   * random start: white and Gaussian, and 10x cheaper than drawing every sample.
   */
  noiseStd?: number;
  /**
   * Standard deviation (radians) of a rotation of the head under the sensors: each sensor reads
   * the field at its position rotated about the helmet's centre, interpolated from its nearest
   * sensors (`_head_move.ts`), a new subject's head placement (the generated data draw 0.14 per
   * subject). Needs the 248 sensors of the Magnes 3600 layout, in its order. 0: off. Default: 0.
   */
  headRotationStd?: number;
  /**
   * Standard deviation of a shift of the head under the sensors, left-right and back-front, in
   * half-widths of the helmet (the generated data draw 0.06-0.08 per subject); with
   * `headRotationStd`, one movement. Needs the Magnes 3600 layout. 0: off. Default: 0.
   */
  headShiftStd?: number;
  /**
   * Standard deviation of a log gain on one random frequency band of the window, shared by all
   * sensors (a Gaussian band of 2 Hz around a centre drawn in 4-30 Hz, gain `exp(bandGainStd *
   * N(0, 1))`): a recording's own vigilance or rhythm strength. 0: off. Default: 0.
   */
  bandGainStd?: number;
  /**
   * Standard deviation of a log gain of the whole window, one for all sensors (`exp(scaleStd *
   * N(0, 1))`): a recording's own overall level after per-recording z-scoring (the background,
   * noise, line and drift power that set its standard deviation vary per chunk). 0: off. Default: 0.
   */
  scaleStd?: number;
  /**
   * Standard deviation of a log time scale of the window, one for all sensors (every frequency
   * multiplied by `exp(timeScaleStd * N(0, 1))`, `_time_scale.ts`): another subject's rhythm
   * frequencies (the generated data draw each subject's alpha frequency with a standard
   * deviation of about 9 %). 0: off. Default: 0.
   */
  timeScaleStd?: number;
}

/** The defaults of {@linkcode AugmentOptions}. */
export const AUGMENT_DEFAULTS: Readonly<Required<Omit<AugmentOptions, "seed">>> = Object.freeze({
  timeShiftSeconds: 0.25,
  sensorDropProb: 0.1,
  gainStd: 0.05,
  noiseStd: 0.1,
  headRotationStd: 0,
  headShiftStd: 0,
  bandGainStd: 0,
  scaleStd: 0,
  timeScaleStd: 0,
});

function resolveAugmentOptions(options: AugmentOptions): Required<AugmentOptions> {
  checkOptions("augment", options, OPERATOR_OPTIONS.augment);
  const o = { seed: 0, ...AUGMENT_DEFAULTS, ...options };
  if (!Number.isSafeInteger(o.seed)) throw new RangeError(`Cannot augment: seed must be an integer, got ${o.seed}`);
  const keys = [
    "timeShiftSeconds",
    "gainStd",
    "noiseStd",
    "headRotationStd",
    "headShiftStd",
    "bandGainStd",
    "scaleStd",
    "timeScaleStd",
  ] as const;
  for (const key of keys) {
    if (!(o[key] >= 0) || !Number.isFinite(o[key])) {
      throw new RangeError(`Cannot augment: ${key} must be a finite number >= 0, got ${o[key]}`);
    }
  }
  if (!(o.sensorDropProb >= 0 && o.sensorDropProb < 1)) {
    throw new RangeError(`Cannot augment: sensorDropProb must be in [0, 1), got ${o.sensorDropProb}`);
  }
  return o;
}

/**
 * One augmented copy of a sensor window (see {@linkcode AugmentOptions}).
 *
 * @param window A window of shape `[nChans, nTimes]` (not modified).
 * @param options Seed and strengths.
 * @returns A new window with the same fields and new data.
 * @throws {TypeError} for a window that is not `[nChans, nTimes]` (e.g. a sensor grid).
 * @throws {RangeError} for an out-of-range option.
 *
 * @example
 * ```ts
 * import { augmentWindow } from "./augment.ts";
 * import type { Recording, Window } from "../core/types.ts";
 * import { assertEquals, assertNotEquals } from "@std/assert";
 *
 * const recording = { path: "rest_1_1.h5", label: "rest" } as Recording;
 * const data = Float32Array.from({ length: 2 * 50 }, (_, i) => Math.sin(i / 3));
 * const window: Window = { recording, startSample: 0, sfreq: 50, shape: [2, 50], data, label: 0 };
 * const a = augmentWindow(window, { seed: 1 });
 * assertEquals(a.label, 0);
 * assertEquals(augmentWindow(window, { seed: 1 }).data, a.data); // seeded
 * assertNotEquals(a.data, data);
 * ```
 */
export function augmentWindow(window: Window, options: AugmentOptions = {}): Window {
  return augmentWith(window, resolveAugmentOptions(options));
}

const NOISE_TABLE_SIZE = 1 << 16;
let sharedNoise: Float32Array | undefined;

/** 65536 standard normal values from a fixed seed, made on first use. */
function noiseTable(): Float32Array {
  if (sharedNoise === undefined) {
    const random = new Random(hashSeed(0, "augment noise table"));
    sharedNoise = Float32Array.from({ length: NOISE_TABLE_SIZE }, () => random.normal());
  }
  return sharedNoise;
}

function augmentWith(window: Window, o: Required<AugmentOptions>): Window {
  if (window.shape.length !== 2) {
    throw new TypeError(
      `Cannot augment: expected a sensor window [nChans, nTimes], got shape [${window.shape}]; augment before gridSensors`,
    );
  }
  const [nChans, nTimes] = window.shape;
  let x = window.data;
  const random = new Random(hashSeed(o.seed, window.recording.path, window.startSample));
  const maxShift = Math.min(Math.round(o.timeShiftSeconds * window.sfreq), nTimes - 1);
  const shift = maxShift > 0 ? random.int(2 * maxShift + 1) - maxShift : 0;
  const out = new Float32Array(x.length);
  const table = o.noiseStd > 0 ? noiseTable() : undefined;
  // Drawn after the shift and only when on, so runs without it draw as before.
  const band = o.bandGainStd > 0 ? drawBandGain(random, o.bandGainStd, window.sfreq, bandGainSize(nTimes)) : undefined;
  if (o.headRotationStd > 0 || o.headShiftStd > 0) {
    // Drawn and applied first, and only when on, so runs without it draw as before.
    const layout = headMoveLayout(magnes3600Layout());
    if (nChans !== layout.nChans) {
      throw new TypeError(
        `Cannot augment: headRotationStd and headShiftStd need the ${layout.nChans} sensors of the Magnes 3600 layout, got ${nChans}`,
      );
    }
    x = moveHead(x, nTimes, layout, random, o.headRotationStd, o.headShiftStd);
  }
  // Drawn after the head movement and only when on, so runs without it draw as before.
  if (o.timeScaleStd > 0) x = timeScale(x, nChans, nTimes, Math.exp(o.timeScaleStd * random.normal()));
  // Circular shift: out[t] = x[(t - shift) mod nTimes], as two contiguous runs.
  const cut = ((shift % nTimes) + nTimes) % nTimes;
  for (let c = 0; c < nChans; c++) {
    if (o.sensorDropProb > 0 && random.next() < o.sensorDropProb) continue;
    const offset = c * nTimes;
    const gain = o.gainStd > 0 ? 1 + o.gainStd * random.normal() : 1;
    const row = out.subarray(offset, offset + nTimes);
    row.set(x.subarray(offset + nTimes - cut, offset + nTimes), 0);
    row.set(x.subarray(offset, offset + nTimes - cut), cut);
    if (gain !== 1) { for (let t = 0; t < nTimes; t++) row[t] *= gain; }
    if (table !== undefined) {
      let sum = 0, squares = 0;
      for (let t = 0; t < nTimes; t++) sum += x[offset + t];
      const mean = sum / nTimes;
      for (let t = 0; t < nTimes; t++) squares += (x[offset + t] - mean) ** 2;
      const noise = o.noiseStd * Math.sqrt(squares / nTimes);
      // A run of the fixed normal table from a random start (wrapping): per-sample draws
      // cost ~5 ms per [248, 250] window, this ~0.1 ms.
      let at = random.int(NOISE_TABLE_SIZE);
      for (let t = 0; t < nTimes; t++) {
        row[t] += noise * table[at];
        at = (at + 1) & (NOISE_TABLE_SIZE - 1);
      }
    }
  }
  if (band !== undefined) applyBandGain(out, nChans, nTimes, band);
  if (o.scaleStd > 0) {
    const scale = Math.exp(o.scaleStd * random.normal());
    for (let i = 0; i < out.length; i++) out[i] *= scale;
  }
  return { ...window, data: out };
}

/**
 * Augments every window (see {@linkcode augmentWindow}). Each window's random
 * draws depend only on the seed and the window's recording and start sample, so
 * the result does not depend on the order windows arrive in; pass a new seed
 * per epoch (e.g. `hashSeed(seed, epoch)`) for new draws each epoch.
 *
 * @param options Seed and strengths.
 * @returns An operator from windows to augmented windows.
 * @throws {RangeError} at once for an out-of-range option; a grid window fails the stream with a TypeError.
 *
 * @example
 * ```ts
 * import { lastValueFrom, of, toArray } from "rxjs";
 * import { augment } from "./augment.ts";
 * import type { Recording, Window } from "../core/types.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const recording = { path: "rest_1_1.h5", label: "rest" } as Recording;
 * const data = Float32Array.from({ length: 4 }, (_, i) => i); // one sensor, 4 samples
 * const window: Window = { recording, startSample: 0, sfreq: 4, shape: [1, 4], data, label: 2 };
 * const shiftOnly = { timeShiftSeconds: 0.25, sensorDropProb: 0, gainStd: 0, noiseStd: 0, seed: 3 };
 * const [out] = await lastValueFrom(of(window).pipe(augment(shiftOnly), toArray()));
 * assertEquals(out.label, 2);
 * assertEquals([...out.data].sort(), [0, 1, 2, 3]); // a circular shift keeps the samples
 * ```
 */
export function augment(options: AugmentOptions = {}): MonoTypeOperatorFunction<Window> {
  const o = resolveAugmentOptions(options);
  return map((window) => augmentWith(window, o));
}
