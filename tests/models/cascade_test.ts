import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import "@tensorflow/tfjs-backend-cpu";
import { assert, assertEquals, assertNotEquals, assertThrows } from "@std/assert";
import { cascade, CASCADE_DEFAULTS } from "../../models/cascade.ts";
import { SMALL_CASCADE } from "./_cascade_small.ts";
import { hasBatchNorm } from "../../training/adapt_batch_norm.ts";
import { FramesToBatch } from "../../models/layers/frames_to_batch.ts";
import { SpaceToDepth } from "../../models/layers/space_to_depth.ts";
import { TemporalFilterBank } from "../../models/layers/temporal_filter_bank.ts";
import { withSeededRandom } from "../../core/with_seeded_random.ts";

await tf.setBackend("cpu");

const SMALL = SMALL_CASCADE;

Deno.test("cascade() follows the documented layout on a 20 x 20 grid at its defaults", () => {
  const model = cascade({ nChans: 248, nTimes: 250, gridRows: 20, gridCols: 20 }, 4);
  const shape = (name: string) => model.getLayer(name).outputShape;
  assertEquals(model.inputs[0].shape, [null, 250, 20, 20]);
  // 250 frames pooled 2 to 1, stacks of 10 pooled frames, stage 1's 2 x 2 blocks: one gather
  assertEquals(shape("frame_stacks"), [null, 10, 10, 40]);
  assertEquals(model.layers.some((layer) => ["frame_pool", "stage_1_blocks"].includes(layer.name)), false);
  assertEquals(shape("stage_1_conv"), [null, 10, 10, 16]);
  assertEquals(shape("stage_2_conv"), [null, 5, 5, 32]);
  assertEquals(shape("frame_batch_norm"), [null, 64]);
  assertEquals(shape("frame_features"), [null, 64]);
  assertEquals(shape("frame_sequence"), [null, 12, 64]);
  assertEquals(shape("gru"), [null, 12, 64]);
  assertEquals(shape("attention_residual"), [null, 12, 64]);
  assertEquals(shape("attention_pooling"), [null, 64]);
  assertEquals(shape("classifier"), [null, 4]);
  model.dispose();
});

Deno.test("cascade() has the parameters its options say", () => {
  const model = cascade({ nChans: 64, nTimes: 20, gridRows: 8, gridCols: 8 }, 4, { ...SMALL, numHeads: 2 });
  const [d, f1, f2, fu, u, hk, a] = [5, 4, 8, 8, 8, 2 * 4, 64];
  const expected = 4 * d * f1 + 4 * f1 + // stage 1: 2 x 2 x depth -> f1 (no bias), BatchNorm (gamma, beta, moving mean, variance)
    4 * f1 * f2 + 4 * f2 + // stage 2
    2 * 2 * f2 * fu + fu + // 8 x 8 -> 4 x 4 -> 2 x 2 cells, flattened, to the frame features
    3 * (fu * u + u * u + u) + // GRU
    2 * u + (u * 3 * hk + 3 * hk + hk * u + u) + // LayerNorm, self-attention
    (u * a + a + a) + // attention pooling
    (u * 4 + 4);
  assertEquals(model.countParams(), expected);
  model.dispose();
});

Deno.test("cascade() shares one frame CNN over the stacks: a stack's features depend on its own frames only", () => {
  const model = cascade({ nChans: 64, nTimes: 15, gridRows: 8, gridCols: 8 }, 4, SMALL);
  const features = tfl.model({ inputs: model.inputs, outputs: model.getLayer("frame_sequence").output });
  const x = tf.randomNormal([2, 15, 8, 8], 0, 1, "float32", 1);
  // change frames 5..9 (stack 1) of example 1 only
  const mask = tf.buffer([2, 15, 8, 8]);
  for (let t = 5; t < 10; t++) for (let r = 0; r < 8; r++) for (let c = 0; c < 8; c++) mask.set(1, 1, t, r, c);
  const changed = tf.add(x, mask.toTensor());
  const [a, b] = [features.predict(x) as tf.Tensor, features.predict(changed) as tf.Tensor];
  const [before, after] = [a.arraySync() as number[][][], b.arraySync() as number[][][]];
  assertEquals(before[0], after[0]);
  assertEquals(before[1][0], after[1][0]);
  assertNotEquals(before[1][1], after[1][1]);
  assertEquals(before[1][2], after[1][2]);
  // the same frames give the same features in any stack and any example
  const repeated = tf.tile(tf.slice(x, [0, 0, 0, 0], [1, 5, 8, 8]), [1, 3, 1, 1]);
  const same = (features.predict(repeated) as tf.Tensor).arraySync() as number[][][];
  same[0].forEach((step) => step.forEach((v, i) => assert(Math.abs(v - before[0][0][i]) < 1e-5)));
  tf.dispose([x, changed, a, b, repeated]);
  model.dispose();
});

