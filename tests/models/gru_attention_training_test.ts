import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-backend-wasm";
import { assertEquals, assertLess } from "@std/assert";
import type { GruAttentionOptions } from "../../models/gru_attention.ts";
// What training builds: the registry (whose models install megflow's dropout masks on import).
import { buildModel } from "../../models/registry.ts";
import { fastDropoutMasks } from "../../models/layers/_fast_dropout.ts";
import { registerWasmTrainingKernels } from "../../backends/kernels/mod.ts";
import { Random } from "../../core/random.ts";
import { MODEL_RECIPES } from "../../training/model_recipes.ts";
import { withSeededRandom } from "../../core/with_seeded_random.ts";
import { relativeError } from "../backends/kernels/_parity.ts";

registerWasmTrainingKernels();

const [BATCH, CHANS, TIMES, STEPS] = [8, 12, 100, 3];
const LEARNING_RATE = 0.5;

/** Windows with a class-dependent rhythm in some sensors, and their one-hot labels. */
function batch(random: Random): { x: Float32Array; y: Float32Array } {
  {
    const x = new Float32Array(BATCH * CHANS * TIMES);
    const y = new Float32Array(BATCH * 4);
    for (let b = 0; b < BATCH; b++) {
      const c = b % 4;
      y[b * 4 + c] = 1;
      for (let ch = 0; ch < CHANS; ch++) {
        for (let t = 0; t < TIMES; t++) {
          const rhythm = ch % 4 === c ? Math.sin(0.05 * (c + 1) * t) : 0;
          x[(b * CHANS + ch) * TIMES + t] = rhythm + random.normal();
        }
      }
    }
    return { x, y };
  }
}

/**
 * `STEPS` steps of plain gradient descent on gru on `backend`, from `weights`: the loss of every
 * step, the training-mode probabilities of the first batch after the last step and the final
 * trainable weights. Gradient descent, not Adam: Adam scales a gradient that is zero up to
 * rounding (a gate whose input is near zero on this batch) to a full step of either sign, so two
 * correct backends could end a whole step apart, depending on the initial weights and on the
 * machine's rounding (fused multiply-add or not); a plain step moves each weight by its gradient,
 * so the backends' difference stays the size of their gradients' difference.
 */
async function train(backend: string, fused: boolean, weights: tf.Tensor[], data: ReturnType<typeof batch>[]) {
  await tf.setBackend(backend);
  // The cross recipe's model with its dropouts: under the same seed both runs draw the same masks
  // (the JavaScript stream on cpu, the wasm kernel's where it has one) and compute the same function.
  const recipe = MODEL_RECIPES.gru.settings.modelOptions as GruAttentionOptions;
  const model = buildModel("gru", { nChans: CHANS, nTimes: TIMES }, 4, { ...recipe, fused });
  model.setWeights(weights);
  const optimizer = tf.train.sgd(LEARNING_RATE);
  const losses: number[] = [];
  const loss = (x: tf.Tensor, y: tf.Tensor) => () => {
    const p = model.apply(x, { training: true }) as tf.Tensor;
    return tf.neg(tf.mean(tf.sum(tf.mul(y, tf.log(tf.add(p, 1e-7))), 1))) as tf.Scalar;
  };
  await withSeededRandom(5, () => {
    for (const { x, y } of data) {
      const [xs, ys] = [tf.tensor3d(x, [BATCH, CHANS, TIMES]), tf.tensor2d(y, [BATCH, 4])];
      const value = optimizer.minimize(loss(xs, ys), true)!;
      losses.push(value.dataSync()[0]);
      tf.dispose([xs, ys, value]);
    }
  });
  const probe = tf.tensor3d(data[0].x, [BATCH, CHANS, TIMES]);
  const probs = await withSeededRandom(
    6,
    () => tf.tidy(() => (model.apply(probe, { training: true }) as tf.Tensor).dataSync() as Float32Array),
  );
  const final = new Map(model.trainableWeights.map((w) => [w.originalName, w.read().dataSync() as Float32Array]));
  probe.dispose();
  optimizer.dispose();
  model.dispose();
  return { losses, probs, final };
}

// Every parity test checks one call; this trains the whole model several steps, so a difference
// that only shows across steps (a state or saved sequence left in the kernel memory, a gradient
// that does not reach a weight, an update of the wrong weight, masks that differ) shows too.
Deno.test("gru's cross model trained on wasm (fused GRU, megflow's kernels) follows tfjs's GRU on cpu step by step, dropout masks included", async () => {
  await tf.setBackend("cpu");
  const random = new Random(11);
  // Seeded, so that the test runs the same numbers every time.
  const init = await withSeededRandom(
    3,
    () =>
      buildModel("gru", { nChans: CHANS, nTimes: TIMES }, 4, {
        ...(MODEL_RECIPES.gru.settings.modelOptions as GruAttentionOptions),
        fused: false,
      }),
  );
  // Non-zero biases and BatchNorm parameters, so that every path carries a gradient.
  const weights = init.getWeights().map((w) =>
    w.shape.length === 1
      ? tf.add(w, tf.tensor1d(Array.from({ length: w.size }, () => 0.1 * random.normal())))
      : tf.clone(w)
  );
  // Where each weight starts (`getWeights` lists `weights` in order).
  const initial = new Map(init.weights.map((w, i) => [w.originalName, weights[i].dataSync() as Float32Array]));
  init.dispose();
  const data = [batch(random), batch(random), batch(random)];
  const masks = fastDropoutMasks();
  const stock = await train("cpu", false, weights, data);
  const fast = await train("wasm", true, weights, data);
  assertEquals(fast.losses.length, STEPS);
  assertEquals(fastDropoutMasks() - masks, 2 * 3 * (STEPS + 1), "megflow's masks, 3 per forward pass");
  for (let s = 0; s < STEPS; s++) assertLess(Math.abs(fast.losses[s] - stock.losses[s]), 1e-4, `loss of step ${s + 1}`);
  assertLess(stock.losses[STEPS - 1], stock.losses[0], "the steps did not train");
  assertLess(relativeError(fast.probs, stock.probs), 1e-3, "probabilities after the steps");
  // Each weight's change over the steps: the backends' difference measured against what the
  // steps moved, not against the weight itself, where a wrong gradient would hide.
  for (const [name, expected] of stock.final) {
    // The stem's own scale and shift, and the projection's bias, come right before a BatchNorm
    // (stem_bn, projection_norm), which undoes them: their gradients are zero up to that norm's
    // epsilon and rounding, and they move by a few float32 steps (4e-5 for the scale, starting
    // near 1), a change no difference can be measured against.
    if (["stem_temporal_spatial/gamma", "stem_temporal_spatial/beta", "sensor_projection/bias"].includes(name)) {
      continue;
    }
    const start = initial.get(name)!;
    const change = (w: Float32Array) => w.map((v, i) => v - start[i]);
    assertLess(relativeError(change(fast.final.get(name)!), change(expected)), 1e-3, name);
  }
  tf.dispose(weights);
});
