import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { assertEquals, assertNotEquals, assertThrows } from "@std/assert";
import * as tfl from "@tensorflow/tfjs-layers";
import { vivit, VIVIT_DEFAULTS } from "../../models/vivit.ts";
import { hasBatchNorm } from "../../training/adapt_batch_norm.ts";
import { fusedBatchNormCalls } from "../../models/layers/_fused_batch_norm.ts";
import { runConfig } from "../../training/run_config.ts";
import { SMALL_GRID, SMALL_TUBELETS } from "./_vivit_small.ts";

await tf.setBackend("cpu");

/**
 * The stem before the FIR cell filters (session 21's cross recipe, the registry defaults since): cell filters over
 * each tubelet's samples (no `cellFilterTaps`) and energy tokens. The tests of those options name it.
 */
const TUBELET_FILTERS = { cellFilterTaps: 0, stem: "energy" as const };

/** Patches smaller than the grid: no cell or spatial filters (the registry defaults need whole-grid tubelets). */
const PATCHES = { cellFilters: 0, spatialFilters: 0, ...TUBELET_FILTERS };

Deno.test("vivit() defaults: the cross recipe's network, whole-grid 50-sample tubelets on any grid (size 0 = the grid's extent)", () => {
  for (const side of [20, 16]) {
    const model = vivit({ nChans: 248, nTimes: 250, gridRows: side, gridCols: side }, 4);
    const shape = (name: string) => model.getLayer(name).outputShape;
    assertEquals(shape("spatial_filters"), [null, 250, 8]);
    assertEquals(shape("cell_filters"), [null, 250, 8, 8]);
    assertEquals(shape("cell_log_power"), [null, 5, 64]);
    assertEquals(shape("tubelet_embedding"), [null, 5, 1, 32]);
    assertEquals(shape("tubelet_norm"), [null, 5, 1, 32]);
    assertEquals(shape("group_tokens"), [null, 5, 32]);
    assertEquals(shape("temporal_1_mlp_residual"), [null, 5, 32]);
    assertEquals(shape("head_norm"), [null, 32]);
    assertEquals(model.layers.some((layer) => layer.name.startsWith("spatial_0")), false);
    assertEquals(model.layers.some((layer) => layer.name === "tubelet_energy"), false);
    if (side === 20) assertEquals(model.countParams(), 23460);
    model.dispose();
  }
  // the same layers and configs as the cross recipe's written-out options (training/model_recipes.ts;
  // tests/training/model_recipes_vivit_test.ts spells them out)
  const signal = { nChans: 248, nTimes: 250, gridRows: 20, gridCols: 20 };
  const recipe = runConfig("cross", "/data", { model: "vivit" }).modelOptions;
  const [a, b] = [vivit(signal, 4), vivit(signal, 4, recipe)];
  assertEquals(JSON.stringify(a.toJSON(undefined, false)), JSON.stringify(b.toJSON(undefined, false)));
  [a, b].forEach((m) => m.dispose());
  assertEquals(VIVIT_DEFAULTS.tubelet, [50, 0, 0]);
});

Deno.test("vivit() follows the documented layout with patches: 4 x 4 cells of a 16 x 16 grid, 10 x 20 of a 20 x 20", () => {
  const cases: [number, [number, number, number], number][] = [[16, [25, 4, 4], 16], [20, [25, 10, 0], 2]];
  for (const [side, tubelet, nPatches] of cases) {
    const model = vivit({ nChans: 248, nTimes: 250, gridRows: side, gridCols: side }, 4, {
      tubelet,
      ...PATCHES,
      spatialDepth: 2,
      embedDim: 64,
      numHeads: 4,
    });
    const shape = (name: string) => model.getLayer(name).outputShape;
    assertEquals(model.inputs[0].shape, [null, 250, side, side]);
    assertEquals(shape("tubelet_norm"), [null, 10, nPatches, 64]);
    assertEquals(shape("spatial_1_mlp_residual"), [null, 10, nPatches, 64]);
    assertEquals(shape("group_tokens"), [null, 10, 64]);
    assertEquals(shape("temporal_1_mlp_residual"), [null, 10, 64]);
    assertEquals(shape("head_norm"), [null, 64]);
    assertEquals(shape("classifier"), [null, 4]);
    model.dispose();
  }
});

