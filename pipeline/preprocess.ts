/**
 * Preprocessing as a list of named, serialisable steps, so a run's config says
 * exactly what was done to the signal and the same list rebuilds the same
 * operator chain.
 *
 * @module
 */
import { type OperatorFunction, pipe } from "rxjs";
import { resample } from "../operators/resample.ts";
import { zscore } from "../operators/zscore.ts";
import { minmax } from "../operators/minmax.ts";
import { window } from "../operators/window.ts";
import { gridSensors } from "../operators/grid_sensors.ts";
import type { Block, Window } from "./types.ts";

/** Anti-aliased polyphase resampling (see `resample`). */
export interface ResampleStep {
  /** Step name. */
  op: "resample";
  /** Target rate in Hz (integer). */
  toHz: number;
  /** Source rate in Hz. Default: the blocks' rate (2034 for raw recordings). */
  fromHz?: number;
}

/** Per-channel, per-recording z-scoring (see `zscore`). */
export interface ZscoreStep {
  /** Step name. */
  op: "zscore";
  /** "recording" (exact, buffers one resampled recording) or "running". Default: "recording". */
  mode?: "recording" | "running";
}

/** Per-channel, per-recording min-max scaling (see `minmax`). */
export interface MinmaxStep {
  /** Step name. */
  op: "minmax";
  /** "recording" or "running". Default: "recording". */
  mode?: "recording" | "running";
}

/** Cutting fixed-length windows (see `window`). */
export interface WindowStep {
  /** Step name. */
  op: "window";
  /** Window length in seconds. */
  windowSeconds: number;
  /** Stride in seconds. Default: the window length. */
  strideSeconds?: number;
}

/** Sensors to 2-D frames `[nTimes, rows, cols]` (see `gridSensors`). */
export interface GridSensorsStep {
  /** Step name. */
  op: "gridSensors";
  /** Grid rows. Default: 20. */
  rows?: number;
  /** Grid columns. Default: 20. */
  cols?: number;
  /** Empty cells: "zero" or "interpolate". Default: "zero". */
  fill?: "zero" | "interpolate";
}

/** One serialisable preprocessing step. */
export type PreprocessStep = ResampleStep | ZscoreStep | MinmaxStep | WindowStep | GridSensorsStep;

/**
 * The default chain of megflow: 2034 -> 125 Hz, z-score per channel and
 * recording, 2 s windows every 1 s.
 */
export const DEFAULT_PREPROCESS: readonly PreprocessStep[] = [
  { op: "resample", toHz: 125 },
  { op: "zscore", mode: "recording" },
  { op: "window", windowSeconds: 2, strideSeconds: 1 },
];

/** The block steps, the window step and the window steps of a chain, checked. */
export interface PreprocessPlan {
  /** Steps that act on blocks, in order (resample, zscore, minmax). */
  blockSteps: Array<ResampleStep | ZscoreStep | MinmaxStep>;
  /** The one window step. */
  windowStep: WindowStep;
  /** Steps that act on windows, in order (gridSensors). */
  windowSteps: GridSensorsStep[];
}

/**
 * Checks the order of a step list: block steps, then exactly one `window`,
 * then window steps.
 *
 * @param steps The steps.
 * @returns The steps grouped by stage.
 * @throws {TypeError} for an unknown step or a step in the wrong stage.
 * @throws {RangeError} when there is not exactly one window step.
 *
 * @example
 * ```ts
 * import { DEFAULT_PREPROCESS, planPreprocess } from "./preprocess.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const plan = planPreprocess(DEFAULT_PREPROCESS);
 * assertEquals(plan.blockSteps.map((s) => s.op), ["resample", "zscore"]);
 * assertEquals(plan.windowStep.windowSeconds, 2);
 * ```
 */
export function planPreprocess(steps: readonly PreprocessStep[]): PreprocessPlan {
  const plan: PreprocessPlan = { blockSteps: [], windowStep: undefined!, windowSteps: [] };
  for (const [index, step] of steps.entries()) {
    const where = `step ${index} (${JSON.stringify(step)})`;
    switch (step?.op) {
      case "resample":
      case "zscore":
      case "minmax":
        if (plan.windowStep) {
          throw new TypeError(`Cannot preprocess: ${where} acts on blocks and must come before "window"`);
        }
        plan.blockSteps.push(step);
        break;
      case "window":
        if (plan.windowStep) {
          throw new RangeError(`Cannot preprocess: expected exactly one "window" step, got a second at ${where}`);
        }
        plan.windowStep = step;
        break;
      case "gridSensors":
        if (!plan.windowStep) {
          throw new TypeError(`Cannot preprocess: ${where} acts on windows and must come after "window"`);
        }
        plan.windowSteps.push(step);
        break;
      default:
        throw new TypeError(
          `Cannot preprocess: unknown ${where}; expected op resample, zscore, minmax, window or gridSensors`,
        );
    }
  }
  if (!plan.windowStep) throw new RangeError(`Cannot preprocess: expected exactly one "window" step, got none`);
  return plan;
}

/** Operator of one block step. */
export function blockOperator(step: ResampleStep | ZscoreStep | MinmaxStep): OperatorFunction<Block, Block> {
  switch (step.op) {
    case "resample":
      return resample({ toHz: step.toHz, fromHz: step.fromHz });
    case "zscore":
      return zscore({ mode: step.mode });
    case "minmax":
      return minmax({ mode: step.mode });
  }
}

/**
 * Builds the per-recording operator chain `Block -> Window` of a step list.
 * Apply it to the blocks of each recording separately (inside `mergeMap`), so
 * every recording gets its own normalisation state.
 *
 * @param steps The steps (see {@linkcode planPreprocess} for their order).
 * @returns The operator.
 * @throws {TypeError | RangeError} as {@linkcode planPreprocess}.
 *
 * @example
 * ```ts
 * import { lastValueFrom, of, toArray } from "rxjs";
 * import { preprocess } from "./preprocess.ts";
 * import type { Block, Recording } from "./types.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const recording = { path: "rest_1_1.h5", label: "rest" } as Recording;
 * const data = Float64Array.from({ length: 2 * 4068 }, (_, i) => Math.sin(i));
 * const block: Block = { recording, startSample: 0, sfreq: 2034, nChans: 2, nTimes: 4068, data };
 * const windows = await lastValueFrom(of(block).pipe(
 *   preprocess([{ op: "resample", toHz: 125 }, { op: "zscore" }, { op: "window", windowSeconds: 1 }]),
 *   toArray(),
 * ));
 * assertEquals(windows.map((w) => w.shape), [[2, 125], [2, 125]]);
 * ```
 */
export function preprocess(steps: readonly PreprocessStep[]): OperatorFunction<Block, Window> {
  return chainOf(planPreprocess(steps));
}

/**
 * Builds the operator chain of a checked plan (see {@linkcode planPreprocess}).
 *
 * @param plan Steps grouped by stage.
 * @returns The per-recording operator `Block -> Window`.
 */
export function chainOf(plan: PreprocessPlan): OperatorFunction<Block, Window> {
  const { windowSeconds, strideSeconds } = plan.windowStep;
  // deno-lint-ignore no-explicit-any
  const ops: OperatorFunction<any, any>[] = [
    ...plan.blockSteps.map(blockOperator),
    window({ windowSeconds, strideSeconds }),
    ...plan.windowSteps.map((step) => gridSensors({ rows: step.rows, cols: step.cols, fill: step.fill })),
  ];
  // deno-lint-ignore no-explicit-any
  return (pipe as (...fns: OperatorFunction<any, any>[]) => OperatorFunction<Block, Window>)(...ops);
}
