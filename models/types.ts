/**
 * Types shared by every megflow model: the signal a model is built for and the
 * activation names its options accept.
 *
 * @module
 */

import type * as tfl from "@tensorflow/tfjs-layers";

/**
 * The shape of one example, as the pipeline's `Batch` carries it (without the batch axis).
 *
 * Sensor windows are channel-major `[nChans, nTimes]`; after `gridSensors` a window is
 * `[nTimes, gridRows, gridCols]`.
 */
export interface SignalShape {
  /** Number of sensors (rows of a sensor window). */
  nChans: number;
  /** Number of samples per window (at the window's sfreq). */
  nTimes: number;
  /** Rows of the sensor grid, for models whose input is `"grid"`. */
  gridRows?: number;
  /** Columns of the sensor grid, for models whose input is `"grid"`. */
  gridCols?: number;
}

/** Activation functions a model option may name (the tfjs-layers identifiers). */
export type ActivationName =
  | "elu"
  | "gelu"
  | "gelu_new"
  | "hardSigmoid"
  | "linear"
  | "mish"
  | "relu"
  | "relu6"
  | "selu"
  | "sigmoid"
  | "softplus"
  | "softsign"
  | "swish"
  | "tanh";

/** Every {@linkcode ActivationName}, for validation and help texts. */
export const ACTIVATION_NAMES: readonly ActivationName[] = [
  "elu",
  "gelu",
  "gelu_new",
  "hardSigmoid",
  "linear",
  "mish",
  "relu",
  "relu6",
  "selu",
  "sigmoid",
  "softplus",
  "softsign",
  "swish",
  "tanh",
];

/** The base arguments of every tfjs-layers layer (`name`, `inputShape`, `trainable`, ...). */
export type LayerArgs = NonNullable<ConstructorParameters<typeof tfl.layers.Layer>[0]>;