Deno.test("vivit() has one block per depth and its parameter count follows the hyper-parameters", () => {
  const model = vivit(SMALL_GRID, 4, {
    tubelet: [5, 4, 4],
    ...PATCHES,
    stem: "linear",
    embedDim: 8,
    numHeads: 2,
    keyDim: 3,
    spatialDepth: 3,
    temporalDepth: 1,
    mlpRatio: 2,
  });
  const names = model.layers.map((layer) => layer.name);
  assertEquals(names.filter((n) => n.endsWith("_attention")).length, 4);
  const [e, hk, m] = [8, 2 * 3, 16];
  const block = 2 * 2 * e + // two LayerNorms
    (e * 3 * hk + 3 * hk + hk * e + e) + // attention
    (e * m + m + m * e + e); // MLP
  const expected = (80 * e + e) + // tubelet projection (5 x 4 x 4 = 80 values per patch)
    4 * e + // tubelet BatchNorm (gamma, beta, moving mean and variance)
    4 * e + // spatial positions (4 patches)
    4 * block +
    2 * e + // spatial norm
    4 * e + // temporal positions (4 groups)
    2 * e + // head norm
    (e * 4 + 4);
  assertEquals(model.countParams(), expected);
  model.dispose();
});

Deno.test("vivit() rejects a signal without a grid and a tubelet that does not divide it", () => {
  assertThrows(() => vivit({ nChans: 248, nTimes: 250 }, 4), TypeError, "gridRows");
  assertThrows(
    () => vivit({ nChans: 256, nTimes: 250, gridRows: 16, gridCols: 16 }, 4, { tubelet: [20, 4, 4] }),
    RangeError,
    "nTimes 250 is not a multiple of 20",
  );
  assertThrows(
    () => vivit({ nChans: 256, nTimes: 250, gridRows: 18, gridCols: 20 }, 4, { tubelet: [25, 10, 10], ...PATCHES }),
    RangeError,
    "gridRows 18 is not a multiple of 10",
  );
  // the defaults' 50-sample tubelets need windows of a multiple of 0.4 s at 125 Hz
  assertThrows(() => vivit({ nChans: 256, nTimes: 125, gridRows: 16, gridCols: 16 }, 4), RangeError, "multiple of 50");
  const grid = { nChans: 256, nTimes: 250, gridRows: 16, gridCols: 16 };
  assertThrows(() => vivit(grid, 4, { tubelet: [0, 16, 16] }), RangeError, "tubelet[0]");
  assertThrows(() => vivit(grid, 4, { tubelet: [25, -1, 16] }), RangeError, "tubelet[1]");
  assertThrows(
    () => vivit({ nChans: 256, nTimes: 250, gridRows: 16, gridCols: 16 }, 4, { tubelet: [25, 4] as never }),
    TypeError,
    "tubelet",
  );
  assertThrows(
    () => vivit({ nChans: 256, nTimes: 250, gridRows: 16, gridCols: 16 }, 4, { attentionDropProb: -0.1 }),
    RangeError,
    "attentionDropProb",
  );
});

Deno.test("vivit() builds without transformer blocks and leaves VIVIT_DEFAULTS untouched", () => {
  const before = JSON.stringify(VIVIT_DEFAULTS);
  const model = vivit({ nChans: 64, nTimes: 10, gridRows: 8, gridCols: 8 }, 3, {
    tubelet: [5, 4, 4],
    ...PATCHES,
    spatialDepth: 0,
    temporalDepth: 0,
  });
  assertEquals(model.outputs[0].shape, [null, 3]);
  assertEquals(model.layers.some((layer) => layer.name.endsWith("_attention")), false);
  assertEquals(JSON.stringify(VIVIT_DEFAULTS), before);
  model.dispose();
});

