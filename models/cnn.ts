/**
 * EEGNet-style compact convolutional network (Lawhern et al. 2018, "EEGNet: a compact
 * convolutional neural network for EEG-based brain-computer interfaces").
 *
 * @module
 */

import * as tfl from "@tensorflow/tfjs-layers";
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
import { applyConstraints } from "./constraints.ts";
import { TemporalSpatialBlock } from "./layers/temporal_spatial_block.ts";
import type { ActivationName, SignalShape } from "./types.ts";

/** Hyper-parameters of {@linkcode cnn}; every field is optional. */
export interface CnnOptions {
  /** Number of temporal filters (EEGNet's F1). @default 8 */
  temporalFilters?: number;
  /** Spatial filters per temporal filter (EEGNet's D, depthwise multiplier). @default 2 */
  depthMultiplier?: number;
  /** Number of pointwise filters of the separable convolution (EEGNet's F2). @default 16 */
  separableFilters?: number;
  /**
   * Length of the temporal kernels in samples. 64 is half a second at 128 Hz, as in the
   * paper; scale it with the sampling rate (about `sfreq / 2`), e.g. 64 at 125 Hz.
   * @default 64
   */
  kernLength?: number;
  /** Temporal length of the separable convolution's depthwise kernel, in samples. @default 16 */
  separableKernLength?: number;
  /** Temporal average-pooling factor after the spatial convolution. @default 4 */
  pool1Size?: number;
  /** Temporal average-pooling factor after the separable convolution. @default 8 */
  pool2Size?: number;
  /** Max norm of each spatial filter (over the sensors); 0 turns the constraint off. @default 1 */
  depthwiseMaxNorm?: number;
  /** Max norm of each class's weight vector in the output layer; 0 turns it off. @default 0.25 */
  denseMaxNorm?: number;
  /**
   * Dropout rate after each pooling. The paper uses 0.5 within subject and 0.25 across
   * subjects; megflow's headline task is cross-subject, so 0.25 (also braindecode's default).
   * @default 0.25
   */
  dropProb?: number;
  /** Activation after the spatial and the separable convolution blocks. @default "elu" */
  activation?: ActivationName;
  /**
   * Momentum of the BatchNorm moving statistics used at inference (tfjs/Keras convention:
   * `moving = momentum * moving + (1 - momentum) * batch`). Keras' 0.99 needs ~500 updates to
   * forget its initial statistics; an epoch of the assignment data is 14-32 batches, so the
   * default is 0.9 (PyTorch's default, 0.1 in its convention).
   * @default 0.9
   */
  batchNormMomentum?: number;
  /**
   * Compute the first block (temporal conv, BatchNorm, spatial conv) spatial filter first, as
   * one {@linkcode TemporalSpatialBlock}: the same function, weights and gradients as the
   * textbook layers, without their `[batch, nChans, nTimes, F1]` activation (about 6x faster
   * training on wasm). `false` builds the textbook layers, e.g. to compare with them.
   * @default true
   */
  spatialFirst?: boolean;
}

/** The default {@linkcode CnnOptions}: EEGNet-8,2. */
export const CNN_DEFAULTS: Readonly<Required<CnnOptions>> = Object.freeze({
  temporalFilters: 8,
  depthMultiplier: 2,
  separableFilters: 16,
  kernLength: 64,
  separableKernLength: 16,
  pool1Size: 4,
  pool2Size: 8,
  depthwiseMaxNorm: 1,
  denseMaxNorm: 0.25,
  dropProb: 0.25,
  activation: "elu",
  batchNormMomentum: 0.9,
  spatialFirst: true,
});

