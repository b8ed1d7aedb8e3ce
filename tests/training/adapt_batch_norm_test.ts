import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import "@tensorflow/tfjs-backend-cpu";
import { assert, assertEquals, assertRejects } from "@std/assert";
import { adaptBatchNorm, hasBatchNorm } from "../../training/adapt_batch_norm.ts";
import { predictRecordings } from "../../evaluation/predict.ts";
import type { PreprocessStep } from "../../pipeline/preprocess.ts";
import type { Recording } from "../../core/types.ts";
import { writeRecording } from "../_recordings.ts";
import { cnn } from "../../models/cnn.ts";
import { gruAttention } from "../../models/gru_attention.ts";
import { tsa } from "../../models/tsa.ts";

await tf.setBackend("cpu");

// No normalisation, so the BatchNorm statistics of the windows can be computed by hand.
const STEPS: PreprocessStep[] = [{ op: "window", windowSeconds: 16 / 2034, strideSeconds: 16 / 2034 }];

/** BatchNorm over the sensor axis of [batch, 248, 16] windows, then a softmax head. */
function bnModel(): tfl.LayersModel {
  return tfl.sequential({
    layers: [
      tfl.layers.batchNormalization({ inputShape: [248, 16], axis: 1, momentum: 0.9 }),
      tfl.layers.dropout({ rate: 0.5 }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 4, activation: "softmax" }),
    ],
  });
}

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** `actual` within 1e-5 of `expected`, relative to max(1, |expected|) (float32 statistics). */
function assertClose(actual: number, expected: number, what: string): void {
  const error = Math.abs(actual - expected) / Math.max(1, Math.abs(expected));
  assert(error < 1e-5, `${what}: ${actual} vs ${expected} (relative error ${error.toExponential(2)})`);
}

async function recordings(dir: string): Promise<Recording[]> {
  return [
    await writeRecording(dir, "rest", "100", 1, 48, (c, t) => c * 1e-3 + Math.sin(t + c)),
    await writeRecording(dir, "task_motor", "100", 1, 48, (c, t) => 2 + Math.cos(0.3 * t * c)),
    await writeRecording(dir, "rest", "200", 1, 48, (c, t) => -1 + 3 * Math.sin(0.7 * t - c)),
    await writeRecording(dir, "task_motor", "200", 1, 48, (c, t) => 0.5 * Math.cos(t) * (c % 5)),
  ];
}

