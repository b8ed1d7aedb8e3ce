/**
 * Gradient saliency of a trained model per sensor and class: integrated
 * gradients and gradient x input of each class's own logit, batch by batch,
 * accumulated so that only one `[nClasses, nChans]` sum is ever kept.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { bandInnerProducts, type BandSpectrum } from "./band_spectrum.ts";

/** The score whose gradients are taken: the logit before the softmax, or the log-probability. */
export type ScoreKind = "logit" | "log-probability";

/** A differentiable score of a model: `[batch, ...input] -> [batch, nClasses]`. */
export interface ClassScore {
  /** What the score is. */
  kind: ScoreKind;
  /** The scores of a batch, in inference mode (dropout off, BatchNorm on its moving statistics). */
  apply(x: tf.Tensor): tf.Tensor2D;
}

/**
 * The class logits of a megflow model: when its last layer is a dense layer with a
 * softmax (every registered model), the layer's input times its kernel plus its
 * bias; otherwise the log of the output probabilities.
 *
 * @param model A model whose output is softmax probabilities `[batch, nClasses]`.
 * @returns The score and its kind.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import * as tfl from "@tensorflow/tfjs-layers";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { classScore } from "./saliency.ts";
 * import { assertAlmostEquals, assertEquals } from "@std/assert";
 *
 * await tf.setBackend("cpu");
 * const model = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [3], units: 2, activation: "softmax" })] });
 * const score = classScore(model);
 * assertEquals(score.kind, "logit");
 * const x = tf.tensor2d([[1, 2, 3]]);
 * const [p, z] = [model.predict(x) as tf.Tensor, score.apply(x)].map((t) => t.dataSync());
 * assertAlmostEquals(Math.log(p[0] / p[1]), z[0] - z[1], 1e-5); // softmax of the logits
 * ```
 */
export function classScore(model: tfl.LayersModel): ClassScore {
  const last = model.layers[model.layers.length - 1];
  // deno-lint-ignore no-explicit-any
  const config = last.getConfig() as any;
  if (last.getClassName() === "Dense" && config.activation === "softmax") {
    const before = last.input as tfl.SymbolicTensor;
    const weights = last.getWeights();
    const [kernel, bias] = [weights[0], config.useBias === false ? undefined : weights[1]];
    const direct = model.layers.length === 1 || model.inputs.includes(before);
    const features = (x: tf.Tensor) => (direct ? x : hiddenOf(model, before, x));
    return {
      kind: "logit",
      apply: (x) => {
        const z = tf.matMul(features(x) as tf.Tensor2D, kernel as tf.Tensor2D);
        return (bias ? tf.add(z, bias) : z) as tf.Tensor2D;
      },
    };
  }
  return {
    kind: "log-probability",
    apply: (x) => tf.log(tf.add(model.apply(x, { training: false }) as tf.Tensor, 1e-12)) as tf.Tensor2D,
  };
}

const featureModels = new WeakMap<tfl.LayersModel, tfl.LayersModel>();

/** The model up to `output` (built once per model), applied in inference mode. */
function hiddenOf(model: tfl.LayersModel, output: tfl.SymbolicTensor, x: tf.Tensor): tf.Tensor {
  let sub = featureModels.get(model);
  if (sub === undefined) {
    sub = tfl.model({ inputs: model.inputs, outputs: output, name: `${model.name}_features` });
    featureModels.set(model, sub);
  }
  return sub.apply(x, { training: false }) as tf.Tensor;
}

/** Options of {@linkcode batchSaliency}. */
export interface BatchSaliencyOptions {
  /** Riemann steps of integrated gradients (right sums: `alpha = s / steps`, `s = 1..steps`). Default: 16. */
  steps?: number;
  /** Baseline `x0`, one example `[...input]` broadcast over the batch. Default: zeros. */
  baseline?: tf.Tensor;
  /**
   * Also split the attributions by frequency band: a {@linkcode BandSpectrum} of the
   * windows' length for sensor windows `[nChans, nTimes]` (see `band_spectrum.ts`), or
   * `"last-axis"` for windows whose last axis already is the bands (`[nChans, nBands]`,
   * band-power input). Default: no split.
   */
  bands?: BandSpectrum | "last-axis";
}