/**
 * Builds an EEGNet-style model (default EEGNet-8,2) for sensor windows.
 *
 * Input `[batch, nChans, nTimes]` (channel-major windows, as the pipeline batches them), then:
 * 1. temporal conv, F1 kernels `[1, kernLength]`, same padding, no bias; BatchNorm;
 * 2. depthwise spatial conv over all sensors, kernel `[nChans, 1]`, D per filter, no bias,
 *    max-norm constraint -> `[b, 1, nTimes, F1 * D]`; BatchNorm; activation;
 *    average pool `[1, pool1Size]`; dropout;
 * 3. separable conv (depthwise `[1, separableKernLength]` then pointwise to F2), no bias ->
 *    `[b, 1, nTimes / pool1Size, F2]`; BatchNorm; activation; average pool `[1, pool2Size]`; dropout;
 * 4. flatten -> dense `nOutputs`, max-norm constrained, softmax -> `[batch, nOutputs]`.
 *
 * Steps 1 and the spatial conv of 2 are one {@linkcode TemporalSpatialBlock} (layer
 * `temporal_spatial`), which mixes the sensors before filtering in time: the same function
 * and weights as the textbook layers (`to_image`, `temporal_conv` `[b, nChans, nTimes, F1]`,
 * `temporal_bn`, `spatial_conv`, built with `spatialFirst: false`), at a fraction of the cost.
 * Max-norm constraints hold after every training step (see `applyConstraints`).
 *
 * The compute-heavy ops are a `[batch * nTimes, nChans] x [nChans, F1 * D]` matMul, a
 * depthwiseConv2d over F1 * D series, the separable conv and, in training, one
 * `[nTimes, nTimes]` Gram matrix of the batch (BatchNorm statistics of step 1).
 *
 * @param signal The window shape: `nChans` and `nTimes` are used.
 * @param nOutputs Number of classes.
 * @param options Hyper-parameters; see {@linkcode CnnOptions} and {@linkcode CNN_DEFAULTS}.
 * @returns An uncompiled model whose output is softmax probabilities `[batch, nOutputs]`.
 * @throws {TypeError} for an unknown option or an option of the wrong type.
 * @throws {RangeError} for a non-positive size, a dropout outside [0, 1), an unknown
 * activation, fewer than 2 outputs, or `nTimes < pool1Size * pool2Size`.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { cnn } from "./cnn.ts";
 * import { assertEquals } from "@std/assert";
 *
 * await tf.setBackend("cpu");
 * const model = cnn({ nChans: 16, nTimes: 64 }, 4, { temporalFilters: 4 });
 * const probabilities = model.predict(tf.randomNormal([3, 16, 64])) as tf.Tensor;
 * assertEquals(probabilities.shape, [3, 4]);
 * ```
 */
export function cnn(signal: SignalShape, nOutputs: number, options?: CnnOptions): tfl.LayersModel {
  const [nChans, nTimes] = channelSignal("cnn", signal);
  checkOutputs("cnn", nOutputs);
  const o = resolveOptions<CnnOptions>("cnn", CNN_DEFAULTS, options);
  checkBackend("cnn");
  checkCnnOptions(o, nTimes);
  const input = tfl.input({ shape: [nChans, nTimes], name: "signal" });
  const spatial = o.spatialFirst ? spatialFirstBlock(input, o) : textbookTemporalSpatial(input, o, nChans, nTimes);
  const model = tfl.model({ inputs: input, outputs: separableAndClassifier(spatial, o, nOutputs), name: "cnn" });
  applyConstraints(model);
  return model;
}

/**
 * Throws for a non-positive size, a negative max norm, a bad rate or
 * activation, or windows shorter than the pooling.
 */
function checkCnnOptions(o: Required<CnnOptions>, nTimes: number): void {
  for (
    const key of [
      "temporalFilters",
      "depthMultiplier",
      "separableFilters",
      "kernLength",
      "separableKernLength",
      "pool1Size",
      "pool2Size",
    ] as const
  ) {
    checkInt("cnn", key, o[key], 1);
  }
  checkNonNegative("cnn", "depthwiseMaxNorm", o.depthwiseMaxNorm);
  checkNonNegative("cnn", "denseMaxNorm", o.denseMaxNorm);
  checkProb("cnn", "dropProb", o.dropProb);
  checkProb("cnn", "batchNormMomentum", o.batchNormMomentum);
  checkActivation("cnn", o.activation);
  if (nTimes < o.pool1Size * o.pool2Size) {
    throw new RangeError(
      `Cannot build cnn: nTimes must be at least pool1Size * pool2Size = ${o.pool1Size * o.pool2Size}, got ${nTimes}`,
    );
  }
}

