/**
 * Log energy: `log(1 + x²)` of every value, the compressed power of a filter output.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { knownDim, singleShape, singleTensor } from "./_layer.ts";
import type { LayerArgs } from "../types.ts";

/** Arguments of {@linkcode LogEnergy}. */
export interface LogEnergyArgs extends LayerArgs {
  /**
   * Sum the squares of adjacent pairs along the last axis first: `log(1 + x[2i]² + x[2i+1]²)`,
   * halving it. A pair of filters in quadrature (a sine and a cosine of one band) gives the
   * band's power whatever the phase of the oscillation, which one filter's square does not.
   * @default false
   */
  pairs?: boolean;
}

/**
 * Elementwise `log(1 + x²)`, any shape, no weights (with `pairs`, of the pair sums of
 * squares over the last axis, whose size must be even). Applied to learned filter outputs it
 * turns their energy (band power) into a log power: a subject whose power in a band is `g`
 * times another's (a gain, a head closer to the sensors) differs by about `log g²` for large
 * outputs, an offset the BatchNorm after it removes (and AdaBN re-estimates per unseen
 * subject), where the plain square differs by a factor. Near zero it is `x²` (smooth, gradient
 * `2x / (1 + x²)`, bounded by 1). Ops: square, log1p, both with wasm kernels.
 *
 * Serialisable: registered with `tf.serialization.registerClass`.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { LogEnergy } from "./log_energy.ts";
 * import { assertAlmostEquals } from "@std/assert";
 *
 * await tf.setBackend("cpu");
 * const y = new LogEnergy().apply(tf.tensor1d([0, -2, 3])) as tf.Tensor;
 * const [a, b, c] = y.dataSync();
 * assertAlmostEquals(a, 0);
 * assertAlmostEquals(b, Math.log(5), 1e-6);
 * assertAlmostEquals(c, Math.log(10), 1e-6);
 * const pair = new LogEnergy({ pairs: true }).apply(tf.tensor2d([[3, 4]])) as tf.Tensor;
 * assertAlmostEquals(pair.dataSync()[0], Math.log(26), 1e-6);
 * ```
 */
export class LogEnergy extends tfl.layers.Layer {
  /** Name under which the class is registered for serialisation. */
  static className = "LogEnergy";
  /** Whether adjacent pairs along the last axis are summed (see {@linkcode LogEnergyArgs}). */
  readonly pairs: boolean;

  /**
   * Creates the layer.
   *
   * @param args Layer arguments; see {@linkcode LogEnergyArgs}.
   * @throws {TypeError} when `pairs` is not a boolean.
   */
  constructor(args: LogEnergyArgs = {}) {
    super(args);
    const pairs = args.pairs ?? false;
    if (typeof pairs !== "boolean") throw new TypeError(`LogEnergy: pairs must be a boolean, got ${pairs}`);
    this.pairs = pairs;
  }

  /** The input shape; with `pairs`, the last axis halved. */
  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const shape = singleShape("LogEnergy", inputShape);
    if (!this.pairs) return shape;
    const last = knownDim("LogEnergy", shape, -1, "last axis");
    if (last % 2 !== 0) {
      throw new RangeError(`LogEnergy: pairs needs an even last axis, got input shape [${shape.join(", ")}]`);
    }
    return [...shape.slice(0, -1), last / 2];
  }

  /** `log(1 + x²)` of every value (of every pair sum with `pairs`). */
  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Record<string, unknown>): tf.Tensor {
    return tf.tidy(() => {
      const x = singleTensor("LogEnergy", inputs);
      if (!this.pairs) return tf.log1p(tf.square(x));
      const shape = this.computeOutputShape(x.shape) as number[];
      const squares = tf.reshape(tf.square(x), [...shape, 2]);
      return tf.log1p(tf.sum(squares, -1));
    });
  }

  /** The layer's configuration, merged with the base layer's. */
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), pairs: this.pairs };
  }
}
tf.serialization.registerClass(LogEnergy);