Deno.test("cascade() has BatchNorm layers, so AdaBN adapts it to a new subject", () => {
  const model = cascade({ nChans: 64, nTimes: 20, gridRows: 8, gridCols: 8 }, 4, SMALL);
  assert(hasBatchNorm(model));
  assertEquals(model.layers.filter((layer) => layer.getClassName() === "BatchNormalization").length, 2);
  model.dispose();
});

Deno.test("cascade() builds an LSTM, no self-attention with numHeads 0, and leaves CASCADE_DEFAULTS untouched", () => {
  const before = JSON.stringify(CASCADE_DEFAULTS);
  const model = cascade({ nChans: 64, nTimes: 20, gridRows: 8, gridCols: 8 }, 3, {
    ...SMALL,
    recurrent: "lstm",
    numHeads: 0,
  });
  assertEquals(model.outputs[0].shape, [null, 3]);
  assertEquals(model.getLayer("lstm").getClassName(), "LSTM");
  assertEquals(model.layers.some((layer) => layer.name === "self_attention"), false);
  const y = model.predict(tf.randomNormal([2, 20, 8, 8])) as tf.Tensor;
  assertEquals(y.shape, [2, 3]);
  y.dispose();
  model.dispose();
  assertEquals(JSON.stringify(CASCADE_DEFAULTS), before);
});

Deno.test("cascade() drops the frames after the last full stack", () => {
  const model = cascade({ nChans: 64, nTimes: 23, gridRows: 8, gridCols: 8 }, 4, SMALL);
  assertEquals(model.getLayer("frame_sequence").outputShape, [null, 4, 8]);
  model.dispose();
});

Deno.test("cascade() rejects bad options and signals, naming the option", () => {
  const grid = { nChans: 248, nTimes: 250, gridRows: 20, gridCols: 20 };
  assertThrows(() => cascade({ nChans: 248, nTimes: 250 }, 4), TypeError, "gridRows");
  assertThrows(
    () => cascade(grid, 4, { recurrent: "rnn" }),
    RangeError,
    'recurrent must be one of gru, lstm, got "rnn"',
  );
  assertThrows(() => cascade(grid, 4, { frameDepth: 0 }), RangeError, "frameDepth");
  assertThrows(
    () => cascade({ ...grid, nTimes: 8 }, 4),
    RangeError,
    "nTimes must be at least framePool x frameDepth = 20, got 8",
  );
  assertThrows(() => cascade(grid, 4, { filters: [16] as never }), TypeError, "filters");
  assertThrows(() => cascade(grid, 4, { filters: [16, 0] }), RangeError, "filters[1]");
  assertThrows(() => cascade(grid, 4, { blockSize: 0 }), RangeError, "blockSize");
  assertThrows(() => cascade(grid, 4, { numHeads: -1 }), RangeError, "numHeads");
  assertThrows(() => cascade(grid, 4, { dropProb: 1 }), RangeError, "dropProb");
  assertThrows(() => cascade(grid, 4, { activation: "swishy" as never }), RangeError, "activation");
  assertThrows(() => cascade(grid, 1), RangeError, "nOutputs");
  assertThrows(() => cascade(grid, 4, { dropout: 0.1 } as never), TypeError, 'unknown option "dropout"');
});

