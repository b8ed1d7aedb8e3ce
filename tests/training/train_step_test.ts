import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import "@tensorflow/tfjs-backend-cpu";
import { assert, assertAlmostEquals, assertEquals } from "@std/assert";
import { predictBatch, trainStep, type TrainStepOptions } from "../../training/train_step.ts";
import type { Batch } from "../../core/types.ts";
import { setupBackend } from "../../backends/backend.ts";
import { Random } from "../../core/random.ts";
import { withSeededRandom } from "../../core/with_seeded_random.ts";
import { applyConstraints } from "../../models/constraints.ts";
import { buildModel, MODELS } from "../../models/registry.ts";
import { adam } from "../../training/fused_adam.ts";
import { decayedVariables, decayVariables } from "../../training/weight_decay.ts";
import { SMALL_SIGNALS } from "../backends/kernels/_model_step.ts";

await tf.setBackend("cpu");

function model(maxNorm: number | undefined): tfl.LayersModel {
  return tfl.sequential({
    layers: [
      tfl.layers.flatten({ inputShape: [2, 3] }),
      tfl.layers.dense({
        units: 3,
        activation: "softmax",
        kernelInitializer: "ones",
        kernelConstraint: maxNorm === undefined ? undefined : tfl.constraints.maxNorm({ maxValue: maxNorm, axis: 0 }),
      }),
    ],
  });
}

const batch: Batch = {
  recordings: [],
  startSamples: [],
  xs: Float32Array.from({ length: 4 * 6 }, (_, i) => Math.sin(i) * 10),
  ys: Int32Array.from([0, 1, 2, 1]),
  shape: [4, 2, 3],
};

Deno.test("trainStep returns the loss and correct count and updates the weights", async () => {
  const m = model(undefined);
  const before = m.getWeights()[0].arraySync();
  const predicted = await predictBatch(m, batch, 3);
  const result = await trainStep(m, tf.train.sgd(0.1), batch, 3);
  assertEquals(result.count, 4);
  // The loss is the forward pass before the update.
  assertAlmostEquals(result.loss, predicted.loss, 1e-5);
  assertEquals(result.correct, predicted.correct);
  assert(JSON.stringify(m.getWeights()[0].arraySync()) !== JSON.stringify(before));
  m.dispose();
});

Deno.test("trainStep keeps a max-norm constrained weight within its norm after the update", async () => {
  const norms = (m: tfl.LayersModel) => Array.from(tf.tidy(() => tf.norm(m.getWeights()[0], 2, 0).dataSync()));
  const free = model(undefined);
  await trainStep(free, tf.train.sgd(10), batch, 3);
  // Without the constraint a large step leaves some column far outside 0.5 (the check can fail).
  assert(norms(free).some((n) => n > 0.6), `unconstrained norms ${norms(free)}`);
  const constrained = model(0.5);
  for (let i = 0; i < 3; i++) await trainStep(constrained, tf.train.sgd(10), batch, 3);
  for (const n of norms(constrained)) assert(n <= 0.5 + 1e-5, `column norm ${n}`);
  free.dispose();
  constrained.dispose();
});

Deno.test("trainStep and predictBatch leave no tensor behind", async () => {
  const m = model(0.5);
  const optimizer = tf.train.adam(1e-2);
  await trainStep(m, optimizer, batch, 3);
  await predictBatch(m, batch, 3);
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) {
    await trainStep(m, optimizer, batch, 3);
    await predictBatch(m, batch, 3);
  }
  assertEquals(tf.memory().numTensors, before);
  m.dispose();
});

Deno.test("trainStep of a mixed batch weighs the two labels' losses by lambda and counts against the own label", async () => {
  const m = model(undefined);
  const partnerLabels = Int32Array.from([2, 0, 1, 1]);
  const own = await predictBatch(m, batch, 3);
  const other = await predictBatch(m, { ...batch, ys: partnerLabels }, 3);
  const result = await trainStep(m, tf.train.sgd(0), { ...batch, mix: { ys: partnerLabels, lambda: 0.7 } }, 3);
  assertAlmostEquals(result.loss, 0.7 * own.loss + 0.3 * other.loss, 1e-5);
  assertEquals(result.correct, own.correct);
  const unmixed = await trainStep(m, tf.train.sgd(0), { ...batch, mix: { ys: partnerLabels, lambda: 1 } }, 3);
  assertAlmostEquals(unmixed.loss, own.loss, 1e-6);
});

