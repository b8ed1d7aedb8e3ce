/**
 * Adam with the update of each weight tensor as one loop over its values, instead of tfjs's ~12
 * kernels per weight tensor per step.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import { onSynchronousBackend } from "../core/_synchronous_backend.ts";
import { type AdamStepConstants, adamStepInHeap } from "../backends/kernels/_adam_wasm.ts";

/** The fields of tfjs's `AdamOptimizer` (private in its typings) that the update reads and writes. */
interface AdamState {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: { originalName: string; variable: tf.Variable }[];
  accumulatedSecondMoment: { originalName: string; variable: tf.Variable }[];
  incrementIterations(): void;
}

/** A named gradient, as `Optimizer.applyGradients` receives it. */
type Gradients = Parameters<tf.AdamOptimizer["applyGradients"]>[0];

/**
 * tfjs's `AdamOptimizer` (same constructor, state, `getWeights`/`setWeights`, moments named
 * `<weight>/m` and `<weight>/v`, serialised as `"Adam"`) whose `applyGradients` computes the
 * update of each weight tensor in one JavaScript loop on cpu and wasm: the same formula in the
 * same order, every operation rounded to float32 as tfjs's kernels round it, so the weights and
 * moments are those of `tf.train.adam` (bit for bit on cpu and wasm, where tfjs's kernels are
 * IEEE float32 operations). Each step reads the gradient, weight and moments once and writes
 * three new tensors per weight tensor, where tfjs runs about a dozen kernels, each a dispatch,
 * an intermediate tensor and a pass over memory: for a model of 20-50 small weight tensors that
 * is hundreds of dispatches per step. Other backends (webgpu: values cannot be read
 * synchronously) run tfjs's update.
 *
 * Why new tensors rather than writing in place: the wasm backend caches XNNPACK operators
 * (with packed weights) per tensor, so a weight must get a new buffer when its values change.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { assertAlmostEquals } from "@std/assert";
 * import { FusedAdam } from "./fused_adam.ts";
 *
 * await tf.setBackend("cpu");
 * const w = tf.variable(tf.tensor1d([1, -2]));
 * const adam = new FusedAdam(0.1);
 * adam.applyGradients([{ name: w.name, tensor: tf.tensor1d([0.5, -0.5]) }]);
 * const [a, b] = w.dataSync();
 * assertAlmostEquals(a, 0.9, 1e-6); // the first Adam step moves by about the learning rate
 * assertAlmostEquals(b, -1.9, 1e-6);
 * ```
 */
export class FusedAdam extends tf.AdamOptimizer {
  /**
   * @param learningRate The step size.
   * @param beta1 Decay of the first moment. Default 0.9 (as `tf.train.adam`).
   * @param beta2 Decay of the second moment. Default 0.999.
   * @param epsilon Added to the root of the second moment. Default: the backend's epsilon.
   */
  constructor(learningRate: number, beta1 = 0.9, beta2 = 0.999, epsilon?: number) {
    super(learningRate, beta1, beta2, epsilon as number);
  }