Deno.test("vivit() starts at the uniform prediction: its classifier kernel is zero by default", () => {
  const model = vivit(SMALL_GRID, 4, {
    tubelet: [5, 4, 4],
    ...PATCHES,
    embedDim: 8,
  });
  const probs = tf.tidy(() =>
    (model.predict(tf.randomNormal([3, 20, 8, 8], 0, 3, "float32", 7)) as tf.Tensor).arraySync()
  );
  for (const row of probs as number[][]) for (const p of row) assertEquals(Math.abs(p - 0.25) < 1e-6, true);
  model.dispose();
  const random = vivit(SMALL_GRID, 4, {
    tubelet: [5, 4, 4],
    ...PATCHES,
    embedDim: 8,
    zeroHead: false,
  });
  const kernel = random.getLayer("classifier").getWeights()[0];
  assertEquals(tf.tidy(() => tf.max(tf.abs(kernel)).dataSync()[0]) > 0, true);
  random.dispose();
});

Deno.test("vivit() stem options: BatchNorm on the tokens (AdaBN adapts it), none, energy; bad values are refused", () => {
  const signal = SMALL_GRID;
  const base = { tubelet: [5, 4, 4] as [number, number, number], ...PATCHES, embedDim: 8 };
  const withNorm = vivit(signal, 4, base);
  assertEquals(withNorm.getLayer("tubelet_norm").getClassName(), "BatchNormalization");
  assertEquals(hasBatchNorm(withNorm), true);
  withNorm.dispose();
  const plain = vivit(signal, 4, { ...base, stemNorm: "none" });
  assertEquals(hasBatchNorm(plain), false);
  plain.dispose();
  const energy = vivit(signal, 4, { ...base, stem: "energy", stemActivation: "gelu" });
  assertEquals(energy.getLayer("tubelet_embedding").outputShape, [null, 4, 4, 16]);
  assertEquals(energy.getLayer("tubelet_energy").outputShape, [null, 4, 4, 8]);
  assertEquals(energy.getLayer("tubelet_activation").outputShape, [null, 4, 4, 8]);
  energy.dispose();
  assertThrows(() => vivit(signal, 4, { ...base, stemNorm: "layer" as never }), RangeError, "stemNorm");
  assertThrows(() => vivit(signal, 4, { ...base, stem: "conv" as never }), RangeError, "stem");
  assertThrows(() => vivit(signal, 4, { ...base, stemActivation: "cube" as never }), RangeError, "activation");
});

Deno.test("vivit() stem logEnergy: the tokens mix log(1 + x²) of the tubelet filters, with the weights of the energy stem", () => {
  const signal = SMALL_GRID;
  const base = { tubelet: [5, 4, 4] as [number, number, number], ...PATCHES, embedDim: 8, stem: "logEnergy" as const };
  const model = vivit(signal, 4, base);
  assertEquals(model.getLayer("tubelet_log_energy").getClassName(), "LogEnergy");
  assertEquals(model.getLayer("tubelet_log_energy").outputShape, [null, 4, 4, 16]);
  assertEquals(model.getLayer("tubelet_energy").outputShape, [null, 4, 4, 8]);
  assertEquals(model.layers.some((layer) => layer.name === "tubelet_square"), false);
  // the same weights as the energy stem: only the nonlinearity differs
  const energy = vivit(signal, 4, { ...base, stem: "energy" });
  assertEquals(model.countParams(), energy.countParams());
  const filters = tfl.model({ inputs: model.inputs, outputs: model.getLayer("tubelet_embedding").output });
  const logs = tfl.model({ inputs: model.inputs, outputs: model.getLayer("tubelet_log_energy").output });
  const x = tf.randomNormal([2, 20, 8, 8], 0, 1, "float32", 5);
  const [f, l] = [filters.predict(x) as tf.Tensor, logs.predict(x) as tf.Tensor];
  const expected = tf.log1p(tf.square(f));
  assertEquals(tf.max(tf.abs(tf.sub(l, expected))).dataSync()[0] < 1e-5, true);
  tf.dispose([x, f, l, expected]);
  model.dispose();
  energy.dispose();
  assertThrows(() => vivit(signal, 4, { ...base, stem: "log" as never }), RangeError, "logEnergy");
});