/** Softmax probabilities of `batch` under `m`, one row per window. */
function probsOf(m: tfl.LayersModel): number[][] {
  return tf.tidy(() => (m.predict(tf.tensor(batch.xs, batch.shape)) as tf.Tensor).arraySync() as number[][]);
}

/** The model of `model(undefined)` with unequal kernel weights (so the probabilities are not uniform). */
function unevenModel(): tfl.LayersModel {
  const m = model(undefined);
  const [kernel, bias] = m.getWeights();
  m.setWeights([tf.tensor(Array.from({ length: 18 }, (_, i) => Math.cos(i) * 0.1), kernel.shape), bias]);
  return m;
}

Deno.test("trainStep with label smoothing returns the loss of the smoothed targets, by hand", async () => {
  const m = unevenModel();
  const probs = probsOf(m);
  const eps = 0.2, k = 3;
  const expected = probs.reduce(
    (sum, row, i) => sum - row.reduce((s, p, c) => s + ((c === batch.ys[i] ? 1 - eps : 0) + eps / k) * Math.log(p), 0),
    0,
  ) / probs.length;
  const result = await trainStep(m, tf.train.sgd(0), batch, 3, { labelSmoothing: eps });
  assertAlmostEquals(result.loss, expected, 1e-5);
  // Off by default and at 0: the plain cross-entropy (which differs from the smoothed one here).
  const plain = (await predictBatch(m, batch, 3)).loss;
  assert(Math.abs(plain - expected) > 1e-3);
  assertAlmostEquals((await trainStep(m, tf.train.sgd(0), batch, 3, { labelSmoothing: 0 })).loss, plain, 1e-6);
  m.dispose();
});

Deno.test("trainStep with label smoothing and mixup weighs the two smoothed losses by lambda", async () => {
  const m = unevenModel();
  const partnerLabels = Int32Array.from([2, 0, 1, 1]);
  const opts = { labelSmoothing: 0.1 };
  const own = await trainStep(m, tf.train.sgd(0), batch, 3, opts);
  const other = await trainStep(m, tf.train.sgd(0), { ...batch, ys: partnerLabels }, 3, opts);
  const mixed = await trainStep(m, tf.train.sgd(0), { ...batch, mix: { ys: partnerLabels, lambda: 0.7 } }, 3, opts);
  assertAlmostEquals(mixed.loss, 0.7 * own.loss + 0.3 * other.loss, 1e-5);
  m.dispose();
});

Deno.test("trainStep with weight decay shrinks a kernel by lr * decay before the update and leaves the bias alone", async () => {
  const withBias = () =>
    tfl.sequential({
      layers: [
        tfl.layers.flatten({ inputShape: [2, 3] }),
        tfl.layers.dense({ units: 3, activation: "softmax", kernelInitializer: "ones", biasInitializer: "ones" }),
      ],
    });
  // With a zero learning rate nothing moves; with SGD the update is lr * gradient, so a run with
  // decay and one without differ in the kernel by exactly lr * decay * (kernel before).
  const lr = 0.1, decay = 0.5;
  const plain = withBias(), decayed = withBias();
  await trainStep(plain, tf.train.sgd(lr), batch, 3);
  await trainStep(decayed, tf.train.sgd(lr), batch, 3, { weightDecay: decay });
  const [plainKernel, plainBias] = plain.getWeights().map((w) => Array.from(w.dataSync()));
  const [decayedKernel, decayedBias] = decayed.getWeights().map((w) => Array.from(w.dataSync()));
  for (let i = 0; i < plainKernel.length; i++) {
    assertAlmostEquals(decayedKernel[i], plainKernel[i] - lr * decay * 1, 1e-6); // kernel was all ones
  }
  assertEquals(decayedBias, plainBias); // the bias does not decay
  plain.dispose();
  decayed.dispose();
});

Deno.test("trainStep with Adam and weight decay leaves no tensor behind", async () => {
  const m = model(undefined);
  const optimizer = tf.train.adam(1e-2);
  await trainStep(m, optimizer, batch, 3, { labelSmoothing: 0.1, weightDecay: 0.1 });
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) await trainStep(m, optimizer, batch, 3, { labelSmoothing: 0.1, weightDecay: 0.1 });
  assertEquals(tf.memory().numTensors, before);
  m.dispose();
});