Deno.test("adaptBatchNorm sets the moving mean and variance to those of all the windows, whatever the batching, and restores them", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const recs = (await recordings(dir)).filter((r) => r.subject === "100");
    const model = bnModel();
    const bn = model.layers[0];
    const trained = bn.getWeights().map((w) => w.arraySync());
    // The windows by hand: 2 recordings x 3 windows of [248, 16].
    const windows: number[][][] = [];
    for (const rec of recs) {
      const value = rec.taskType === "rest"
        ? (c: number, t: number) => c * 1e-3 + Math.sin(t + c)
        : (c: number, t: number) => 2 + Math.cos(0.3 * t * c);
      for (let w = 0; w < 3; w++) {
        windows.push(Array.from({ length: 248 }, (_, c) => Array.from({ length: 16 }, (_, t) => value(c, w * 16 + t))));
      }
    }
    // Mean and (biased) variance per sensor over all 6 windows and their 16 samples, in float64.
    const expectedMean = windows[0].map((_, c) => mean(windows.flatMap((w) => w[c])));
    const expectedVariance = windows[0].map((_, c) =>
      mean(windows.flatMap((w) => w[c].map((x) => (x - expectedMean[c]) ** 2)))
    );
    // Batches of 6 (one batch), 4 + 2, 1 x 6 and 5 + 1: the statistics of all windows each time.
    const tensors = tf.memory().numTensors;
    for (const batchSize of [6, 4, 1, 5]) {
      const restore = await adaptBatchNorm(model, recs, { steps: STEPS, batchSize });
      // tfjs orders a BatchNorm's weights gamma, beta, moving mean, moving variance.
      const movingMean = bn.getWeights()[2].arraySync() as number[];
      const movingVariance = bn.getWeights()[3].arraySync() as number[];
      movingMean.forEach((m, c) => assertClose(m, expectedMean[c], `batch ${batchSize}, mean of sensor ${c}`));
      movingVariance.forEach((v, c) =>
        assertClose(v, expectedVariance[c], `batch ${batchSize}, variance of sensor ${c}`)
      );
      assertEquals((model.layers[1] as unknown as { rate: number }).rate, 0.5);
      assertEquals(bn.getConfig().momentum, 0.9);
      restore();
      assertEquals(bn.getWeights().map((w) => w.arraySync()), trained);
      assertEquals(tf.memory().numTensors, tensors, "no tensor left behind");
    }
    model.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("predictRecordings({ adaptBatchNorm }) adapts to each subject and keeps catalogue order", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const recs = await recordings(dir);
    const model = bnModel();
    const options = { steps: STEPS, batchSize: 4, nClasses: 4 };
    const plain = await predictRecordings(model, recs, options);
    const adapted = await predictRecordings(model, recs, { ...options, adaptBatchNorm: true });
    assertEquals(
      adapted.rows.map((r) => [r.recording, r.startSample]),
      plain.rows.map((r) => [r.recording, r.startSample]),
    );
    // Subject by subject equals adapting to that subject alone.
    for (const subject of ["100", "200"]) {
      const own = recs.filter((r) => r.subject === subject);
      const restore = await adaptBatchNorm(model, own, options);
      const alone = await predictRecordings(model, own, options);
      restore();
      assertEquals(
        adapted.rows.filter((r) => r.subject === subject).map((r) => r.probs),
        alone.rows.map((r) => r.probs),
      );
    }
    assert(JSON.stringify(adapted.rows.map((r) => r.probs)) !== JSON.stringify(plain.rows.map((r) => r.probs)));
    // The trained statistics are back.
    assertEquals((await predictRecordings(model, recs, options)).rows, plain.rows);
    model.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("adaptBatchNorm covers EEGNet's first block and leaves a model without BatchNorm alone", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const recs = (await recordings(dir)).slice(0, 2);
    const eegnet = cnn({ nChans: 248, nTimes: 16 }, 4, { pool1Size: 2, pool2Size: 2, kernLength: 4 });
    assert(hasBatchNorm(eegnet));
    const block = eegnet.getLayer("temporal_spatial");
    const before = block.getWeights().map((w) => w.arraySync());
    const restore = await adaptBatchNorm(eegnet, recs, { steps: STEPS, batchSize: 4 });
    const after = block.getWeights().map((w) => w.arraySync());
    // Trainable weights unchanged, moving statistics (the last two) changed.
    assertEquals(after.slice(0, 4), before.slice(0, 4));
    assert(JSON.stringify(after.slice(4)) !== JSON.stringify(before.slice(4)));
    restore();
    assertEquals(block.getWeights().map((w) => w.arraySync()), before);
    const plain = tfl.sequential({
      layers: [tfl.layers.flatten({ inputShape: [248, 16] }), tfl.layers.dense({ units: 4 })],
    });
    assertEquals(hasBatchNorm(plain), false);
    await assertRejects(() => adaptBatchNorm(eegnet, [], { steps: STEPS }), RangeError, "no window");
    eegnet.dispose();
    plain.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("adaptBatchNorm re-estimates the EEGNet stem of gru and tsa (stem temporalSpatial), which have no BatchNorm without it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const recs = (await recordings(dir)).slice(0, 2);
    const signal = { nChans: 248, nTimes: 16 };
    const stem = { stem: "temporalSpatial", stemKernLength: 4, stemPool: 2 } as const;
    const models = {
      gru: [gruAttention(signal, 4, { units: 4, projectionUnits: 4 }), gruAttention(signal, 4, { units: 4, ...stem })],
      tsa: [
        tsa(signal, 4, { segLen: 4, dModel: 8, keyDim: 4 }),
        tsa(signal, 4, { segLen: 4, dModel: 8, keyDim: 4, ...stem }),
      ],
    };
    for (const [name, [plain, stemmed]] of Object.entries(models)) {
      assertEquals(hasBatchNorm(plain), false, `${name} without a stem`);
      assert(hasBatchNorm(stemmed), `${name} with the stem`);
      const layers = [stemmed.getLayer("stem_temporal_spatial"), stemmed.getLayer("stem_bn")];
      const moving = () => layers.flatMap((l) => l.nonTrainableWeights.map((w) => w.read().arraySync()));
      const trainable = () => layers.flatMap((l) => l.trainableWeights.map((w) => w.read().arraySync()));
      const [movingBefore, trainableBefore] = [moving(), trainable()];
      assertEquals(movingBefore.length, 4, `${name}: moving mean and variance of both BatchNorms`);
      const restore = await adaptBatchNorm(stemmed, recs, { steps: STEPS, batchSize: 4 });
      const adapted = moving();
      movingBefore.forEach((w, i) => assert(JSON.stringify(adapted[i]) !== JSON.stringify(w), `${name} moving ${i}`));
      assertEquals(trainable(), trainableBefore);
      restore();
      assertEquals(moving(), movingBefore);
      plain.dispose();
      stemmed.dispose();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
