import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import "@tensorflow/tfjs-backend-cpu";
import { assert, assertEquals, assertNotEquals, assertRejects } from "@std/assert";
import { adaptEntropy, hasNormAffine, normAffineVariables, testTimeOptions } from "../../training/adapt_entropy.ts";
import { adaptationsOf, predictRecordings } from "../../evaluation/predict.ts";
import { LayerNorm } from "../../models/layers/layer_norm.ts";
import type { PreprocessStep } from "../../pipeline/preprocess.ts";
import type { Recording } from "../../core/types.ts";
import { writeRecording } from "../_recordings.ts";

await tf.setBackend("cpu");

// Raw windows of 16 samples, no normalisation: 3 windows per 48-sample recording.
const STEPS: PreprocessStep[] = [{ op: "window", windowSeconds: 16 / 2034, strideSeconds: 16 / 2034 }];
const OPTIONS = { steps: STEPS, batchSize: 2, learningRate: 0.05, passes: 3 };

/** Dense over time, LayerNorm, dropout, then a softmax head: a LayerNorm model without BatchNorm. */
function lnModel(): tfl.LayersModel {
  return tfl.sequential({
    layers: [
      tfl.layers.dense({
        inputShape: [248, 16],
        units: 4,
        kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }),
      }),
      new LayerNorm({ name: "norm" }),
      tfl.layers.dropout({ rate: 0.5 }),
      tfl.layers.flatten(),
      tfl.layers.dense({
        units: 4,
        activation: "softmax",
        kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }),
      }),
    ],
  });
}

const SIGNALS = [
  (c: number, t: number) => Math.sin(0.3 * t + c),
  (c: number, t: number) => 1 + Math.cos(0.2 * t * (c % 3)),
  (c: number, t: number) => -0.5 + Math.sin(0.7 * t - c),
  (c: number, t: number) => 0.3 * Math.cos(t) * (c % 5),
];

/** Two recordings of subject 100 (signals 0, 1) and two of subject 200 (signals 2, 3). */
async function recordings(dir: string): Promise<Recording[]> {
  return [
    await writeRecording(dir, "rest", "100", 1, 48, SIGNALS[0]),
    await writeRecording(dir, "task_motor", "100", 1, 48, SIGNALS[1]),
    await writeRecording(dir, "rest", "200", 1, 48, SIGNALS[2]),
    await writeRecording(dir, "task_motor", "200", 1, 48, SIGNALS[3]),
  ];
}

function weightsOf(model: tfl.LayersModel): number[][] {
  return model.getWeights().map((w) => Array.from(w.dataSync()));
}

/** Mean prediction entropy of `recordings` under `model`. */
async function meanEntropy(model: tfl.LayersModel, recs: Recording[]): Promise<number> {
  const { rows } = await predictRecordings(model, recs, { steps: STEPS, batchSize: 2, nClasses: 4 });
  return rows.reduce((sum, row) => sum - row.probs.reduce((s, p) => s + p * Math.log(Math.max(p, 1e-7)), 0), 0) /
    rows.length;
}