// ---------------------------------------------------------------------------------------------
// Bit for bit against trainStep as it was before the loss became one tape node (commit 027ca51):
// tfjs's taped cross-entropy chain and the accuracy counted by tfjs's ops.

/** The cross-entropy of train_step.ts at commit 027ca51, verbatim. */
function referenceCrossEntropy(probs: tf.Tensor, labels: tf.Tensor, nClasses: number, smoothing = 0): tf.Scalar {
  const oneHot = tf.oneHot(labels as tf.Tensor1D, nClasses);
  const target = smoothing > 0 ? tf.add(tf.mul(oneHot, 1 - smoothing), smoothing / nClasses) : oneHot;
  return tf.neg(tf.mean(tf.sum(tf.mul(target, tf.log(tf.clipByValue(probs, 1e-7, 1))), -1)));
}

/** trainStep at commit 027ca51, verbatim but for the name of its cross-entropy. */
async function referenceTrainStep(
  model: tfl.LayersModel,
  optimizer: tf.Optimizer,
  batch: Batch,
  nClasses: number,
  options: TrainStepOptions = {},
) {
  const { labelSmoothing = 0, weightDecay = 0 } = options;
  const xs = tf.tensor(batch.xs, batch.shape);
  const ys = tf.tensor1d(batch.ys, "int32");
  const mate = batch.mix ? tf.tensor1d(batch.mix.ys, "int32") : undefined;
  const lambda = batch.mix?.lambda ?? 1;
  const variables = model.trainableWeights.map((weight) => weight.read() as tf.Variable);
  let correct: tf.Tensor | undefined;
  const { value: loss, grads } = optimizer.computeGradients(() => {
    const probs = model.apply(xs, { training: true }) as tf.Tensor;
    correct = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(probs, -1), ys), "int32")));
    const own = referenceCrossEntropy(probs, ys, nClasses, labelSmoothing);
    return mate
      ? tf.add(
        tf.mul(own, lambda),
        tf.mul(referenceCrossEntropy(probs, mate, nClasses, labelSmoothing), 1 - lambda),
      )
      : own;
  }, variables);
  if (weightDecay > 0) {
    const rate = (optimizer as unknown as { learningRate: number }).learningRate * weightDecay;
    decayVariables(decayedVariables(model), rate);
  }
  optimizer.applyGradients(variables.map((v) => ({ name: v.name, tensor: grads[v.name] })));
  tf.dispose(grads);
  applyConstraints(model);
  const [lossValue, correctValue] = await Promise.all([loss.data(), correct!.data()]);
  tf.dispose([xs, ys, loss, correct!, ...(mate ? [mate] : [])]);
  return { loss: lossValue[0], correct: correctValue[0], count: batch.ys.length };
}

/** The bits of every weight of `m` (float32 words as uint32, so -0, +0 and NaNs are told apart). */
function weightBits(m: tfl.LayersModel): Uint32Array[] {
  return m.getWeights().map((w) => new Uint32Array(Float32Array.from(w.dataSync() as Float32Array).buffer));
}

/** Asserts that two lists of weights are the same bits (naming the first weight and word that differ). */
function assertSameBits(a: Uint32Array[], b: Uint32Array[], message: string): void {
  assertEquals(a.length, b.length, message);
  a.forEach((words, i) => {
    assertEquals(words.length, b[i].length, `${message}: weight ${i} size`);
    const at = words.findIndex((word, j) => word !== b[i][j]);
    assertEquals(at, -1, `${message}: weight ${i} differs first at ${at}`);
  });
}

const floatBits = (x: number) => new Uint32Array(new Float32Array([x]).buffer)[0];

/**
 * Runs `steps` Adam steps of `make()` twice, with trainStep and with the reference, from the same
 * weights, the same batches and the same dropout masks (each step under the same seed), and
 * asserts that losses, correct counts and every weight agree bit for bit after every step.
 */
