import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { assert, assertEquals } from "@std/assert";
import { LogMeanPower } from "../../../models/layers/log_mean_power.ts";
import {
  fuseLogMeanPowerTraining,
  isFusedLogMeanPower,
  setFusedLogMeanPower,
} from "../../../models/layers/_fused_log_mean_power.ts";
import { logMeanPowerGradCount } from "../../../backends/kernels/log_mean_power_grad.ts";
import { setupBackend } from "../../../backends/backend.ts";
import { MODEL_RECIPES } from "../../../training/model_recipes.ts";
import { weightBitsAfterSteps } from "../../training/_weight_bits_after_steps.ts";
import { offAndOn } from "./_off_and_on.ts";

/** Bits of the output and of the input gradient of `sum(output * mix)` for a marked layer. */
function powerBits(shape: [number, number, number], pool: number, seed: number): number[][] {
  return tf.tidy(() => {
    const layer = fuseLogMeanPowerTraining(new LogMeanPower({ pool }));
    const x = tf.randomNormal(shape, 0, 2, "float32", seed);
    const mix = tf.randomNormal([shape[0], shape[1] / pool, shape[2]], 0, 1, "float32", seed + 1);
    const f = (input: tf.Tensor) => tf.sum(tf.mul(layer.apply(input) as tf.Tensor, mix)) as tf.Scalar;
    const dx = tf.grad(f)(x);
    const out = layer.apply(x) as tf.Tensor;
    return [out, dx].map((t) => Array.from(new Uint32Array(t.dataSync().buffer)));
  });
}

Deno.test("wasm: a fused log mean power gives tfjs's output and gradient bit for bit", async () => {
  await setupBackend("wasm");
  // vivit's log band powers [32, 250, 64] in pools of 50; a pool of 1; a few features, odd pools
  for (const [shape, pool] of [[[32, 250, 64], 50], [[2, 6, 4], 1], [[3, 21, 12], 7]] as const) {
    const { off, on, calls } = await offAndOn(
      setFusedLogMeanPower,
      logMeanPowerGradCount,
      () => powerBits([...shape], pool, 5),
    );
    assertEquals(calls, [0, 1], `${shape} pool ${pool}`);
    assertEquals(on[0], off[0], `output of ${shape} pool ${pool}`);
    assertEquals(on[1], off[1], `gradient of ${shape} pool ${pool}`);
  }
});

Deno.test("a fused log mean power leaves unmarked layers, other backends and features not a multiple of 4 to tfjs", async () => {
  await setupBackend("wasm");
  const marked = fuseLogMeanPowerTraining(new LogMeanPower({ pool: 2 }));
  const plain = new LogMeanPower({ pool: 2 });
  assert(isFusedLogMeanPower(marked) && !isFusedLogMeanPower(plain));
  const before = logMeanPowerGradCount();
  const grad = (layer: LogMeanPower, shape: number[]) =>
    tf.tidy(() => tf.grad((x: tf.Tensor) => tf.sum(layer.apply(x) as tf.Tensor))(tf.randomNormal(shape)).dispose());
  grad(marked, [2, 4, 3]);
  grad(plain, [2, 4, 8]);
  await tf.setBackend("cpu");
  grad(marked, [2, 4, 8]);
  assertEquals(logMeanPowerGradCount() - before, 0);
});

Deno.test("wasm: training steps of vivit with the fused log mean power give the same weights bit for bit", async () => {
  await setupBackend("wasm");
  // the cross network (the defaults): one LogMeanPower, one gradient kernel per step; intra none
  const intra = { ...MODEL_RECIPES.vivit.intra?.modelOptions };
  for (const [options, kernels] of [[{}, 1], [intra, 0]] as const) {
    const { off, on, calls } = await offAndOn(
      setFusedLogMeanPower,
      logMeanPowerGradCount,
      () => weightBitsAfterSteps("vivit", 3, options),
    );
    assertEquals(calls, [0, 3 * kernels], JSON.stringify(options));
    on.forEach((bits, i) =>
      assertEquals(Array.from(bits), Array.from(off[i]), `${JSON.stringify(options)} weight ${i}`)
    );
  }
});
