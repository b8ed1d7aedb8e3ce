/**
 * Weight constraints (e.g. EEGNet's max-norm) that tfjs-layers would otherwise skip.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";

/**
 * Projects every constrained weight of `model` onto its constraint.
 *
 * tfjs-layers applies a weight's constraint only when the weight is written through its
 * layer (`LayerVariable.write`, e.g. when loading), never after an optimizer update, and
 * not to initial weights. Call this after building a model (so a model saved before
 * training loads back to the same predictions) and after every optimizer step (so the
 * constraint holds while training, as in Keras and PyTorch implementations of EEGNet).
 *
 * @param model The model; weights without a constraint are left alone.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import * as tfl from "@tensorflow/tfjs-layers";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { applyConstraints } from "./constraints.ts";
 * import { assertAlmostEquals } from "@std/assert";
 *
 * await tf.setBackend("cpu");
 * const model = tfl.sequential({
 *   layers: [tfl.layers.dense({ inputShape: [3], units: 1, kernelConstraint: tfl.constraints.maxNorm({ maxValue: 0.5 }) })],
 * });
 * // as an optimizer would: straight to the variable, past the constraint
 * (model.trainableWeights[0].read() as tf.Variable).assign(tf.tensor2d([[3], [0], [4]]));
 * applyConstraints(model);
 * assertAlmostEquals(tf.norm(model.getWeights()[0]).arraySync() as number, 0.5, 1e-5);
 * ```
 */
export function applyConstraints(model: tfl.LayersModel): void {
  for (const weight of model.weights) {
    if (weight.constraint) {
      tf.tidy(() => {
        weight.write(tf.clone(weight.read()));
      });
    }
  }
}