Deno.test("vivit() with cellPower: each cell's log power in cellFilters quadrature pairs, then BatchNorm", () => {
  const signal = SMALL_GRID;
  const base = {
    tubelet: [5, 4, 4] as [number, number, number],
    ...PATCHES,
    embedDim: 8,
    stem: "linear" as const,
    cellFilters: 3,
  };
  const model = vivit(signal, 4, { ...base, cellPower: true });
  const shape = (name: string) => model.getLayer(name).outputShape;
  assertEquals(shape("cell_filters"), [null, 4, 64, 6]);
  assertEquals(shape("cell_log_power"), [null, 4, 64, 3]);
  assertEquals(shape("cell_bands"), [null, 4, 8, 24]);
  assertEquals(model.layers.map((layer) => layer.name).slice(3, 6), [
    "cell_filters",
    "cell_log_power",
    "cell_filter_norm",
  ]);
  // 5 taps x 3 more filters than without cellPower, nothing else
  const plain = vivit(signal, 4, base);
  assertEquals(model.countParams() - plain.countParams(), 5 * 3);
  // the log powers: log(1 + a² + b²) of the filter pairs of every cell
  const filters = tfl.model({ inputs: model.inputs, outputs: model.getLayer("cell_filters").output });
  const powers = tfl.model({ inputs: model.inputs, outputs: model.getLayer("cell_log_power").output });
  const x = tf.randomNormal([2, 20, 8, 8], 0, 1, "float32", 7);
  const [f, p] = [filters.predict(x) as tf.Tensor, powers.predict(x) as tf.Tensor];
  const fs = f.arraySync() as number[][][][];
  const ps = p.arraySync() as number[][][][];
  for (const [b, g, c, k] of [[0, 0, 0, 0], [1, 3, 63, 2], [1, 2, 17, 1]]) {
    const [re, im] = [fs[b][g][c][2 * k], fs[b][g][c][2 * k + 1]];
    assertEquals(Math.abs(ps[b][g][c][k] - Math.log(1 + re * re + im * im)) < 1e-5, true);
  }
  tf.dispose([x, f, p]);
  model.dispose();
  plain.dispose();
  assertEquals(VIVIT_DEFAULTS.cellPower, false);
});

Deno.test("vivit() with cellFilters filters each cell's tubelet samples and a tubelet mixes the filters of its cells", () => {
  const signal = SMALL_GRID;
  const base = { tubelet: [5, 4, 4] as [number, number, number], ...PATCHES, embedDim: 8 };
  const model = vivit(signal, 4, { ...base, cellFilters: 3 });
  const shape = (name: string) => model.getLayer(name).outputShape;
  assertEquals(shape("cell_series"), [null, 4, 64, 5]);
  assertEquals(shape("cell_filters"), [null, 4, 64, 3]);
  assertEquals(shape("cell_bands"), [null, 4, 8, 24]);
  assertEquals(shape("tubelet_embedding"), [null, 4, 4, 16]);
  const norms = model.layers.filter((layer) => layer.getClassName() === "BatchNormalization").map((l) => l.name);
  assertEquals(norms, ["cell_filter_norm", "tubelet_norm"]);
  // 5 taps x 3 filters and a BatchNorm of 3, then a projection from 4 x 4 cells x 3 filters instead of 5 x 4 x 4 samples
  const plain = vivit(signal, 4, base);
  assertEquals(model.countParams() - plain.countParams(), 5 * 3 + 4 * 3 + (48 - 80) * 16);
  // a change in cell (1, 6) during group 2 of example 1 moves that group's token of its patch (top right) only
  const tokens = tfl.model({ inputs: model.inputs, outputs: model.getLayer("tubelet_embedding").output });
  const x = tf.randomNormal([2, 20, 8, 8], 0, 1, "float32", 3);
  const mask = tf.buffer([2, 20, 8, 8]);
  for (let t = 10; t < 15; t++) mask.set(1 + t, 1, t, 1, 6);
  const changed = tf.add(x, mask.toTensor());
  const [a, b] = [tokens.predict(x) as tf.Tensor, tokens.predict(changed) as tf.Tensor];
  const [before, after] = [a.arraySync() as number[][][][], b.arraySync() as number[][][][]];
  assertEquals(before[0], after[0]);
  for (let g = 0; g < 4; g++) {
    for (let patch = 0; patch < 4; patch++) {
      if (g === 2 && patch === 1) assertNotEquals(before[1][g][patch], after[1][g][patch]);
      else assertEquals(before[1][g][patch], after[1][g][patch]);
    }
  }
  tf.dispose([x, changed, a, b]);
  model.dispose();
  plain.dispose();
  assertEquals(VIVIT_DEFAULTS.cellFilters, 8);
  assertThrows(() => vivit(signal, 4, { ...base, cellFilters: -1 }), RangeError, "cellFilters");
  assertThrows(() => vivit(signal, 4, { ...base, cellFilters: 1.5 }), RangeError, "cellFilters");
});

