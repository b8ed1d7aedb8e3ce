/**
 * GELU as one JavaScript loop forward and one backward on the synchronous backends (cpu, wasm),
 * instead of tfjs-layers' `div`, `erf`, `add`, `mul`, `mul` forward and about a dozen kernels
 * backward.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { onSynchronousBackend } from "./_layer.ts";

/** Abramowitz and Stegun 7.1.26, the constants of tfjs's cpu `Erf` kernel (`backend_util.ERF_*`). */
const ERF_P = 0.3275911;
const ERF_A1 = 0.254829592;
const ERF_A2 = -0.284496736;
const ERF_A3 = 1.421413741;
const ERF_A4 = -1.453152027;
const ERF_A5 = 1.061405429;
const SQRT_HALF = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/**
 * `x * 0.5 * (1 + erf(x / sqrt 2))` per value with the gradient `0.5 * (1 + erf(x / sqrt 2)) +
 * x * phi(x)` (a `tf.customGrad`); `erf` as tfjs's cpu kernel computes it (absolute error below
 * 1.5e-7), one `Math.exp` per value for both. On backends other than cpu and wasm: tfjs-layers'
 * formula.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { assertAlmostEquals } from "@std/assert";
 * import { gelu } from "./fused_gelu.ts";
 *
 * await tf.setBackend("cpu");
 * const [a, b] = gelu(tf.tensor1d([0, 1])).dataSync();
 * assertAlmostEquals(a, 0, 1e-7);
 * assertAlmostEquals(b, 0.8413447, 1e-6);
 * ```
 */
export function gelu(x: tf.Tensor): tf.Tensor {
  if (!onSynchronousBackend()) {
    return tf.tidy(() => tf.mul(x, tf.mul(0.5, tf.add(1, tf.erf(tf.div(x, Math.SQRT2))))));
  }
  const op = tf.customGrad((...args: (tf.Tensor | ((tensors: tf.Tensor[]) => void))[]) => {
    const input = args[0] as tf.Tensor;
    const values = input.dataSync() as Float32Array;
    const y = new Float32Array(values.length);
    const slope = new Float32Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      const a = Math.abs(v) * SQRT_HALF;
      const t = 1 / (1 + ERF_P * a);
      const e = Math.exp(-a * a);
      const erfAbs = 1 - (((((ERF_A5 * t + ERF_A4) * t) + ERF_A3) * t + ERF_A2) * t + ERF_A1) * t * e;
      const cdf = 0.5 * (1 + (v < 0 ? -erfAbs : erfAbs));
      y[i] = v * cdf;
      slope[i] = cdf + v * INV_SQRT_2PI * e;
    }
    return {
      value: tf.tensor(y, input.shape, "float32"),
      gradFunc: (dy: tf.Tensor | tf.Tensor[]) => {
        const d = (dy as tf.Tensor).dataSync() as Float32Array;
        const dx = new Float32Array(d.length);
        for (let i = 0; i < d.length; i++) dx[i] = d[i] * slope[i];
        return [tf.tensor(dx, input.shape, "float32")];
      },
    };
  });
  return op(x);
}

/**
 * The activation `"gelu"` of tfjs-layers computed by {@linkcode gelu}: the same class name and
 * config, so a layer that uses it serialises as with tfjs-layers' `Gelu` (and loads back with it).
 */
export class FusedGelu extends tf.serialization.Serializable {
  /** The class name of tfjs-layers' GELU, under which a layer's config names its activation. */
  static className = "gelu";

  /** Applies {@linkcode gelu}. */
  apply(x: tf.Tensor): tf.Tensor {
    return gelu(x);
  }

  /** No configuration, as tfjs-layers' activations. */
  getConfig(): tf.serialization.ConfigDict {
    return {};
  }
}

/**
 * `tfl.layers.dense(args)`, whose activation runs as {@linkcode gelu} when `args.activation` is
 * `"gelu"`; the layer's config, weights and names are those of `tfl.layers.dense(args)`.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { assertEquals } from "@std/assert";
 * import { denseGelu } from "./fused_gelu.ts";
 *
 * await tf.setBackend("cpu");
 * const layer = denseGelu({ units: 3, activation: "gelu" });
 * assertEquals((layer.apply(tf.ones([2, 4])) as tf.Tensor).shape, [2, 3]);
 * assertEquals(layer.getConfig().activation, "gelu");
 * ```
 */
export function denseGelu(args: Parameters<typeof tfl.layers.dense>[0]): tfl.layers.Layer {
  const layer = tfl.layers.dense(args);
  if (args.activation === "gelu") (layer as unknown as { activation: FusedGelu }).activation = new FusedGelu();
  return layer;
}