/** Step 1 and the spatial conv of step 2 as one {@linkcode TemporalSpatialBlock} (layer `temporal_spatial`). */
function spatialFirstBlock(input: tfl.SymbolicTensor, o: Required<CnnOptions>): tfl.SymbolicTensor {
  return new TemporalSpatialBlock({
    filters: o.temporalFilters,
    kernLength: o.kernLength,
    depthMultiplier: o.depthMultiplier,
    momentum: o.batchNormMomentum,
    spatialMaxNorm: o.depthwiseMaxNorm,
    name: "temporal_spatial",
  }).apply(input) as tfl.SymbolicTensor;
}

/** Step 1 and the spatial conv of step 2 as the textbook layers (`to_image` to `spatial_conv`). */
function textbookTemporalSpatial(
  input: tfl.SymbolicTensor,
  o: Required<CnnOptions>,
  nChans: number,
  nTimes: number,
): tfl.SymbolicTensor {
  return apply(
    input,
    tfl.layers.reshape({ targetShape: [nChans, nTimes, 1], name: "to_image" }),
    tfl.layers.conv2d({
      filters: o.temporalFilters,
      kernelSize: [1, o.kernLength],
      padding: "same",
      useBias: false,
      name: "temporal_conv",
    }),
    tfl.layers.batchNormalization({ axis: -1, momentum: o.batchNormMomentum, name: "temporal_bn" }),
    tfl.layers.depthwiseConv2d({
      kernelSize: [nChans, 1],
      depthMultiplier: o.depthMultiplier,
      useBias: false,
      padding: "valid",
      depthwiseConstraint: o.depthwiseMaxNorm > 0
        ? tfl.constraints.maxNorm({ maxValue: o.depthwiseMaxNorm, axis: 0 })
        : undefined,
      name: "spatial_conv",
    }),
  );
}

/** The rest of step 2, step 3 (separable conv block) and step 4 (dense softmax classifier). */
function separableAndClassifier(x: tfl.SymbolicTensor, o: Required<CnnOptions>, nOutputs: number): tfl.SymbolicTensor {
  return apply(
    x,
    tfl.layers.batchNormalization({ axis: -1, momentum: o.batchNormMomentum, name: "spatial_bn" }),
    tfl.layers.activation({ activation: o.activation, name: "spatial_activation" }),
    tfl.layers.averagePooling2d({ poolSize: [1, o.pool1Size], strides: [1, o.pool1Size], name: "pool1" }),
    tfl.layers.dropout({ rate: o.dropProb, name: "dropout1" }),
    tfl.layers.separableConv2d({
      filters: o.separableFilters,
      kernelSize: [1, o.separableKernLength],
      padding: "same",
      useBias: false,
      name: "separable_conv",
    }),
    tfl.layers.batchNormalization({ axis: -1, momentum: o.batchNormMomentum, name: "separable_bn" }),
    tfl.layers.activation({ activation: o.activation, name: "separable_activation" }),
    tfl.layers.averagePooling2d({ poolSize: [1, o.pool2Size], strides: [1, o.pool2Size], name: "pool2" }),
    tfl.layers.dropout({ rate: o.dropProb, name: "dropout2" }),
    tfl.layers.flatten({ name: "flatten" }),
    tfl.layers.dense({
      units: nOutputs,
      activation: "softmax",
      kernelConstraint: o.denseMaxNorm > 0 ? tfl.constraints.maxNorm({ maxValue: o.denseMaxNorm, axis: 0 }) : undefined,
      name: "classifier",
    }),
  );
}

function apply(x: tfl.SymbolicTensor, ...layers: { apply(x: tfl.SymbolicTensor): unknown }[]): tfl.SymbolicTensor {
  for (const layer of layers) x = layer.apply(x) as tfl.SymbolicTensor;
  return x;
}