Deno.test("cascade() with framePool averages frames before stacking them", () => {
  const model = cascade({ nChans: 64, nTimes: 21, gridRows: 8, gridCols: 8 }, 4, { ...SMALL, framePool: 2 });
  // 21 frames -> 10 pooled -> 2 stacks of 5, each in 2 x 2 blocks of cells: [2, 4, 4, 2 * 2 * 5]
  assertEquals(model.getLayer("frame_stacks").outputShape, [null, 4, 4, 20]);
  assertEquals(model.getLayer("frame_sequence").outputShape, [null, 2, 8]);
  const stacks = tfl.model({ inputs: model.inputs, outputs: model.getLayer("frame_stacks").output });
  const x = tf.randomNormal([1, 21, 8, 8], 0, 1, "float32", 5);
  const y = (stacks.predict(x) as tf.Tensor).arraySync() as number[][][][];
  const frames = x.arraySync() as number[][][][];
  // stack 1, its pooled frame 1 (= pooled frame 6 = mean of frames 12 and 13), cell (2, 5):
  // block (1, 2), position (0, 1) in the block -> channel (0 * 2 + 1) * 5 + 1
  assert(Math.abs(y[1][1][2][6] - (frames[0][12][2][5] + frames[0][13][2][5]) / 2) < 1e-6);
  x.dispose();
  model.dispose();
});

Deno.test("cascade() with featureNorm normalises the frame features with a third BatchNorm", () => {
  const model = cascade({ nChans: 64, nTimes: 20, gridRows: 8, gridCols: 8 }, 4, { ...SMALL, featureNorm: true });
  assertEquals(model.layers.filter((layer) => layer.getClassName() === "BatchNormalization").length, 3);
  assertEquals(model.getLayer("frame_batch_norm").outputShape, [null, 8]);
  assertEquals(model.getLayer("frame_features").outputShape, [null, 8]);
  model.dispose();
});

Deno.test("cascade() runs its GRU as the fused layer by default, tfjs's GRU with fused: false", () => {
  const className = (options: object) => {
    const model = cascade({ nChans: 64, nTimes: 20, gridRows: 8, gridCols: 8 }, 3, { ...SMALL, ...options });
    const name = model.getLayer("gru").getClassName();
    model.dispose();
    return name;
  };
  assertEquals(className({}), "FusedGru");
  assertEquals(className({ fused: false }), "GRU");
});

Deno.test("cascade() fused and tfjs GRU models give the same outputs and weight gradients with the same weights", async () => {
  const signal = { nChans: 64, nTimes: 20, gridRows: 8, gridCols: 8 };
  // Seeded weights, so that the comparison runs the same numbers every time (unseeded, the worst
  // gradient used up to 0.09 of its bound over 16 draws).
  const fused = await withSeededRandom(2, () => cascade(signal, 3, { ...SMALL, featureNorm: true }));
  const stock = cascade(signal, 3, { ...SMALL, featureNorm: true, fused: false });
  stock.setWeights(fused.getWeights());
  const x = tf.randomNormal([3, 20, 8, 8], 0, 1, "float32", 7);
  const run = (model: tfl.LayersModel) => {
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(() => {
      // Inference mode: no dropout, so both models see the same function.
      const probs = model.apply(x, { training: false }) as tf.Tensor;
      return tf.sum(tf.mul(tf.log(probs), tf.range(1, 4)));
    }, variables);
    return { value: value.dataSync()[0], grads: variables.map((v) => grads[v.name].dataSync()) };
  };
  const a = run(fused);
  const b = run(stock);
  assert(Math.abs(a.value - b.value) < 1e-5 * Math.abs(b.value), `loss ${a.value} vs ${b.value}`);
  assertEquals(a.grads.length, b.grads.length);
  a.grads.forEach((g, i) => {
    let diff = 0;
    let norm = 0;
    for (let j = 0; j < g.length; j++) {
      diff = Math.max(diff, Math.abs(g[j] - b.grads[i][j]));
      norm = Math.max(norm, Math.abs(b.grads[i][j]));
    }
    assert(diff <= 1e-4 * norm + 1e-7, `gradient ${i} (${fused.trainableWeights[i].name}): ${diff} of ${norm}`);
  });
  tf.dispose([x] as never);
  fused.dispose();
  stock.dispose();
});

