/**
 * Test helper: one training step (loss and gradients of every trainable weight) of a registered
 * model on a given backend, from given weights and data, so two backends can be compared.
 */
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { buildModel, MODELS } from "../../../models/registry.ts";
import type { SignalShape } from "../../../models/types.ts";
import { Random } from "../../../core/random.ts";

/** Small signals for the per-model tests; every registered model must have one. */
export const SMALL_SIGNALS: Record<string, SignalShape> = {
  cnn: { nChans: 6, nTimes: 64 },
  gru: { nChans: 6, nTimes: 24 },
  vivit: { nChans: 248, nTimes: 50, gridRows: 20, gridCols: 20 }, // one default (whole-grid, 50-sample) tubelet
  spectral: { nChans: 6, nTimes: 5 },
  cascade: { nChans: 64, nTimes: 60, gridRows: 8, gridCols: 8 },
  tsa: { nChans: 6, nTimes: 50 },
};

/** Even smaller signals for the (slow) software-WebGPU test. */
export const TINY_SIGNALS: Record<string, SignalShape> = {
  cnn: { nChans: 3, nTimes: 32 },
  gru: { nChans: 3, nTimes: 8 },
  vivit: { nChans: 16, nTimes: 50, gridRows: 4, gridCols: 4 }, // one default (whole-grid, 50-sample) tubelet
  spectral: { nChans: 3, nTimes: 5 },
  cascade: { nChans: 16, nTimes: 40, gridRows: 4, gridCols: 4 },
  tsa: { nChans: 3, nTimes: 25 },
};

/** The names of the registered models that lack an entry in `signals`. */
export function missingCases(signals: Record<string, SignalShape>): string[] {
  return Object.keys(MODELS).filter((name) => !(name in signals));
}

/** A batch for a model: inputs in its layout and one-hot labels over 4 classes. */
export interface StepData {
  xShape: number[];
  xs: Float32Array;
  ys: Float32Array;
}

/** Seeded normal inputs and cycling labels for `batchSize` examples of `name` on `signal`. */
export function makeStepData(name: string, signal: SignalShape, batchSize: number, seed: number): StepData {
  const xShape = MODELS[name].input === "grid"
    ? [batchSize, signal.nTimes, signal.gridRows as number, signal.gridCols as number]
    : [batchSize, signal.nChans, signal.nTimes];
  const random = new Random(seed);
  const xs = new Float32Array(xShape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < xs.length; i++) xs[i] = random.normal();
  const ys = new Float32Array(batchSize * 4);
  for (let i = 0; i < batchSize; i++) ys[i * 4 + (i % 4)] = 1;
  return { xShape, xs, ys };
}

/** Loss, gradients (in `model.trainableWeights` order) and the weights the step started from. */
export interface StepResult {
  loss: number;
  grads: Float32Array[];
  weights: Float32Array[];
}

/**
 * Builds `name` on the active backend without dropout (with `options` besides), loads `weights`
 * (or keeps its random initialisation when none are given), and computes the categorical cross-entropy of one batch
 * in training mode (BatchNorm on batch statistics) and its gradients.
 */
export async function trainingStep(
  name: string,
  signal: SignalShape,
  data: StepData,
  weights?: Float32Array[],
  options: Record<string, unknown> = {},
): Promise<StepResult> {
  const model: tfl.LayersModel = buildModel(name, signal, 4, { ...options, dropProb: 0 });
  try {
    if (weights !== undefined) {
      const tensors = model.getWeights().map((w, i) => tf.tensor(weights[i], w.shape));
      model.setWeights(tensors);
      tf.dispose(tensors);
    }
    const start: Float32Array[] = [];
    for (const w of model.getWeights()) start.push(Float32Array.from(await w.data() as Float32Array));
    const x = tf.tensor(data.xs, data.xShape);
    const y = tf.tensor(data.ys, [data.xShape[0], 4]);
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(() =>
      tf.tidy(() => {
        const p = model.apply(x, { training: true }) as tf.Tensor;
        const logP = tf.log(tf.clipByValue(p, 1e-7, 1 - 1e-7));
        return tf.mean(tf.neg(tf.sum(tf.mul(y, logP), -1))) as tf.Scalar;
      }), variables);
    const loss = (await value.data())[0];
    const out: Float32Array[] = [];
    for (const v of variables) out.push(Float32Array.from(await grads[v.name].data() as Float32Array));
    tf.dispose([x, y, value, ...Object.values(grads)]);
    return { loss, grads: out, weights: start };
  } finally {
    model.dispose();
  }
}

/**
 * max |a - b| relative to the larger of max |b| and 1e-2 of the largest gradient of the model.
 * The floor matters for gradients that are zero in exact arithmetic, e.g. the offset of a
 * BatchNorm followed by a linear layer and another BatchNorm (EEGNet's first one): there both
 * backends return rounding noise (~1e-9 against gradients of ~1e-1). A wrong gradient of 1e-3
 * of the largest one would still show as an error of ~0.1.
 */
export function gradientError(a: Float32Array, b: Float32Array, all: Float32Array[]): number {
  let largest = 0;
  for (const g of all) for (const v of g) largest = Math.max(largest, Math.abs(v));
  let diff = 0;
  let scale = 1e-2 * largest;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / scale;
}
