/**
 * A GRU layer that computes the same function as tfjs's `GRU` (all steps returned) with
 * the input projection of all steps as one product and the recurrence as one fused op.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { knownDim, layerInt, singleShape, singleTensor } from "./_layer.ts";
import { FUSED_ACTIVATIONS, type FusedActivation, gruSequence, gruSequenceWithOps } from "./_gru_sequence.ts";
import type { LayerArgs } from "../types.ts";
import { onSynchronousBackend } from "../../core/_synchronous_backend.ts";

export { FUSED_ACTIVATIONS, type FusedActivation } from "./_gru_sequence.ts";

/** Arguments of {@linkcode FusedGru}. */
export interface FusedGruArgs extends LayerArgs {
  /** Size of the hidden state. */
  units: number;
  /** Activation of the candidate state, one of {@linkcode FUSED_ACTIVATIONS}. @default "tanh" */
  activation?: FusedActivation;
}

/**
 * GRU over `[batch, nSteps, features]` returning every step's state `[batch, nSteps, units]`,
 * the function of `tfl.layers.gru({ units, activation, returnSequences: true })` (hard-sigmoid
 * gates, `reset_after: false`, zero initial state), with the same weights under the same
 * names and layout: `kernel` `[features, 3 units]`, `recurrent_kernel` `[units, 3 units]`,
 * `bias` `[3 units]`, gate order z, r, h. Weights of a tfjs `GRU` load into it unchanged.
 *
 * Why: tfjs's `GRU` runs a dozen ops per time step, each recorded on the gradient tape.
 * Here `x W + b` of all steps is one product, and the recurrence is one op
 * (`tf.customGrad`) whose steps work on typed arrays with two small products each; its
 * backward pass (back-propagation through time) is written out the same way.
 *
 * Serialisable: registered with `tf.serialization.registerClass`.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { FusedGru } from "./fused_gru.ts";
 * import { assertEquals } from "@std/assert";
 *
 * await tf.setBackend("cpu");
 * const layer = new FusedGru({ units: 4 });
 * const states = layer.apply(tf.randomNormal([2, 5, 3])) as tf.Tensor;
 * assertEquals(states.shape, [2, 5, 4]);
 * assertEquals(layer.weights.map((w) => w.shape), [[3, 12], [4, 12], [12]]);
 * ```
 */
export class FusedGru extends tfl.layers.Layer {
  /** Name under which the class is registered for serialisation. */
  static className = "FusedGru";
  /** Size of the hidden state. */
  readonly units: number;
  /** Activation of the candidate state. */
  readonly activation: FusedActivation;
  private kernel?: tfl.LayerVariable;
  private recurrentKernel?: tfl.LayerVariable;
  private bias?: tfl.LayerVariable;
  private readonly sequence: (xw: tf.Tensor3D, recurrentKernel: tf.Tensor2D) => tf.Tensor3D;

  /**
   * Creates the layer; its weights are made on first use.
   *
   * @param args Layer arguments; see {@linkcode FusedGruArgs}.
   * @throws {RangeError} when `units` is not a positive integer or the activation is not fused.
   */
  constructor(args: FusedGruArgs) {
    super(args);
    this.units = layerInt("FusedGru", "units", args.units, 1);
    this.activation = args.activation ?? "tanh";
    if (!(FUSED_ACTIVATIONS as readonly string[]).includes(this.activation)) {
      throw new RangeError(
        `FusedGru: activation must be one of ${FUSED_ACTIVATIONS.join(", ")}, got "${this.activation}"`,
      );
    }
    this.sequence = gruSequence(this.activation);
  }

  /** Creates the weights for an input of layout `[batch, nSteps, features]`. */
  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shape = checkRank3(singleShape("FusedGru", inputShape));
    const features = knownDim("FusedGru", shape, 2, "feature axis");
    const g = 3 * this.units;
    // tfjs' GRU initializers, except the recurrent kernel (see gruAttention: orthogonal).
    this.kernel = this.addWeight("kernel", [features, g], "float32", tfl.initializers.glorotNormal({}));
    this.recurrentKernel = this.addWeight(
      "recurrent_kernel",
      [this.units, g],
      "float32",
      tfl.initializers.glorotUniform({}),
    );
    this.bias = this.addWeight("bias", [g], "float32", tfl.initializers.zeros());
    this.built = true;
  }

  /** `[batch, nSteps, features]` -> `[batch, nSteps, units]`. */
  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const shape = checkRank3(singleShape("FusedGru", inputShape));
    return [shape[0], shape[1], this.units];
  }

  /** Every step's state of the sequence `[batch, nSteps, features]`. */
  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Record<string, unknown>): tf.Tensor {
    return tf.tidy(() => {
      const x = singleTensor("FusedGru", inputs);
      const [batch, steps, features] = checkRank3(x.shape);
      const projected = tf.add(
        tf.matMul(tf.reshape(x, [batch * steps, features]), this.kernel!.read()),
        this.bias!.read(),
      );
      const xw = tf.reshape(projected, [batch, steps, 3 * this.units]) as tf.Tensor3D;
      const recurrentKernel = this.recurrentKernel!.read() as tf.Tensor2D;
      // The fused op reads values synchronously: webgpu (and any other asynchronous backend) runs the same
      // recurrence with tfjs ops instead.
      if (!onSynchronousBackend()) {
        return gruSequenceWithOps(xw, recurrentKernel, this.activation);
      }
      return this.sequence(xw, recurrentKernel);
    });
  }

  /** The layer's configuration, merged with the base layer's. */
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), units: this.units, activation: this.activation };
  }
}
tf.serialization.registerClass(FusedGru);

function checkRank3<S extends tfl.Shape>(shape: S): S {
  if (shape.length !== 3) {
    throw new TypeError(`FusedGru expects [batch, nSteps, features], got shape [${shape.join(", ")}]`);
  }
  return shape;
}