Deno.test("cascade() with temporalFilters and temporalNorm filters every cell's series and stacks the bands as channels", () => {
  const options = { ...SMALL, temporalFilters: 3, temporalKernel: 4, temporalNorm: true };
  const model = cascade({ nChans: 64, nTimes: 20, gridRows: 8, gridCols: 8 }, 4, options);
  const shape = (name: string) => model.getLayer(name).outputShape;
  assertEquals(shape("temporal_conv"), [null, 20, 64, 3]);
  assertEquals(shape("band_frames"), [null, 20, 8, 24]);
  assertEquals(shape("band_stacks"), [null, 8, 8, 15]);
  assertEquals(shape("stage_1_blocks"), [null, 4, 4, 60]);
  // the filter bank adds 4 taps x 3 filters and a BatchNorm of 3; stage 1 sees 3 x 5 channels, not 5
  const plain = cascade({ nChans: 64, nTimes: 20, gridRows: 8, gridCols: 8 }, 4, SMALL);
  assertEquals(model.countParams() - plain.countParams(), 4 * 3 + 4 * 3 + 4 * (15 - 5) * 4);
  // a cell's bands depend on its own series only: change cell (2, 5) of example 1
  const bands = tfl.model({ inputs: model.inputs, outputs: model.getLayer("band_frames").output });
  const x = tf.randomNormal([2, 20, 8, 8], 0, 1, "float32", 3);
  const mask = tf.buffer([2, 20, 8, 8]);
  for (let t = 0; t < 20; t++) mask.set(1, 1, t, 2, 5);
  const changed = tf.add(x, mask.toTensor());
  const [a, b] = [bands.predict(x) as tf.Tensor, bands.predict(changed) as tf.Tensor];
  const [before, after] = [a.arraySync() as number[][][][], b.arraySync() as number[][][][]];
  assertEquals(before[0], after[0]);
  for (let t = 0; t < 20; t++) {
    for (let r = 0; r < 8; r++) {
      for (let c = 0; c < 24; c++) {
        const own = r === 2 && Math.floor(c / 3) === 5;
        if (!own) assertEquals(before[1][t][r][c], after[1][t][r][c]);
      }
    }
  }
  assertNotEquals(before[1][10][2].slice(15, 18), after[1][10][2].slice(15, 18));
  tf.dispose([x, changed, a, b]);
  model.dispose();
  plain.dispose();
});

Deno.test("cascade() with temporalFilters and temporalNorm has a third BatchNorm, on the bands, that AdaBN re-estimates", () => {
  const options = { ...SMALL, temporalFilters: 2, temporalNorm: true };
  const model = cascade({ nChans: 64, nTimes: 20, gridRows: 8, gridCols: 8 }, 4, options);
  assert(hasBatchNorm(model));
  const norms = model.layers.filter((layer) => layer.getClassName() === "BatchNormalization").map((l) => l.name);
  assertEquals(norms, ["temporal_batch_norm", "stage_1_batch_norm", "stage_2_batch_norm"]);
  const y = model.predict(tf.randomNormal([2, 20, 8, 8])) as tf.Tensor;
  assertEquals(y.shape, [2, 4]);
  y.dispose();
  model.dispose();
  assertEquals(CASCADE_DEFAULTS.temporalFilters, 0);
  assertEquals(CASCADE_DEFAULTS.temporalNorm, false);
});

Deno.test("cascade() rejects a negative temporalFilters and a zero temporalKernel, naming the option", () => {
  const signal = { nChans: 64, nTimes: 20, gridRows: 8, gridCols: 8 };
  assertThrows(() => cascade(signal, 4, { ...SMALL, temporalFilters: -1 }), RangeError, "temporalFilters");
  assertThrows(
    () => cascade(signal, 4, { ...SMALL, temporalFilters: 2, temporalKernel: 0 }),
    RangeError,
    "temporalKernel",
  );
  assertThrows(() => cascade(signal, 4, { ...SMALL, temporalFilters: 1.5 }), RangeError, "temporalFilters");
});

