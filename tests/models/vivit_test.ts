import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { assertEquals, assertThrows } from "@std/assert";
import { vivit, VIVIT_DEFAULTS } from "../../models/vivit.ts";

await tf.setBackend("cpu");

Deno.test("vivit() follows the documented layout on a 16 x 16 and a 20 x 20 grid", () => {
  for (const [side, nPatches] of [[16, 16], [20, 25]]) {
    const model = vivit({ nChans: 248, nTimes: 250, gridRows: side, gridCols: side }, 4);
    const shape = (name: string) => model.getLayer(name).outputShape;
    assertEquals(model.inputs[0].shape, [null, 250, side, side]);
    assertEquals(shape("tubelet_embedding"), [null, 10, nPatches, 64]);
    assertEquals(shape("spatial_1_mlp_residual"), [null, 10, nPatches, 64]);
    assertEquals(shape("group_tokens"), [null, 10, 64]);
    assertEquals(shape("temporal_1_mlp_residual"), [null, 10, 64]);
    assertEquals(shape("head_norm"), [null, 64]);
    assertEquals(shape("classifier"), [null, 4]);
    model.dispose();
  }
});

Deno.test("vivit() has one block per depth and its parameter count follows the hyper-parameters", () => {
  const model = vivit({ nChans: 64, nTimes: 20, gridRows: 8, gridCols: 8 }, 4, {
    tubelet: [5, 4, 4],
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
    () => vivit({ nChans: 256, nTimes: 250, gridRows: 18, gridCols: 16 }, 4),
    RangeError,
    "gridRows 18 is not a multiple of 4",
  );
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
    spatialDepth: 0,
    temporalDepth: 0,
  });
  assertEquals(model.outputs[0].shape, [null, 3]);
  assertEquals(model.layers.some((layer) => layer.name.endsWith("_attention")), false);
  assertEquals(JSON.stringify(VIVIT_DEFAULTS), before);
  model.dispose();
});
