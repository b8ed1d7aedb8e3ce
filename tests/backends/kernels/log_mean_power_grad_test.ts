import * as tf from "@tensorflow/tfjs-core";
import { assert, assertEquals } from "@std/assert";
import { setupBackend } from "../../../backends/backend.ts";
import { LOG_MEAN_POWER_GRAD_KERNEL, logMeanPowerGradCount } from "../../../backends/kernels/log_mean_power_grad.ts";

Deno.test("wasm: MegflowLogMeanPowerGrad is dy / (m + 1) / pool * 2 x, pool by pool", async () => {
  await setupBackend("wasm");
  assert(tf.getKernel(LOG_MEAN_POWER_GRAD_KERNEL, "wasm") !== undefined);
  const before = logMeanPowerGradCount();
  // one batch, two pools of 2 frames, 4 features; means 1 and 3 (m + 1 = 2 and 4), dy 8
  const x = tf.tensor3d([1, 2, 3, 4, 5, 6, 7, 8, -1, -2, -3, -4, 0, 1, 0, 1], [1, 4, 4]);
  const mean = tf.tensor3d([1, 1, 1, 1, 3, 3, 3, 3], [1, 2, 4]);
  const dy = tf.fill([1, 2, 4], 8);
  const dx = tf.engine().runKernel(LOG_MEAN_POWER_GRAD_KERNEL, { dy, x, mean }, { pool: 2 }) as tf.Tensor;
  // q = 8 / 2 / 2 = 2 (first pool), 8 / 4 / 2 = 1 (second): dx = 4 x, then 2 x
  assertEquals(Array.from(dx.dataSync()), [4, 8, 12, 16, 20, 24, 28, 32, -2, -4, -6, -8, 0, 2, 0, 2]);
  assertEquals(logMeanPowerGradCount() - before, 1);
  tf.dispose([x, mean, dy, dx]);
});