/** The bands path without its BatchNorm, as plain layers: `[batch, nFrames, rows, cols]` -> stage 1's output. */
function unfoldedStage1(
  input: tfl.SymbolicTensor,
  o: { filters: number; kernel: number; depth: number; units: number },
): tfl.LayersModel {
  const [nFrames, rows, cols] = input.shape.slice(1) as number[];
  let x = tfl.layers.reshape({ targetShape: [nFrames, rows * cols] }).apply(input) as tfl.SymbolicTensor;
  x = new TemporalFilterBank({ filters: o.filters, kernelSize: o.kernel }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.reshape({ targetShape: [nFrames, rows, cols * o.filters] }).apply(x) as tfl.SymbolicTensor;
  x = new FramesToBatch({ depth: o.depth }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.reshape({ targetShape: [rows, cols, o.filters * o.depth] }).apply(x) as tfl.SymbolicTensor;
  x = new SpaceToDepth({ blockSize: 2 }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.dense({ units: o.units, useBias: false }).apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: x });
}

Deno.test("cascade() with temporalFilters alone folds the filter bank into stage 1: the bands path's function without its BatchNorm", () => {
  // stacks of 5: 20 frames end at the last stack (zeros after it), 23 have 3 dropped frames that
  // the filters of the last stack read
  for (const [nTimes, kernel] of [[23, 4], [23, 7], [20, 4], [20, 7]]) {
    const signal = { nChans: 64, nTimes, gridRows: 8, gridCols: 8 };
    const model = cascade(signal, 4, { ...SMALL, temporalFilters: 3, temporalKernel: kernel });
    assertEquals(model.getLayer("frame_stacks").outputShape, [null, 8, 8, 5 + kernel - 1]);
    assertEquals(model.getLayer("stage_1_conv").getClassName(), "FilterBankDense");
    assertThrows(() => model.getLayer("temporal_batch_norm"));
    const banded = cascade(signal, 4, { ...SMALL, temporalFilters: 3, temporalKernel: kernel, temporalNorm: true });
    assertEquals(banded.countParams() - model.countParams(), 4 * 3, "the same weights but the bands' BatchNorm");
    const input = tfl.input({ shape: [nTimes, 8, 8] });
    const reference = unfoldedStage1(input, { filters: 3, kernel, depth: 5, units: 4 });
    reference.setWeights(model.getLayer("stage_1_conv").getWeights());
    const folded = tfl.model({ inputs: model.inputs, outputs: model.getLayer("stage_1_conv").output });
    const x = tf.randomNormal([2, nTimes, 8, 8], 0, 1, "float32", 7);
    const [a, b] = [folded.predict(x) as tf.Tensor, reference.predict(x) as tf.Tensor];
    assertEquals(a.shape, [8, 4, 4, 4]);
    assertEquals(b.shape, a.shape);
    const diff = tf.max(tf.abs(tf.sub(a, b))).dataSync()[0];
    assert(diff < 1e-4, `${nTimes} frames, kernel ${kernel}: folded and band outputs differ by ${diff}`);
    tf.dispose([x, a, b]);
    [model, banded, reference].forEach((m) => m.dispose());
  }
});

Deno.test("cascade() with temporalFilters alone keeps the frame CNN's BatchNorms for AdaBN and trains", () => {
  const model = cascade({ nChans: 64, nTimes: 20, gridRows: 8, gridCols: 8 }, 4, { ...SMALL, temporalFilters: 2 });
  const norms = model.layers.filter((layer) => layer.getClassName() === "BatchNormalization").map((l) => l.name);
  assertEquals(norms, ["stage_1_batch_norm", "stage_2_batch_norm"]);
  const x = tf.randomNormal([3, 20, 8, 8], 0, 1, "float32", 2);
  const taps = model.getLayer("stage_1_conv").trainableWeights[0].read() as tf.Variable;
  const { grads } = tf.variableGrads(() => tf.sum(tf.square(model.apply(x, { training: true }) as tf.Tensor)), [taps]);
  assert(tf.max(tf.abs(grads[taps.name])).dataSync()[0] > 0, "the temporal taps get a gradient");
  tf.dispose([x, grads[taps.name]]);
  model.dispose();
});
