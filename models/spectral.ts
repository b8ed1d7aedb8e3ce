/**
 * A small classifier of band powers: each window's log band power per sensor
 * `[nChans, nBands]` (from the `bandPower` preprocessing step), flattened,
 * standardised, through one hidden layer (or none: logistic regression).
 *
 * @module
 */

import * as tfl from "@tensorflow/tfjs-layers";
// Dropout layers draw their masks with megflow's generator (one kernel instead of five).
import "./layers/_fast_dropout.ts";
import { fuseBatchNormTraining } from "./layers/_fused_batch_norm.ts";
import { fuseDenseHeadTraining } from "./layers/_fused_dense_head.ts";
import {
  channelSignal,
  checkActivation,
  checkBackend,
  checkInt,
  checkNonNegative,
  checkOutputs,
  checkProb,
  resolveOptions,
} from "./_options.ts";
import type { ActivationName, SignalShape } from "./types.ts";

/** Hyper-parameters of {@linkcode spectral}; every field is optional. */
export interface SpectralOptions {
  /** Units of the hidden layer; 0 builds a multinomial logistic regression (no hidden layer). @default 32 */
  hiddenUnits?: number;
  /** Dropout rate on the standardised features and after the hidden layer. @default 0.25 */
  dropProb?: number;
  /** Activation of the hidden layer. @default "relu" */
  activation?: ActivationName;
  /**
   * L2 kernel regulariser of every dense layer (`l2 * sum(w^2)`), as tfjs-layers defines it. tfjs-layers adds it
   * to the loss only inside its own `model.fit`; megflow's training step (`trainStep`, what every task runs) does
   * not read `model.losses`, so it has no effect on megflow training (found in session 18; the spectral results
   * and the PyTorch twin were measured without it). For weight regularisation in megflow use `weightDecay`
   * (`--weight-decay`, AdamW). Kept so that saved topologies and a Keras-style `fit` behave as before.
   * @default 0.001
   */
  l2?: number;
  /**
   * Momentum of the input BatchNorm's moving statistics (tfjs convention, as in `cnn`).
   * @default 0.9
   */
  batchNormMomentum?: number;
}

/** The default {@linkcode SpectralOptions}. */
export const SPECTRAL_DEFAULTS: Readonly<Required<SpectralOptions>> = Object.freeze({
  hiddenUnits: 32,
  dropProb: 0.25,
  activation: "relu",
  l2: 0.001,
  batchNormMomentum: 0.9,
});

/**
 * Builds the band-power classifier.
 *
 * Input `[batch, nChans, nBands]` (here `signal.nTimes` is the number of bands):
 * flatten -> BatchNorm (a learned standardisation of every sensor x band feature;
 * the per-subject normalisation comes from the preprocessing: `subjectZscore` or
 * `align` before `window`, which fix each subject's sensor scale before the band
 * powers are taken) -> dropout -> dense `hiddenUnits` + activation -> dropout ->
 * dense `nOutputs`, softmax. With `hiddenUnits: 0` the hidden layer and its
 * dropout are left out: a logistic regression on the standardised log band powers.
 *
 * Train it without the `augment` step (`--no-augment`): its sensor dropout zeroes
 * whole sensors, whose log band power is then the floor -30, an outlier that the
 * input standardisation cannot absorb. Measured on the generated data (cross-subject,
 * 8 epochs, 2 s windows at 125 Hz): test1/test2/test3 window accuracy 0.64/0.45/0.47
 * without augmentation, 0.52/0.33/0.38 with it.
 *
 * @param signal `nChans` sensors and `nTimes` bands.
 * @param nOutputs Number of classes.
 * @param options Hyper-parameters; see {@linkcode SpectralOptions} and {@linkcode SPECTRAL_DEFAULTS}.
 * @returns An uncompiled model whose output is softmax probabilities `[batch, nOutputs]`.
 * @throws {TypeError} for an unknown option or an option of the wrong type.
 * @throws {RangeError} for a negative size or penalty, a rate outside [0, 1), an unknown
 * activation or fewer than 2 outputs.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { spectral } from "./spectral.ts";
 * import { assertEquals } from "@std/assert";
 *
 * await tf.setBackend("cpu");
 * const model = spectral({ nChans: 248, nTimes: 5 }, 4);
 * assertEquals(model.countParams(), 4 * 1240 + 1240 * 32 + 32 + 32 * 4 + 4);
 * const probabilities = model.predict(tf.randomNormal([3, 248, 5])) as tf.Tensor;
 * assertEquals(probabilities.shape, [3, 4]);
 * ```
 */
export function spectral(signal: SignalShape, nOutputs: number, options?: SpectralOptions): tfl.LayersModel {
  checkBackend("spectral");
  const [nChans, nBands] = channelSignal("spectral", signal);
  checkOutputs("spectral", nOutputs);
  const o = resolveOptions<SpectralOptions>("spectral", SPECTRAL_DEFAULTS, options);
  checkInt("spectral", "hiddenUnits", o.hiddenUnits, 0);
  checkProb("spectral", "dropProb", o.dropProb);
  checkProb("spectral", "batchNormMomentum", o.batchNormMomentum);
  checkNonNegative("spectral", "l2", o.l2);
  checkActivation("spectral", o.activation);
  const regulariser = () => (o.l2 > 0 ? tfl.regularizers.l2({ l2: o.l2 }) : undefined);
  const input = tfl.input({ shape: [nChans, nBands], name: "band_powers" });
  let x = tfl.layers.flatten({ name: "flatten" }).apply(input) as tfl.SymbolicTensor;
  x = fuseBatchNormTraining(tfl.layers.batchNormalization({ momentum: o.batchNormMomentum, name: "standardise" }))
    .apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.dropout({ rate: o.dropProb, name: "input_dropout" }).apply(x) as tfl.SymbolicTensor;
  if (o.hiddenUnits > 0) {
    x = tfl.layers.dense({
      units: o.hiddenUnits,
      activation: o.activation,
      kernelRegularizer: regulariser(),
      name: "hidden",
    })
      .apply(x) as tfl.SymbolicTensor;
    x = tfl.layers.dropout({ rate: o.dropProb, name: "hidden_dropout" }).apply(x) as tfl.SymbolicTensor;
  }
  const output = tfl.layers.dense({
    units: nOutputs,
    activation: "softmax",
    kernelRegularizer: regulariser(),
    name: "classifier",
  })
    .apply(x) as tfl.SymbolicTensor;
  // Training passes after the BatchNorm as one tape node (same arithmetic; layers/_fused_dense_head.ts).
  return fuseDenseHeadTraining(tfl.model({ inputs: input, outputs: output, name: "spectral" }));
}
