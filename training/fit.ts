/**
 * The training sink: consumes a cold Observable of batches once per epoch,
 * with backpressure, a learning-rate schedule, validation, early stopping and
 * a callback after every epoch (where the caller checkpoints).
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import type { Observable } from "rxjs";
import { consume } from "../pipeline/consume.ts";
import { releaseBatch } from "../operators/shuffle_into_batches.ts";
import { PullGate } from "../core/pull_gate.ts";
import { trainStep, type TrainStepOptions } from "./train_step.ts";
import { adam } from "./fused_adam.ts";
import { hashSeed } from "../core/random.ts";
import { withSeededRandom } from "../core/with_seeded_random.ts";
import type { Batch } from "../core/types.ts";
import type { WeightAverage } from "./weight_average.ts";

/** Metrics of one epoch, one line of `metrics.jsonl`. */
export interface EpochMetrics {
  /** Epoch number, from 1. */
  epoch: number;
  /** Mean training loss over the epoch's windows. */
  trainLoss: number;
  /** Training accuracy per window (dropout on, weights changing during the epoch). */
  trainAccuracy: number;
  /** Validation loss, when validated. */
  valLoss?: number;
  /** Validation accuracy per window, when validated. */
  valAccuracy?: number;
  /** Learning rate used in this epoch. */
  learningRate: number;
  /** Training windows seen. */
  windows: number;
  /** Seconds the epoch took, validation included. */
  seconds: number;
  /** Seconds spent waiting for batches (reading and preprocessing). */
  ingestSeconds: number;
  /** Seconds spent in training steps. */
  trainSeconds: number;
}

/** Validation result of one epoch. */
export interface Validation {
  /** Mean loss per window. */
  loss: number;
  /** Accuracy per window. */
  accuracy: number;
}

/** Learning-rate schedules. */
export type LearningRateSchedule = "constant" | "cosine" | "step";

/** Options of {@linkcode fit} (`labelSmoothing` and `weightDecay` go to each `trainStep`). */
export interface FitOptions extends TrainStepOptions {
  /** Batches of one epoch; called once per epoch with the epoch number (from 1). */
  batches(epoch: number, gate: PullGate): Observable<Batch>;
  /** Number of classes. */
  nClasses: number;
  /** Epochs to train (the last epoch number). Default: 10. */
  epochs?: number;
  /** Peak learning rate. Default: 1e-3. */
  learningRate?: number;
  /**
   * "constant"; "cosine" (decay to 5 % of the peak over the epochs); "step"
   * (halve every `stepEpochs`). All after `warmupEpochs` of linear warm-up. Default: "cosine".
   */
  schedule?: LearningRateSchedule;
  /** Epochs of linear warm-up. Default: 0. */
  warmupEpochs?: number;
  /** Epochs between halvings for "step". Default: 5. */
  stepEpochs?: number;
  /** Validates the model after each epoch. Default: none (no early stopping). */
  validate?(epoch: number): Promise<Validation>;
  /** Stop after this many epochs without a better validation accuracy. Default: 5. */
  patience?: number;
  /** Batches that may wait for the training step before readers pause. Default: 2. */
  highWaterMark?: number;
  /** Metrics of epochs already done (resuming); training continues after the last. Default: []. */
  history?: EpochMetrics[];
  /** Called after each epoch with its metrics and whether it is the best so far. */
  onEpoch?(metrics: EpochMetrics, isBest: boolean): Promise<void> | void;
  /**
   * Seed of each epoch's tfjs randomness (dropout masks, random ops): epoch `k`
   * (training and validation) runs with `Math.random` seeded from
   * `hashSeed(seed, k, "epoch")`, so its draws do not depend on what ran
   * before, and a run resumed from a checkpoint draws exactly what the
   * uninterrupted run drew. Default: none (`Math.random` as it is).
   */
  seed?: number;
  /**
   * An average of the weights over epochs (see `WeightAverage`): updated after each epoch's
   * training steps; `validate` runs with the averaged weights in the model (training goes on
   * from the trained ones). Default: none (validation sees the trained weights).
   */
  weightAverage?: WeightAverage;
  /** Called after each batch (progress display). */
  onBatch?(progress: { epoch: number; batch: number; windows: number; loss: number; seconds: number }): void;
}

/** What {@linkcode fit} returns. */
export interface FitResult {
  /** Metrics of every epoch, resumed ones included. */
  history: EpochMetrics[];
  /** Epoch with the best validation accuracy (or the last epoch without validation). */
  bestEpoch: number;
  /** True when early stopping ended training before `epochs`. */
  stoppedEarly: boolean;
}

/**
 * The learning rate of `epoch` (from 1) under a schedule.
 *
 * @param epoch Epoch number (>= 1).
 * @param options Peak rate, schedule, epochs, warm-up.
 * @returns The learning rate.
 *
 * @example
 * ```ts
 * import { learningRateAt } from "./fit.ts";
 * import { assertAlmostEquals } from "@std/assert";
 *
 * const options = { learningRate: 1e-3, schedule: "cosine", epochs: 11 } as const;
 * assertAlmostEquals(learningRateAt(1, options), 1e-3);
 * assertAlmostEquals(learningRateAt(11, options), 5e-5);
 * ```
 */
