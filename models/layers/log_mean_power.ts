/**
 * Log mean power over non-overlapping pools of time: `log(1 + mean(x²))` of every feature,
 * the log band power of a filtered series.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { knownDim, layerInt, singleShape, singleTensor } from "./_layer.ts";
import { fusedLogMeanPowerOp, isFusedLogMeanPower } from "./_fused_log_mean_power.ts";
import type { LayerArgs } from "../types.ts";

/** Arguments of {@linkcode LogMeanPower}. */
export interface LogMeanPowerArgs extends LayerArgs {
  /** Frames per pool; must divide the input's `nTimes`. @default 25 */
  pool?: number;
}

/**
 * `[batch, nTimes, features]` -> `[batch, nTimes / pool, features]`: for every pool of `pool`
 * consecutive frames and every feature, `log(1 + mean(x²))`. After a temporal filter bank
 * (band-pass filters run over the whole window) this is each band's log power in each pool,
 * whatever the phase of the oscillation (the square of one filter output, as `LogEnergy` takes
 * it, depends on the phase): the log-variance features of filter-bank CSP. A gain `g` on the
 * input is an offset of about `log g²` for large powers. No weights. Ops: reshape, square,
 * mean, log1p, all with wasm kernels; a layer marked with `fuseLogMeanPowerTraining`
 * (`_fused_log_mean_power.ts`; vivit's) trains as one tape node whose gradient is one wasm kernel
 * (`backends/kernels/log_mean_power_grad.ts`, the same bits).
 *
 * Serialisable: registered with `tf.serialization.registerClass`.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { LogMeanPower } from "./log_mean_power.ts";
 * import { assertAlmostEquals, assertEquals } from "@std/assert";
 *
 * await tf.setBackend("cpu");
 * // one feature, 4 frames, pools of 2: mean squares 2.5 and 0
 * const y = new LogMeanPower({ pool: 2 }).apply(tf.tensor3d([1, -2, 0, 0], [1, 4, 1])) as tf.Tensor;
 * assertEquals(y.shape, [1, 2, 1]);
 * assertAlmostEquals(y.dataSync()[0], Math.log(3.5), 1e-6);
 * assertEquals(y.dataSync()[1], 0);
 * ```
 */
export class LogMeanPower extends tfl.layers.Layer {
  /** Name under which the class is registered for serialisation. */
  static className = "LogMeanPower";
  /** Frames per pool. */
  readonly pool: number;

  /**
   * Creates the layer.
   *
   * @param args Layer arguments; see {@linkcode LogMeanPowerArgs}.
   * @throws {RangeError} when `pool` is not a positive integer.
   */
  constructor(args: LogMeanPowerArgs = {}) {
    super(args);
    this.pool = layerInt("LogMeanPower", "pool", args.pool ?? 25, 1);
  }

  /** `[batch, nTimes, features]` -> `[batch, nTimes / pool, features]`. */
  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const shape = singleShape("LogMeanPower", inputShape);
    const [nTimes, features] = this.dims(shape);
    return [shape[0], nTimes / this.pool, features];
  }

  /** `log(1 + mean(x²))` over every pool of every feature. */
  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Record<string, unknown>): tf.Tensor {
    return tf.tidy(() => {
      const x = singleTensor("LogMeanPower", inputs);
      const [nTimes, features] = this.dims(x.shape);
      // layers marked by fuseLogMeanPowerTraining: one tape node where the backend has the gradient kernel
      const fused = isFusedLogMeanPower(this) ? fusedLogMeanPowerOp(x, this.pool) : null;
      if (fused !== null) return fused;
      const pools = tf.reshape(tf.square(x), [x.shape[0], nTimes / this.pool, this.pool, features]);
      return tf.log1p(tf.mean(pools, 2));
    });
  }

  /** The layer's configuration, merged with the base layer's. */
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), pool: this.pool };
  }

  private dims(shape: tfl.Shape | number[]): [number, number] {
    if (shape.length !== 3) {
      throw new TypeError(`LogMeanPower expects [batch, nTimes, features], got shape [${shape.join(", ")}]`);
    }
    const nTimes = knownDim("LogMeanPower", shape as tfl.Shape, 1, "nTimes");
    if (nTimes % this.pool !== 0) {
      throw new RangeError(`LogMeanPower: pool ${this.pool} must divide nTimes ${nTimes}`);
    }
    return [nTimes, knownDim("LogMeanPower", shape as tfl.Shape, 2, "features")];
  }
}
tf.serialization.registerClass(LogMeanPower);
