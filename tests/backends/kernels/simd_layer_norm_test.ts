import { assertEquals, assertLess, assertThrows } from "@std/assert";
import * as tf from "@tensorflow/tfjs-core";
import { Random } from "../../../core/random.ts";
import { LAYER_NORM_KERNEL, simdLayerNormCount } from "../../../backends/kernels/simd_layer_norm.ts";
import { compareBackends, normalInput, setupBackends } from "./_parity.ts";

/** The broadcasting-op LayerNorm (what the layer computes on other backends), the reference on cpu. */
function reference(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon: number): tf.Tensor {
  const axis = x.rank - 1;
  const centred = tf.sub(x, tf.mean(x, axis, true));
  const variance = tf.mean(tf.square(centred), axis, true);
  return tf.add(tf.mul(tf.mul(centred, tf.rsqrt(tf.add(variance, epsilon))), gamma), beta);
}

Deno.test("the LayerNorm kernels on wasm (SIMD) match the broadcasting ops on cpu: output and gradients of x, gamma and beta", async () => {
  await setupBackends();
  const random = new Random(171);
  for (const [shape, epsilon] of [[[1, 4], 1e-5], [[3, 8], 1e-3], [[2, 5, 32], 1e-5], [[64, 64], 1e-5]] as const) {
    const n = shape[shape.length - 1];
    const x = normalInput(random, [...shape]);
    for (let i = 0; i < x.values.length; i++) x.values[i] = 3 * x.values[i] + 2; // offset and scale per value
    const inputs = {
      x,
      gamma: normalInput(random, [n]),
      beta: normalInput(random, [n]),
      dy: normalInput(random, [...shape]),
    };
    const run = (layerNorm: typeof reference) => ({ x, gamma, beta, dy }: Record<string, tf.Tensor>) => {
      const f = (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) =>
        tf.sum(tf.mul(layerNorm(x, gamma, beta, epsilon), dy));
      return [layerNorm(x, gamma, beta, epsilon), ...tf.grads(f)([x, gamma, beta])];
    };
    const before = simdLayerNormCount();
    const direct = (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number) => {
      const op = tf.customGrad((...args: (tf.Tensor | ((t: tf.Tensor[]) => void))[]) => {
        const [a, g, b] = args as tf.Tensor[];
        const save = args[3] as (t: tf.Tensor[]) => void;
        const [y, m, r] = tf.engine().runKernel(LAYER_NORM_KERNEL, { x: a, gamma: g, beta: b }, {
          epsilon: eps,
        }) as tf.Tensor[];
        save([a, g, m, r]);
        return {
          value: y,
          gradFunc: (dy: tf.Tensor | tf.Tensor[], [xs, gs, ms, rs]: tf.Tensor[]) =>
            tf.engine().runKernel("MegflowLayerNormGrad", {
              dy: dy as tf.Tensor,
              x: xs,
              gamma: gs,
              mean: ms,
              rstd: rs,
            }) as tf.Tensor[],
        };
      });
      return op(x, gamma, beta);
    };
    const error = await compareBackends(inputs, run(direct), run(reference));
    assertLess(error, 2e-5, JSON.stringify(shape));
    assertEquals(simdLayerNormCount() - before, 3, JSON.stringify(shape)); // forward twice, gradient once
  }
});

Deno.test("the LayerNorm kernel rejects a feature axis that is not a multiple of 4, naming the kernel", async () => {
  await setupBackends();
  await tf.setBackend("wasm");
  const x = tf.ones([2, 6]);
  const p = tf.ones([6]);
  assertThrows(
    () => tf.engine().runKernel(LAYER_NORM_KERNEL, { x, gamma: p, beta: p }, { epsilon: 1e-5 }),
    RangeError,
    "MegflowLayerNorm",
  );
  tf.dispose([x, p]);
});
