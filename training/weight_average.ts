/**
 * An exponential moving average of a model's weights over epochs (an epoch-level EMA, close
 * to stochastic weight averaging): after each epoch the average moves towards the trained
 * weights, `average = decay * average + (1 - decay) * weights` (the first epoch's weights
 * start it), and validation and the saved model use the average while training goes on from
 * the trained weights. The average smooths the epoch-to-epoch noise of the weights, so which
 * epoch validates best, and the model kept, depend less on one draw of batches and dropout
 * masks. Every weight of the model is averaged, BatchNorm's moving statistics included (AdaBN
 * replaces those per evaluated subject anyway).
 *
 * The values are kept as plain arrays (never tensors that share a buffer with a weight), so
 * an optimizer that replaces or rewrites weights cannot change them.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";

/** What a checkpoint stores of a {@linkcode WeightAverage}. */
export interface WeightAverageState {
  /** Epochs folded in so far. */
  updates: number;
  /** The averaged values of every weight of the model, in `model.weights` order. */
  values: number[][];
}

/**
 * The exponential moving average over epochs of `model`'s weights.
 *
 * @example
 * ```ts
 * import "@tensorflow/tfjs-backend-cpu";
 * import * as tf from "@tensorflow/tfjs-core";
 * import * as tfl from "@tensorflow/tfjs-layers";
 * import { assertAlmostEquals } from "@std/assert";
 * import { WeightAverage } from "./weight_average.ts";
 *
 * await tf.setBackend("cpu");
 * const model = tfl.sequential({ layers: [tfl.layers.dense({ units: 1, inputShape: [1], useBias: false })] });
 * const set = (x: number) => model.setWeights([tf.tensor2d([[x]])]);
 * const average = new WeightAverage(model, 0.5);
 * set(2);
 * average.update(); // the first epoch starts the average: 2
 * set(4);
 * average.update(); // 0.5 * 2 + 0.5 * 4 = 3
 * const inside = await average.withAverage(() => model.getWeights()[0].dataSync()[0]);
 * assertAlmostEquals(inside, 3);
 * assertAlmostEquals(model.getWeights()[0].dataSync()[0], 4); // the trained weight is back
 * ```
 */
export class WeightAverage {
  readonly #model: tfl.LayersModel;
  readonly #decay: number;
  #values: Float64Array[] | undefined;
  #updates = 0;

  /**
   * @param model The model whose weights are averaged.
   * @param decay The weight of the old average at each update, in [0, 1): 0 keeps the last
   *   epoch's weights; 0.7 gives the last epochs the weights 0.3, 0.21, 0.147, ...
   * @param state A checkpoint's state (see {@linkcode state}) to continue from.
   * @throws {RangeError} for a decay outside [0, 1) or a state that does not fit the model.
   */
  constructor(model: tfl.LayersModel, decay: number, state?: WeightAverageState) {
    if (!(decay >= 0 && decay < 1)) {
      throw new RangeError(`Cannot average weights: the decay must be in [0, 1), got ${decay}`);
    }
    this.#model = model;
    this.#decay = decay;
    if (state !== undefined && state.updates > 0) {
      const sizes = model.weights.map((w) => w.read().size);
      if (state.values.length !== sizes.length || state.values.some((v, i) => v.length !== sizes[i])) {
        throw new RangeError("Cannot average weights: the stored average does not fit the model's weights");
      }
      this.#values = state.values.map((v) => Float64Array.from(v));
      this.#updates = state.updates;
    }
  }

  /** Epochs folded in so far. */
  get updates(): number {
    return this.#updates;
  }

  /** Folds the model's current weights into the average (the first call copies them). */
  update(): void {
    const current = this.#model.weights.map((w) => w.read().dataSync() as Float32Array);
    if (this.#values === undefined) {
      this.#values = current.map((v) => Float64Array.from(v));
    } else {
      const d = this.#decay;
      this.#values.forEach((average, i) => {
        const w = current[i];
        for (let j = 0; j < average.length; j++) average[j] = d * average[j] + (1 - d) * w[j];
      });
    }
    this.#updates++;
  }

  /**
   * Runs `fn` with the averaged weights in the model and puts the trained weights back after
   * it (also when it throws). Before the first update it runs `fn` on the model as it is.
   *
   * @param fn What to run on the averaged model (validation, saving).
   * @returns What `fn` returns.
   */
  async withAverage<T>(fn: () => Promise<T> | T): Promise<T> {
    if (this.#values === undefined) return await fn();
    const weights = this.#model.weights;
    const trained = weights.map((w) => Float32Array.from(w.read().dataSync() as Float32Array));
    const write = (arrays: ArrayLike<number>[]) =>
      weights.forEach((w, i) => {
        const tensor = tf.tensor(Float32Array.from(arrays[i]), w.read().shape, "float32");
        w.write(tensor); // the variable keeps the values; this handle is released
        tensor.dispose();
      });
    write(this.#values);
    try {
      return await fn();
    } finally {
      write(trained);
    }
  }

  /** The state a checkpoint stores, to continue the average on resume. */
  state(): WeightAverageState {
    return { updates: this.#updates, values: (this.#values ?? []).map((v) => Array.from(v)) };
  }
}