Deno.test("vivit() with whole-grid tubelets (the session-16 cross recipe): one token per time group, mixing every cell's filters", () => {
  const options = {
    cellFilters: 8,
    spatialFilters: 0,
    ...TUBELET_FILTERS,
    tubelet: [50, 20, 20] as [number, number, number],
    spatialDepth: 0,
    embedDim: 32,
    numHeads: 2,
  };
  const model = vivit({ nChans: 248, nTimes: 250, gridRows: 20, gridCols: 20 }, 4, options);
  const shape = (name: string) => model.getLayer(name).outputShape;
  assertEquals(shape("cell_bands"), [null, 5, 20, 160]);
  assertEquals(shape("tubelet_embedding"), [null, 5, 1, 64]);
  assertEquals(shape("tubelet_norm"), [null, 5, 1, 32]);
  assertEquals(shape("group_tokens"), [null, 5, 32]);
  assertEquals(model.layers.some((layer) => layer.name.startsWith("spatial_0")), false);
  // the tubelet projection reads 20 x 20 cells x 8 filters
  assertEquals(model.getLayer("tubelet_embedding").getWeights()[0].shape, [3200, 64]);
  const probabilities = model.predict(tf.randomNormal([2, 250, 20, 20])) as tf.Tensor;
  assertEquals(probabilities.shape, [2, 4]);
  probabilities.dispose();
  model.dispose();
});

Deno.test("vivit() with spatialFilters: every cell filter's outputs over the whole grid go through the same spatial filters", () => {
  const signal = SMALL_GRID;
  const base = {
    ...SMALL_TUBELETS,
    spatialFilters: 0,
    ...TUBELET_FILTERS,
  };
  const model = vivit(signal, 4, { ...base, spatialFilters: 2 });
  const shape = (name: string) => model.getLayer(name).outputShape;
  assertEquals(shape("cell_filter_norm"), [null, 4, 64, 3]);
  assertEquals(shape("filter_maps"), [null, 4, 3, 64]);
  assertEquals(shape("spatial_filters"), [null, 4, 3, 2]);
  assertEquals(shape("spatial_bands"), [null, 4, 1, 6]);
  assertEquals(shape("tubelet_embedding"), [null, 4, 1, 16]);
  // 64 cells x 2 spatial filters, then a projection from 3 x 2 values instead of 64 cells x 3 filters
  const plain = vivit(signal, 4, base);
  assertEquals(model.countParams() - plain.countParams(), 64 * 2 + (6 - 192) * 16);
  // value (f * 2 + s) of a group is filter f's outputs over the cells weighted by spatial filter s
  const normed = tfl.model({ inputs: model.inputs, outputs: model.getLayer("cell_filter_norm").output });
  const bands = tfl.model({ inputs: model.inputs, outputs: model.getLayer("spatial_bands").output });
  const x = tf.randomNormal([2, 20, 8, 8], 0, 1, "float32", 11);
  const [n, b] = [normed.predict(x) as tf.Tensor, bands.predict(x) as tf.Tensor];
  const ns = n.arraySync() as number[][][][];
  const bs = b.arraySync() as number[][][][];
  const kernel = model.getLayer("spatial_filters").getWeights()[0].arraySync() as number[][];
  for (const [batch, g, f, s] of [[0, 0, 0, 0], [1, 3, 2, 1], [0, 2, 1, 1]]) {
    const expected = ns[batch][g].reduce((sum, cell, c) => sum + cell[f] * kernel[c][s], 0);
    assertEquals(Math.abs(bs[batch][g][0][f * 2 + s] - expected) < 1e-4, true);
  }
  tf.dispose([x, n, b]);
  model.dispose();
  plain.dispose();
  assertEquals(VIVIT_DEFAULTS.spatialFilters, 8);
  assertThrows(() => vivit(signal, 4, { ...base, spatialFilters: -1 }), RangeError, "spatialFilters");
  assertThrows(() => vivit(signal, 4, { ...base, cellFilters: 0, spatialFilters: 2 }), RangeError, "spatialFilters");
  assertThrows(
    () => vivit(signal, 4, { ...base, tubelet: [5, 4, 4], spatialFilters: 2 }),
    RangeError,
    "whole-grid",
  );
});

