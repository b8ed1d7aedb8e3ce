import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import * as tfl from "@tensorflow/tfjs-layers";
import { vivit, VIVIT_DEFAULTS } from "../../models/vivit.ts";
import { hasBatchNorm } from "../../training/adapt_batch_norm.ts";
import { SMALL_GRID, SMALL_TUBELETS } from "./_vivit_small.ts";

await tf.setBackend("cpu");

const signal = SMALL_GRID;
const base = {
  ...SMALL_TUBELETS,
  spatialFilters: 2,
  stem: "linear" as const,
  cellFilterTaps: 0,
};

Deno.test("vivit() with cellFilterTaps: spatial filters, FIR cell filters over the window, each pair's log mean power per tubelet", () => {
  const model = vivit(signal, 4, { ...base, cellFilterTaps: 4 });
  const shape = (name: string) => model.getLayer(name).outputShape;
  assertEquals(shape("spatial_filters"), [null, 20, 2]);
  assertEquals(shape("cell_filters"), [null, 20, 2, 3]);
  assertEquals(shape("cell_log_power"), [null, 4, 6]);
  assertEquals(shape("spatial_bands"), [null, 4, 1, 6]);
  assertEquals(shape("tubelet_embedding"), [null, 4, 1, 8]);
  assertEquals(hasBatchNorm(model), true);
  // 64 cells x 2 spatial filters + 4 taps x 3 filters, BatchNorm over 6 bands, then the same token
  // projection as the tubelet-filter version (whose cell filters have 5 taps, one per tubelet sample)
  const plain = vivit(signal, 4, base);
  assertEquals(model.countParams() - plain.countParams(), 4 * 3 - 5 * 3 + 4 * 6 - 4 * 3);
  // band (s * 3 + f) of group g is log(1 + mean over its 5 frames of (filter f of spatial filter s)²)
  const filtered = tfl.model({ inputs: model.inputs, outputs: model.getLayer("cell_filters").output });
  const powers = tfl.model({ inputs: model.inputs, outputs: model.getLayer("cell_log_power").output });
  const x = tf.randomNormal([2, 20, 8, 8], 0, 1, "float32", 5);
  const [y, p] = [filtered.predict(x) as tf.Tensor, powers.predict(x) as tf.Tensor];
  const ys = y.arraySync() as number[][][][];
  const ps = p.arraySync() as number[][][];
  for (const [batch, g, s, f] of [[0, 0, 0, 0], [1, 3, 1, 2], [0, 2, 1, 1]]) {
    const frames = ys[batch].slice(5 * g, 5 * g + 5);
    const mean = frames.reduce((sum, frame) => sum + frame[s][f] ** 2, 0) / 5;
    assertAlmostEquals(ps[batch][g][s * 3 + f], Math.log1p(mean), 1e-4);
  }
  tf.dispose([x, y, p]);
  model.dispose();
  plain.dispose();
});

Deno.test("vivit() cellFilterTaps: 32 by default (the cross recipe's network), needs spatialFilters, no cellPower and a whole number", () => {
  assertEquals(VIVIT_DEFAULTS.cellFilterTaps, 32);
  assertThrows(() => vivit(signal, 4, { ...base, spatialFilters: 0, cellFilterTaps: 4 }), RangeError, "cellFilterTaps");
  assertThrows(() => vivit(signal, 4, { ...base, cellPower: true, cellFilterTaps: 4 }), RangeError, "cellFilterTaps");
  assertThrows(() => vivit(signal, 4, { ...base, cellFilterTaps: 1.5 }), RangeError, "cellFilterTaps");
  const model = vivit(signal, 4, { ...base, cellFilterTaps: 4 });
  const out = model.predict(tf.randomNormal([3, 20, 8, 8])) as tf.Tensor;
  assertEquals(out.shape, [3, 4]);
  tf.dispose(out);
  model.dispose();
});