async function assertBitwiseSteps(
  label: string,
  make: () => tfl.LayersModel,
  batches: Batch[],
  nClasses: number,
  options: TrainStepOptions,
): Promise<void> {
  const ours = await withSeededRandom(1, make);
  const theirs = await withSeededRandom(1, make);
  // The same seeded initial weights (setWeights is avoided: tfjs's getWeights lists trainable
  // then non-trainable weights, setWeights expects them layer by layer).
  assertSameBits(weightBits(ours), weightBits(theirs), `${label}: initial weights`);
  const [oursAdam, theirsAdam] = [adam(1e-2), adam(1e-2)];
  try {
    for (let step = 0; step < batches.length; step++) {
      const a = await withSeededRandom(100 + step, () => trainStep(ours, oursAdam, batches[step], nClasses, options));
      const b = await withSeededRandom(
        100 + step,
        () => referenceTrainStep(theirs, theirsAdam, batches[step], nClasses, options),
      );
      assertEquals(floatBits(a.loss), floatBits(b.loss), `${label} step ${step}: loss ${a.loss} against ${b.loss}`);
      assertEquals(a.correct, b.correct, `${label} step ${step}: correct`);
      assertSameBits(weightBits(ours), weightBits(theirs), `${label} step ${step}: weights`);
    }
  } finally {
    ours.dispose();
    theirs.dispose();
    oursAdam.dispose();
    theirsAdam.dispose();
  }
}

/** Option sets: plain, label smoothing with mixup and weight decay (the recipes' extras). */
const STEP_OPTIONS: { label: string; options: TrainStepOptions; lambda?: number }[] = [
  { label: "plain", options: {} },
  {
    label: "smoothing 0.1, mixup 0.37, weight decay 0.01",
    options: { labelSmoothing: 0.1, weightDecay: 0.01 },
    lambda: 0.37,
  },
];

/** `count` batches of `shape` (seeded normal values times `scale`) with labels over `nClasses`. */
function batchesOf(shape: number[], nClasses: number, count: number, scale: number, lambda?: number): Batch[] {
  const random = new Random(42);
  return Array.from({ length: count }, () => {
    const xs = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => random.normal() * scale);
    const ys = Int32Array.from({ length: shape[0] }, () => random.int(nClasses));
    const mix = lambda === undefined
      ? undefined
      : { ys: Int32Array.from({ length: shape[0] }, () => random.int(nClasses)), lambda };
    return { xs, shape, ys, recordings: [], startSamples: [], ...(mix ? { mix } : {}) };
  });
}

/** `model(undefined)` with kernel weights `cos(i) * scale`: large scales saturate the softmax. */
function saturatingModel(scale: number): tfl.LayersModel {
  const m = model(undefined);
  const [kernel, bias] = m.getWeights();
  m.setWeights([tf.tensor(Array.from({ length: 18 }, (_, i) => Math.cos(i) * scale), kernel.shape), bias]);
  return m;
}

for (const backend of ["cpu", "wasm"] as const) {
  Deno.test(`trainStep's one-node loss gives tfjs's taped loss, counts and weights bit for bit on ${backend}, saturated softmax too`, async () => {
    await setupBackend(backend);
    try {
      // At scale 30 (inputs and kernel weights) the softmax saturates: probabilities below the
      // clip's 1e-7 and exactly 0, where the clip's gradient is 0; also an odd batch of 5.
      for (const scale of [1, 30]) {
        for (const { label, options, lambda } of STEP_OPTIONS) {
          for (const rows of [4, 5]) {
            await assertBitwiseSteps(
              `${backend} dense x${scale} ${label} batch ${rows}`,
              () => saturatingModel(scale),
              batchesOf([rows, 2, 3], 3, 4, scale, lambda),
              3,
              options,
            );
          }
        }
      }
    } finally {
      await tf.setBackend("cpu");
    }
  });
}

for (const name of Object.keys(MODELS)) {
  Deno.test(`trainStep's one-node loss gives tfjs's taped loss, counts and weights bit for bit for ${name} on wasm`, async () => {
    await setupBackend("wasm");
    try {
      const signal = SMALL_SIGNALS[name];
      const shape = MODELS[name].input === "grid"
        ? [6, signal.nTimes, signal.gridRows as number, signal.gridCols as number]
        : [6, signal.nChans, signal.nTimes];
      for (const { label, options, lambda } of STEP_OPTIONS) {
        await assertBitwiseSteps(
          `${name} ${label}`,
          () => buildModel(name, signal, 4, {}),
          batchesOf(shape, 4, 3, 1, lambda),
          4,
          options,
        );
      }
    } finally {
      await tf.setBackend("cpu");
    }
  });
}