Deno.test("vivit() with cellFilters: the cell filters' and the tokens' BatchNorms train as fused ops", () => {
  const signal = SMALL_GRID;
  const model = vivit(signal, 4, {
    ...SMALL_TUBELETS,
    spatialFilters: 2,
    ...TUBELET_FILTERS,
  });
  const x = tf.randomNormal([2, 20, 8, 8], 0, 1, "float32", 12);
  const before = fusedBatchNormCalls();
  tf.tidy(() => model.apply(x, { training: true }) as tf.Tensor);
  assertEquals(fusedBatchNormCalls() - before, 2);
  // the layer's own values: tests/models/layers/fused_batch_norm_test.ts ([32, 5, 400, 8], the cross recipe's shape)
  tf.dispose(x);
  model.dispose();
});

Deno.test("vivit() spatialNorm and energyNorm: BatchNorms that AdaBN re-estimates after the spatial filters, on the energies", () => {
  const signal = SMALL_GRID;
  const base = {
    ...SMALL_TUBELETS,
    spatialFilters: 2,
    ...TUBELET_FILTERS,
  };
  const plain = vivit(signal, 4, base);
  const model = vivit(signal, 4, { ...base, spatialNorm: true, energyNorm: true });
  const norms = model.layers.filter((layer) => layer.getClassName() === "BatchNormalization");
  assertEquals(norms.map((l) => [l.name, l.outputShape]), [
    ["cell_filter_norm", [null, 4, 64, 3]],
    ["spatial_filter_norm", [null, 4, 1, 6]],
    ["energy_norm", [null, 4, 1, 16]],
    ["tubelet_norm", [null, 4, 1, 8]],
  ]);
  const names = model.layers.map((layer) => layer.name);
  assertEquals(names.indexOf("spatial_filter_norm"), names.indexOf("spatial_bands") + 1);
  assertEquals(names.slice(names.indexOf("tubelet_square") + 1, names.indexOf("tubelet_energy") + 1), [
    "energy_norm",
    "tubelet_energy",
  ]);
  // 4 weights per normalised feature (gamma, beta and the two moving statistics), nothing else
  assertEquals(model.countParams() - plain.countParams(), 4 * (6 + 16));
  // with logEnergy it normalises the log energies
  const logEnergy = vivit(signal, 4, { ...base, stem: "logEnergy", energyNorm: true });
  const logNames = logEnergy.layers.map((layer) => layer.name);
  assertEquals(logNames.indexOf("energy_norm"), logNames.indexOf("tubelet_log_energy") + 1);
  assertEquals(hasBatchNorm(model), true);
  [plain, model, logEnergy].forEach((m) => m.dispose());
  assertEquals([VIVIT_DEFAULTS.spatialNorm, VIVIT_DEFAULTS.energyNorm], [false, false]);
  assertThrows(() => vivit(signal, 4, { ...base, spatialFilters: 0, spatialNorm: true }), RangeError, "spatialNorm");
  assertThrows(() => vivit(signal, 4, { ...base, stem: "linear", energyNorm: true }), RangeError, "energyNorm");
  assertThrows(() => vivit(signal, 4, { ...base, spatialNorm: 1 as never }), TypeError, "spatialNorm");
});

