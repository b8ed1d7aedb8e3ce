import { assert, assertEquals } from "@std/assert";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { setupBackend } from "../../backends/backend.ts";
import { Random } from "../../core/random.ts";
import { adam, FusedAdam } from "../../training/fused_adam.ts";
import { inPlaceAdamSteps, setInPlaceAdam } from "../../backends/kernels/_adam_wasm.ts";
import { MODEL_RECIPES } from "../../training/model_recipes.ts";
import { weightBitsAfterSteps } from "./_weight_bits_after_steps.ts";

const SHAPES = [[3, 4], [7], [2, 3, 5]];

/** Runs `steps` Adam steps with fixed random gradients on fresh variables; returns weights and moments. */
async function train(make: (lr: number) => tf.Optimizer, steps: number, seed: number): Promise<Float32Array[]> {
  const random = new Random(seed);
  const values = (shape: number[]) =>
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => random.normal());
  const variables = SHAPES.map((shape) => tf.variable(tf.tensor(values(shape), shape)));
  const optimizer = make(0.01);
  for (let step = 0; step < steps; step++) {
    // The learning rate may change between steps (warm-up); the second weight gets no gradient at step 1.
    (optimizer as unknown as { learningRate: number }).learningRate = 0.01 * (step + 1);
    const grads = variables.map((v, i) => ({
      name: v.name,
      tensor: step === 1 && i === 1 ? null : tf.tensor(values(v.shape).map((x) => x * 10 ** (i - 1)), v.shape),
    }));
    optimizer.applyGradients(grads as Parameters<tf.Optimizer["applyGradients"]>[0]);
    tf.dispose(grads.map((g) => g.tensor).filter((t) => t !== null) as tf.Tensor[]);
  }
  const weights = await optimizer.getWeights();
  const out = [
    ...variables.map((v) => v.dataSync() as Float32Array),
    ...weights.map((w) => w.tensor.dataSync() as Float32Array),
  ];
  tf.dispose(variables);
  optimizer.dispose();
  return out.map((a) => Float32Array.from(a));
}

for (const backend of ["cpu", "wasm"] as const) {
  Deno.test(`FusedAdam gives tf.train.adam's weights and moments bit for bit on ${backend}`, async () => {
    await setupBackend(backend);
    const stock = await train((lr) => tf.train.adam(lr), 4, 5);
    const fused = await train((lr) => adam(lr), 4, 5);
    assertEquals(fused.length, stock.length);
    fused.forEach((values, i) => assertEquals(Array.from(values), Array.from(stock[i]), `tensor ${i}`));
  });
}

Deno.test("FusedAdam's state moves to and from tfjs's Adam (checkpoints written by either resume in the other)", async () => {
  await setupBackend("wasm");
  const w = tf.variable(tf.tensor1d([1, -2, 3]));
  const grad = () => [{ name: w.name, tensor: tf.tensor1d([0.3, -0.1, 0.2]) }];
  const fused = new FusedAdam(0.05);
  fused.applyGradients(grad());
  fused.applyGradients(grad());
  const state = await fused.getWeights();
  assertEquals(state.map((s) => s.name), ["iter", `${w.name}/m`, `${w.name}/v`]);
  assertEquals(fused.getClassName(), "Adam");
  const copy = () => state.map((s) => ({ name: s.name, tensor: tf.clone(s.tensor) }));
  // Resumed from that state, tfjs's Adam and a FusedAdam take the same next step.
  const stock = tf.train.adam(0.05);
  const resumed = new FusedAdam(0.05);
  await stock.setWeights(copy());
  await resumed.setWeights(copy());
  const before = Float32Array.from(w.dataSync());
  stock.applyGradients(grad());
  const afterStock = Float32Array.from(w.dataSync());
  w.assign(tf.tensor1d(before));
  resumed.applyGradients(grad());
  assertEquals(Array.from(w.dataSync()), Array.from(afterStock));
  assert(afterStock[0] !== before[0]);
  fused.dispose();
  stock.dispose();
  resumed.dispose();
  w.dispose();
});

Deno.test("FusedAdam runs no kernel per weight tensor: only the two bias-correction products of a step", async () => {
  await setupBackend("wasm");
  const variables = Array.from({ length: 6 }, (_, i) => tf.variable(tf.fill([4, i + 1], 0.5)));
  const count = async (optimizer: tf.Optimizer) => {
    const grads = () => variables.map((v) => ({ name: v.name, tensor: tf.onesLike(v) }));
    optimizer.applyGradients(grads()); // creates the moments
    const g = grads();
    const profile = await tf.profile(() => optimizer.applyGradients(g));
    tf.dispose(g.map((x) => x.tensor));
    optimizer.dispose();
    return profile.kernels.length;
  };
  assertEquals(await count(new FusedAdam(0.01)), 2);
  assert(await count(tf.train.adam(0.01)) >= 6 * 10);
  tf.dispose(variables);
});

Deno.test("wasm: training steps with Adam in place give the weights of the copying update bit for bit (spectral, gru, vivit_cross)", async () => {
  await setupBackend("wasm");
  const cross = { ...MODEL_RECIPES.vivit.cross?.modelOptions };
  for (const [name, options] of [["spectral", {}], ["gru", {}], ["vivit", cross]] as const) {
    const previous = setInPlaceAdam(false);
    try {
      const copied = await weightBitsAfterSteps(name, 3, options);
      setInPlaceAdam(true);
      const before = inPlaceAdamSteps();
      const inPlace = await weightBitsAfterSteps(name, 3, options);
      assert(inPlaceAdamSteps() > before, `${name}: no update ran in place`);
      inPlace.forEach((bits, i) => assertEquals(Array.from(bits), Array.from(copied[i]), `${name} weight ${i}`));
    } finally {
      setInPlaceAdam(previous);
    }
  }
});