Deno.test("adaptEntropy changes only the LayerNorm gains and offsets of a LayerNorm model, lowers the prediction entropy, and restore() undoes it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const subject = (await recordings(dir)).filter((r) => r.subject === "100");
    const model = lnModel();
    const names = model.weights.map((w) => w.originalName);
    const before = weightsOf(model);
    const entropyBefore = await meanEntropy(model, subject);
    const restore = await adaptEntropy(model, subject, OPTIONS);
    const adapted = weightsOf(model);
    for (let i = 0; i < names.length; i++) {
      if (names[i].startsWith("norm/")) assertNotEquals(adapted[i], before[i], names[i]);
      else assertEquals(adapted[i], before[i], names[i]);
    }
    assert(await meanEntropy(model, subject) < entropyBefore);
    restore();
    assertEquals(weightsOf(model), before);
    model.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("adaptEntropy changes a BatchNorm model's gains and offsets only, never its moving statistics", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const subject = (await recordings(dir)).filter((r) => r.subject === "100");
    const model = tfl.sequential({
      layers: [
        tfl.layers.dense({
          inputShape: [248, 16],
          units: 4,
          kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }),
        }),
        tfl.layers.batchNormalization({ name: "bn", axis: -1 }),
        tfl.layers.flatten(),
        tfl.layers.dense({
          units: 4,
          activation: "softmax",
          kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }),
        }),
      ],
    });
    assert(hasNormAffine(model));
    const names = model.weights.map((w) => w.originalName);
    const before = weightsOf(model);
    const restore = await adaptEntropy(model, subject, OPTIONS);
    const adapted = weightsOf(model);
    for (let i = 0; i < names.length; i++) {
      if (/^bn\/(gamma|beta)$/.test(names[i])) assertNotEquals(adapted[i], before[i], names[i]);
      else assertEquals(adapted[i], before[i], names[i]);
    }
    restore();
    assertEquals(weightsOf(model), before);
    model.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("adaptEntropy with a diversity term (im) keeps the subject's mean prediction more spread than TENT", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const subject = (await recordings(dir)).filter((r) => r.subject === "100");
    const model = lnModel();
    const meanPredictionEntropy = async () => {
      const { rows } = await predictRecordings(model, subject, { steps: STEPS, batchSize: 2, nClasses: 4 });
      const mean = [0, 1, 2, 3].map((k) => rows.reduce((s, row) => s + row.probs[k], 0) / rows.length);
      return -mean.reduce((s, p) => s + p * Math.log(p), 0);
    };
    const strong = { ...OPTIONS, learningRate: 0.2, passes: 5 };
    const restoreTent = await adaptEntropy(model, subject, strong);
    const tent = await meanPredictionEntropy();
    restoreTent();
    const restoreIm = await adaptEntropy(model, subject, { ...strong, ...testTimeOptions("im") });
    const im = await meanPredictionEntropy();
    restoreIm();
    assert(im > tent, `mean-prediction entropy: im ${im}, entropy ${tent}`);
    assertEquals(testTimeOptions("entropy"), { diversity: 0 });
    model.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("adaptEntropy uses no labels: the same windows with other labels give the same adapted weights", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // The same signals in the same order, as rest/motor in one folder and motor/rest in the other.
    const a = [
      await writeRecording(`${dir}/a`, "rest", "100", 1, 48, SIGNALS[0]),
      await writeRecording(`${dir}/a`, "task_motor", "100", 1, 48, SIGNALS[1]),
    ];
    const b = [
      await writeRecording(`${dir}/b`, "task_motor", "100", 1, 48, SIGNALS[0]),
      await writeRecording(`${dir}/b`, "rest", "100", 1, 48, SIGNALS[1]),
    ];
    assertNotEquals(a.map((r) => r.label), b.map((r) => r.label));
    const model = lnModel();
    const restoreA = await adaptEntropy(model, a, OPTIONS);
    const fromA = weightsOf(model);
    restoreA();
    const restoreB = await adaptEntropy(model, b, OPTIONS);
    assertEquals(weightsOf(model), fromA);
    restoreB();
    model.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("predictRecordings with testTimeAdaptation adapts each subject on its own and leaves the model as trained", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const recs = await recordings(dir);
    const model = lnModel();
    const before = weightsOf(model);
    const options = { steps: STEPS, batchSize: 2, nClasses: 4, testTimeAdaptation: "entropy" as const };
    const both = await predictRecordings(model, recs, options);
    assertEquals(weightsOf(model), before);
    // Subject 200 predicted alone, or after subject 100 was adapted and restored: the same rows.
    const alone = await predictRecordings(model, recs.filter((r) => r.subject === "200"), options);
    assertEquals(both.rows.filter((row) => row.subject === "200"), alone.rows);
    // And the adaptation did something: unadapted predictions differ.
    const plain = await predictRecordings(model, recs, { ...options, testTimeAdaptation: "none" });
    assertNotEquals(plain.rows.map((row) => row.probs), both.rows.map((row) => row.probs));
    assertEquals(both.rows.map((row) => row.recording), plain.rows.map((row) => row.recording));
    model.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("adaptEntropy leaves a model without normalisation layers alone; adaptationsOf says what would run", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const recs = await recordings(dir);
    const plain = tfl.sequential({
      layers: [tfl.layers.flatten({ inputShape: [248, 16] }), tfl.layers.dense({ units: 4, activation: "softmax" })],
    });
    assertEquals([hasNormAffine(plain), normAffineVariables(plain).length], [false, 0]);
    const before = weightsOf(plain);
    (await adaptEntropy(plain, recs, OPTIONS))();
    assertEquals(weightsOf(plain), before);
    assertEquals(adaptationsOf(plain, { testTimeAdaptation: "entropy", adaptBatchNorm: true }), {
      batchNorm: false,
      testTime: "none",
    });
    const model = lnModel();
    assertEquals(adaptationsOf(model, { testTimeAdaptation: "entropy" }), { batchNorm: false, testTime: "entropy" });
    assertEquals(adaptationsOf(model, { testTimeAdaptation: "im" }), { batchNorm: false, testTime: "im" });
    assertEquals(adaptationsOf(model, {}), { batchNorm: false, testTime: "none" });
    plain.dispose();
    model.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("adaptEntropy refuses recordings without a window and bad options, leaving the weights as trained", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const short = [await writeRecording(dir, "rest", "100", 1, 8)];
    const model = lnModel();
    const before = weightsOf(model);
    await assertRejects(() => adaptEntropy(model, short, OPTIONS), RangeError, "gave no window");
    await assertRejects(() => adaptEntropy(model, short, { ...OPTIONS, passes: 0 }), RangeError, "passes");
    await assertRejects(() => adaptEntropy(model, short, { ...OPTIONS, learningRate: 0 }), RangeError, "learning rate");
    assertEquals(weightsOf(model), before);
    model.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("adaptEntropy leaves no tensor behind", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const subject = (await recordings(dir)).filter((r) => r.subject === "100");
    const model = lnModel();
    (await adaptEntropy(model, subject, OPTIONS))();
    const count = tf.memory().numTensors;
    (await adaptEntropy(model, subject, OPTIONS))();
    assertEquals(tf.memory().numTensors, count);
    model.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