Deno.test("vivit() cellNorm: cell_filter_norm normalises every (cell, filter) pair, its scale and offset not trained", () => {
  const signal = SMALL_GRID;
  const base = {
    ...SMALL_TUBELETS,
    spatialFilters: 2,
    ...TUBELET_FILTERS,
  };
  const plain = vivit(signal, 4, { ...base, spatialDepth: 0 });
  const model = vivit(signal, 4, { ...base, spatialDepth: 0, cellNorm: true });
  const shape = (name: string) => model.getLayer(name).outputShape;
  assertEquals(shape("cell_filter_flat"), [null, 4, 192]);
  assertEquals(shape("cell_filter_norm"), [null, 4, 192]);
  assertEquals(shape("cell_filter_cells"), [null, 4, 64, 3]);
  assertEquals(shape("spatial_bands"), [null, 4, 1, 6]);
  // gamma, beta and statistics for 64 cells x 3 filters instead of 3 filters; gamma and beta not trained
  assertEquals(model.countParams() - plain.countParams(), 4 * 192 - 4 * 3);
  assertEquals(model.getLayer("cell_filter_norm").trainableWeights.length, 0);
  // in training, every (cell, filter) pair has mean 0 and variance 1 over the batch and the time groups (up to
  // BatchNorm's epsilon, 1e-3)
  const normed = tfl.model({ inputs: model.inputs, outputs: model.getLayer("cell_filter_cells").output });
  const x = tf.mul(
    tf.randomNormal([8, 20, 8, 8], 0, 1, "float32", 17),
    tf.reshape(tf.linspace(0.5, 4, 8), [1, 1, 1, 8]),
  );
  const y = normed.apply(x, { training: true }) as tf.Tensor;
  const { mean, variance } = tf.moments(y, [0, 1]);
  assertEquals(tf.max(tf.abs(mean)).dataSync()[0] < 1e-4, true);
  assertEquals(tf.max(tf.abs(tf.sub(variance, 1))).dataSync()[0] < 0.05, true);
  tf.dispose([x, y, mean, variance]);
  [plain, model].forEach((m) => m.dispose());
  assertEquals(VIVIT_DEFAULTS.cellNorm, false);
  assertThrows(
    () => vivit(signal, 4, { ...base, cellFilters: 0, spatialFilters: 0, cellNorm: true }),
    RangeError,
    "cellNorm",
  );
});

Deno.test("vivit() with cellPool: each block of neighbouring cells is averaged before the cell filters", () => {
  const signal = SMALL_GRID;
  const base = {
    ...SMALL_TUBELETS,
    ...TUBELET_FILTERS,
  };
  const model = vivit(signal, 4, { ...base, spatialFilters: 2, cellPool: 2 });
  const shape = (name: string) => model.getLayer(name).outputShape;
  assertEquals(shape("cell_pool"), [null, 20, 4, 4]);
  assertEquals(shape("cell_filter_norm"), [null, 4, 16, 3]);
  assertEquals(shape("spatial_bands"), [null, 4, 1, 6]);
  // 16 pooled cells x 2 spatial filters instead of 64 cells x 2
  const plain = vivit(signal, 4, { ...base, spatialFilters: 2 });
  assertEquals(plain.countParams() - model.countParams(), (64 - 16) * 2);
  // pooled cell (1, 2) of frame 7 is the mean of cells (2..3, 4..5)
  const pooled = tfl.model({ inputs: model.inputs, outputs: model.getLayer("cell_pool").output });
  const x = tf.randomNormal([2, 20, 8, 8], 0, 1, "float32", 13);
  const p = pooled.predict(x) as tf.Tensor;
  const xs = x.arraySync() as number[][][][];
  const mean = (xs[1][7][2][4] + xs[1][7][2][5] + xs[1][7][3][4] + xs[1][7][3][5]) / 4;
  assertEquals(Math.abs((p.arraySync() as number[][][][])[1][7][1][2] - mean) < 1e-5, true);
  // without spatial filters, the tubelet mixes the pooled cells of its part of the grid
  const quarters = vivit(signal, 4, { ...base, tubelet: [5, 4, 4], spatialFilters: 0, cellPool: 2 });
  assertEquals(quarters.getLayer("cell_bands").outputShape, [null, 4, 4, 12]);
  assertEquals(quarters.getLayer("tubelet_embedding").outputShape, [null, 4, 4, 16]);
  tf.dispose([x, p]);
  [model, plain, quarters].forEach((m) => m.dispose());
  assertEquals(VIVIT_DEFAULTS.cellPool, 1);
  assertThrows(() => vivit(signal, 4, { ...base, cellPool: 0 }), RangeError, "cellPool");
  assertThrows(() => vivit(signal, 4, { ...base, cellPool: 3 }), RangeError, "cellPool");
  assertThrows(
    () => vivit(signal, 4, { ...base, cellFilters: 0, spatialFilters: 0, cellPool: 2 }),
    RangeError,
    "cellPool",
  );
});