/** Per window and sensor attributions of one batch, `[batch, nChans]` row-major. */
export interface BatchSaliency {
  /** `sum_t |IG(x)[c, t]|`, `IG = (x - x0) * mean_s grad F(x0 + s/steps (x - x0))`. */
  integratedGradients: Float32Array;
  /** `sum_t |grad F(x)[c, t] * (x - x0)[c, t]|` (with the zero baseline: gradient x input). */
  gradientTimesInput: Float32Array;
  /**
   * `sum_c |IG(x)[c, t]|`: integrated gradients per position of the last axis, `[batch, nTimes]`
   * row-major; for band-power windows `[batch, nBands]`, the saliency of each band.
   */
  integratedGradientsByLast: Float32Array;
  /**
   * With `bands`: `|sum_t IG(x)[c, t] restricted to band b|`, i.e. `|sum_t gbar(t) (x - x0)_b(t)|`
   * with `gbar` the path-averaged gradient and `(x - x0)_b` the band-passed difference from the
   * baseline, `[batch, nChans, nBands]` row-major; for `"last-axis"` `|IG(x)[c, b]|`. Signed, the
   * bands of a sensor sum to `sum_t IG(x)[c, t]`, the sensor's share of `F(x) - F(x0)`.
   */
  integratedGradientsByBand?: Float32Array;
  /** With `bands`: the same with the gradient at `x` (gradient x input per band). */
  gradientTimesInputByBand?: Float32Array;
}

/**
 * Integrated gradients (Sundararajan et al. 2017) and gradient x input of each
 * window's own class score (`labels[i]`), as absolute values summed over the
 * last axis (time samples, or bands) per sensor. Both come from the same
 * `steps` gradient evaluations: the last one is at `x` itself. The scores of
 * different windows do not interact (inference mode), so one gradient of
 * their sum gives every window's own. With `bands`, each sensor's attribution is
 * also split by frequency band: the absolute value of the band's *signed* sum
 * over time, `|sum_t gbar(t) (x - x0)_b(t)|` (exact, by Parseval: see
 * `band_spectrum.ts`), rather than a sum of absolute values, so that a band the
 * score does not use gets (almost) nothing however much power it has.
 *
 * @param score The differentiable class score (see {@linkcode classScore}).
 * @param xs A batch `[batch, nChans, nTimes]` (or `[batch, nChans, nBands]`).
 * @param labels The class of each window.
 * @param options Steps and baseline.
 * @returns `[batch, nChans]` attributions of both methods.
 * @throws {RangeError} when the batch is not 3-D, the labels differ in number, or `steps` < 1.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { batchSaliency } from "./saliency.ts";
 * import { assertAlmostEquals } from "@std/assert";
 *
 * await tf.setBackend("cpu");
 * // A linear score: class k sums sensor k's samples times (k + 1). IG equals gradient x input.
 * const score = { kind: "logit" as const, apply: (x: tf.Tensor) => tf.mul(tf.sum(x, 2), [1, 2]) as tf.Tensor2D };
 * const xs = tf.tensor3d([[[1, -1], [3, 3]]]);
 * const { integratedGradients, gradientTimesInput } = batchSaliency(score, xs, Int32Array.of(1));
 * assertAlmostEquals(integratedGradients[1], 12, 1e-5); // |2 * 3| + |2 * 3|
 * assertAlmostEquals(gradientTimesInput[0], 0, 1e-6); // sensor 0 does not move class 1
 * ```
 */