export function learningRateAt(
  epoch: number,
  options: Pick<FitOptions, "learningRate" | "schedule" | "epochs" | "warmupEpochs" | "stepEpochs">,
): number {
  const { learningRate = 1e-3, schedule = "cosine", epochs = 10, warmupEpochs = 0, stepEpochs = 5 } = options;
  if (epoch <= warmupEpochs) return (learningRate * epoch) / (warmupEpochs + 1);
  const t = epoch - warmupEpochs - 1;
  const span = Math.max(1, epochs - warmupEpochs - 1);
  switch (schedule) {
    case "constant":
      return learningRate;
    case "step":
      return learningRate * 0.5 ** Math.floor(t / stepEpochs);
    case "cosine": {
      const floor = 0.05 * learningRate;
      return floor + (learningRate - floor) * 0.5 * (1 + Math.cos((Math.PI * Math.min(t, span)) / span));
    }
    default:
      throw new RangeError(`Cannot schedule: expected constant, cosine or step, got ${schedule}`);
  }
}

/**
 * Trains `model` with `optimizer` epoch by epoch. Each epoch subscribes to a
 * fresh `batches(epoch, gate)` Observable and runs one `trainStep` per batch;
 * the gate holds the readers back while the step runs. After each epoch it
 * validates (if asked), calls `onEpoch`, and stops early when validation
 * accuracy has not improved for `patience` epochs.
 *
 * @param model The model (softmax output).
 * @param optimizer An optimizer with a `learningRate` field (Adam, SGD, ...), or a number: the peak
 *   learning rate of an Adam optimizer made here (so a script needs no tfjs import), used as
 *   `options.learningRate` unless that is given.
 * @param options Data, schedule, validation and callbacks.
 * @returns The history and the best epoch.
 * @throws {RangeError} for a learning rate that is not a positive number, a loss that diverges
 *   or an epoch without windows.
 */
export async function fit(
  model: tfl.LayersModel,
  optimizer: tf.Optimizer | number,
  options: FitOptions,
): Promise<FitResult> {
  if (typeof optimizer === "number") {
    if (!(optimizer > 0) || !Number.isFinite(optimizer)) {
      throw new RangeError(`Cannot fit: the learning rate must be a positive number, got ${optimizer}`);
    }
    options = { ...options, learningRate: options.learningRate ?? optimizer };
    const fused = adam(optimizer);
    try {
      return await fit(model, fused, options);
    } finally {
      fused.dispose();
    }
  }
  const { epochs = 10, patience = 5 } = options;
  const history = [...(options.history ?? [])];
  // Without validation the last epoch is the best (FitResult.bestEpoch): its epoch number is its score. The
  // lowest training loss, the score before, picked a noisy epoch under augmentation and mixup.
  const score = (m: EpochMetrics) => m.valAccuracy ?? m.epoch;
  let bestEpoch = 0;
  for (const m of history) if (bestEpoch === 0 || score(m) > score(history[bestEpoch - 1])) bestEpoch = m.epoch;
  const startEpoch = history.length + 1;
  let stoppedEarly = false;
  for (let epoch = startEpoch; epoch <= epochs; epoch++) {
    if (bestEpoch > 0 && options.validate && epoch - bestEpoch > patience) {
      stoppedEarly = true;
      break;
    }
    const learningRate = learningRateAt(epoch, options);
    const run = () => trainEpoch(model, optimizer, options, epoch, learningRate);
    const metrics = options.seed === undefined
      ? await run()
      : await withSeededRandom(hashSeed(options.seed, epoch, "epoch"), run);
    history.push(metrics);
    const isBest = bestEpoch === 0 || score(metrics) > score(history[bestEpoch - 1]);
    if (isBest) bestEpoch = epoch;
    await options.onEpoch?.(metrics, isBest);
  }
  return { history, bestEpoch, stoppedEarly };
}

/** One epoch: training steps over the epoch's batches, then validation; returns its metrics. */
async function trainEpoch(
  model: tfl.LayersModel,
  optimizer: tf.Optimizer,
  options: FitOptions,
  epoch: number,
  learningRate: number,
): Promise<EpochMetrics> {
  const { nClasses } = options;
  (optimizer as unknown as { learningRate: number }).learningRate = learningRate;
  const gate = new PullGate(options.highWaterMark ?? 2);
  const started = performance.now();
  let lossSum = 0, correct = 0, windows = 0, trainSeconds = 0, batchIndex = 0;
  await consume(options.batches(epoch, gate), async (batch) => {
    const stepStart = performance.now();
    const result = await trainStep(model, optimizer, batch, nClasses, {
      labelSmoothing: options.labelSmoothing,
      weightDecay: options.weightDecay,
    });
    trainSeconds += (performance.now() - stepStart) / 1000;
    releaseBatch(batch); // its array serves a later batch (a batch of streamBatches; others are left alone)
    if (!Number.isFinite(result.loss)) {
      throw new RangeError(`Training diverged: loss is ${result.loss} at epoch ${epoch}, batch ${batchIndex + 1}`);
    }
    lossSum += result.loss * result.count;
    correct += result.correct;
    windows += result.count;
    batchIndex++;
    options.onBatch?.({
      epoch,
      batch: batchIndex,
      windows,
      loss: lossSum / windows,
      seconds: (performance.now() - started) / 1000,
    });
  }, { gate });
  if (windows === 0) throw new RangeError(`Cannot train: epoch ${epoch} produced no windows`);
  const trainDone = (performance.now() - started) / 1000;
  options.weightAverage?.update();
  const validate = options.validate;
  const validation = validate === undefined
    ? undefined
    : options.weightAverage
    ? await options.weightAverage.withAverage(() => validate(epoch))
    : await validate(epoch);
  return {
    epoch,
    trainLoss: lossSum / windows,
    trainAccuracy: correct / windows,
    ...(validation ? { valLoss: validation.loss, valAccuracy: validation.accuracy } : {}),
    learningRate,
    windows,
    seconds: (performance.now() - started) / 1000,
    ingestSeconds: trainDone - trainSeconds,
    trainSeconds,
  };
}