  /** Updates the variables named in `variableGradients` (in their order: moments are kept by position). */
  override applyGradients(variableGradients: Gradients): void {
    if (!onSynchronousBackend()) return super.applyGradients(variableGradients);
    const names = Array.isArray(variableGradients)
      ? variableGradients.map((v) => v.name)
      : Object.keys(variableGradients);
    const self = this as unknown as AdamState;
    const f = Math.fround;
    const constants: AdamConstants = {
      beta1: f(self.beta1),
      beta2: f(self.beta2),
      oneMinusBeta1: f(1 - self.beta1),
      oneMinusBeta2: f(1 - self.beta2),
      oneMinusAccBeta1: f(1 - self.accBeta1.dataSync()[0]),
      oneMinusAccBeta2: f(1 - self.accBeta2.dataSync()[0]),
      epsilon: f(self.epsilon),
      negativeRate: f(-self.learningRate),
    };
    names.forEach((name, i) => {
      const value = tf.engine().registeredVariables[name];
      ensureMoments(self, name, value, i);
      const gradient = Array.isArray(variableGradients) ? variableGradients[i].tensor : variableGradients[name];
      if (gradient == null) return;
      const m = self.accumulatedFirstMoment[i].variable;
      const v = self.accumulatedSecondMoment[i].variable;
      if (adamStepInHeap(gradient, value, m, v, constants)) return; // wasm: the same loop in the heap
      const next = adamUpdate(
        gradient.dataSync() as Float32Array,
        value.dataSync() as Float32Array,
        m.dataSync() as Float32Array,
        v.dataSync() as Float32Array,
        constants,
      );
      assignValues(m, next.m);
      assignValues(v, next.v);
      assignValues(value, next.w);
    });
    tf.tidy(() => {
      self.accBeta1.assign(tf.mul(self.accBeta1, self.beta1));
      self.accBeta2.assign(tf.mul(self.accBeta2, self.beta2));
    });
    self.incrementIterations();
  }
}

/** Creates the zero moments of weight `i` on its first update, named as tfjs names them. */
function ensureMoments(self: AdamState, name: string, value: tf.Variable, i: number): void {
  if (self.accumulatedFirstMoment[i] == null) {
    self.accumulatedFirstMoment[i] = {
      originalName: `${name}/m`,
      variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
    };
  }
  if (self.accumulatedSecondMoment[i] == null) {
    self.accumulatedSecondMoment[i] = {
      originalName: `${name}/v`,
      variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
    };
  }
}
tf.serialization.registerClass(FusedAdam);

/** The float32 constants of one Adam step (the wasm loop takes the same). */
type AdamConstants = AdamStepConstants;

/**
 * One Adam step of one weight tensor, every operation rounded to float32 in tfjs's order:
 * `m' = m b1 + g (1 - b1)`, `v' = v b2 + g^2 (1 - b2)`,
 * `w' = (m' / (1 - b1^t)) / (sqrt(v' / (1 - b2^t)) + eps) * -lr + w`.
 * (A float32 operation computed in float64 and rounded once is the correctly rounded float32
 * result, for +, -, x, / and sqrt.)
 */
function adamUpdate(
  g: Float32Array,
  w: Float32Array,
  m: Float32Array,
  v: Float32Array,
  c: AdamConstants,
): { w: Float32Array; m: Float32Array; v: Float32Array } {
  const f = Math.fround;
  const n = g.length;
  const w2 = new Float32Array(n);
  const m2 = new Float32Array(n);
  const v2 = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const gi = g[i];
    const mi = f(f(m[i] * c.beta1) + f(gi * c.oneMinusBeta1));
    const vi = f(f(v[i] * c.beta2) + f(f(gi * gi) * c.oneMinusBeta2));
    const mHat = f(mi / c.oneMinusAccBeta1);
    const vHat = f(vi / c.oneMinusAccBeta2);
    const step = f(mHat / f(f(Math.sqrt(vHat)) + c.epsilon));
    m2[i] = mi;
    v2[i] = vi;
    w2[i] = f(step * c.negativeRate) + w[i];
  }
  return { w: w2, m: m2, v: v2 };
}

/** Gives `variable` the values `values` (a new tensor of its shape). */
function assignValues(variable: tf.Variable, values: Float32Array): void {
  const tensor = tf.tensor(values, variable.shape, "float32");
  variable.assign(tensor);
  tensor.dispose();
}

/**
 * A {@linkcode FusedAdam} with tfjs's default betas and epsilon: a drop-in for
 * `tf.train.adam(learningRate)`.
 *
 * @param learningRate The step size.
 * @returns The optimizer.
 */
export function adam(learningRate: number): FusedAdam {
  return new FusedAdam(learningRate);
}