export function batchSaliency(
  score: ClassScore,
  xs: tf.Tensor,
  labels: Int32Array,
  options: BatchSaliencyOptions = {},
): BatchSaliency {
  const steps = options.steps ?? 16;
  if (!Number.isInteger(steps) || steps < 1) {
    throw new RangeError(`Cannot compute saliency: steps must be a positive integer, got ${steps}`);
  }
  if (xs.rank !== 3 || xs.shape[0] !== labels.length) {
    throw new RangeError(
      `Cannot compute saliency: expected a batch [batch, nChans, nTimes] with one label per window, got shape [${xs.shape}] and ${labels.length} labels`,
    );
  }
  return tf.tidy(() => {
    const x0 = options.baseline ? tf.broadcastTo(options.baseline, xs.shape) : tf.zerosLike(xs);
    const delta = tf.sub(xs, x0);
    const oneHot = tf.oneHot(tf.tensor1d(labels, "int32"), score.apply(tf.slice(xs, 0, 1)).shape[1]);
    const grad = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(score.apply(x), oneHot)));
    let sum = tf.zerosLike(xs);
    let last = sum;
    for (let s = 1; s <= steps; s++) {
      const point = tf.add(x0, tf.mul(delta, s / steps));
      const g = grad(point);
      const next = tf.add(sum, g);
      tf.dispose([point, sum, ...(last === sum ? [] : [last])]);
      [sum, last] = [next, g];
    }
    const perSensor = (t: tf.Tensor) => tf.sum(tf.abs(t), 2).dataSync() as Float32Array;
    const mean = tf.div(sum, steps);
    const integrated = tf.mul(delta, mean);
    return {
      integratedGradients: perSensor(integrated),
      gradientTimesInput: perSensor(tf.mul(delta, last)),
      integratedGradientsByLast: tf.sum(tf.abs(integrated), 1).dataSync() as Float32Array,
      ...(options.bands === undefined ? {} : {
        integratedGradientsByBand: byBand(mean, delta, options.bands),
        gradientTimesInputByBand: byBand(last, delta, options.bands),
      }),
    };
  });
}

/** `|sum_t gradient(t) delta_b(t)|` per window, sensor and band, `[batch, nChans, nBands]` row-major. */
function byBand(gradient: tf.Tensor, delta: tf.Tensor, bands: BandSpectrum | "last-axis"): Float32Array {
  const signed = bands === "last-axis" ? tf.mul(gradient, delta) : bandInnerProducts(gradient, delta, bands);
  return tf.abs(signed).dataSync() as Float32Array;
}

/** Sums of per-sensor attributions per class, and the windows counted. */
export class SaliencyAccumulator {
  /** `[nClasses, nChans]` sums. */
  readonly sums: Float64Array;
  /** Windows added per class. */
  readonly counts: Int32Array;

  /**
   * @param nClasses Number of classes.
   * @param nChans Number of sensors.
   */
  constructor(readonly nClasses: number, readonly nChans: number) {
    this.sums = new Float64Array(nClasses * nChans);
    this.counts = new Int32Array(nClasses);
  }

  /**
   * Adds a batch's `[batch, nChans]` attributions to the sums of each window's class.
   *
   * @param values Attributions, row-major.
   * @param labels Class of each row.
   */
  add(values: Float32Array, labels: Int32Array): void {
    const { nChans } = this;
    for (let i = 0; i < labels.length; i++) {
      const k = labels[i];
      this.counts[k]++;
      for (let c = 0; c < nChans; c++) this.sums[k * nChans + c] += values[i * nChans + c];
    }
  }

  /**
   * The mean attribution per sensor of class `k`'s windows (zeros when it had none).
   *
   * @param k Class index.
   * @returns `nChans` values.
   *
   * @example
   * ```ts
   * import { SaliencyAccumulator } from "./saliency.ts";
   * import { assertEquals } from "@std/assert";
   *
   * const acc = new SaliencyAccumulator(2, 2);
   * acc.add(Float32Array.of(1, 2, 3, 4, 5, 6), Int32Array.of(0, 0, 1));
   * assertEquals(acc.mean(0), [2, 3]);
   * assertEquals(acc.mean(1), [5, 6]);
   * ```
   */
  mean(k: number): number[] {
    const n = this.counts[k];
    return Array.from(this.sums.subarray(k * this.nChans, (k + 1) * this.nChans), (s) => (n > 0 ? s / n : 0));
  }
}
