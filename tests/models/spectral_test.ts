import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { assertEquals, assertThrows } from "@std/assert";
import { spectral } from "../../models/spectral.ts";

await tf.setBackend("cpu");

Deno.test("spectral() is a standardised MLP over the flattened [nChans, nBands] features", () => {
  const model = spectral({ nChans: 248, nTimes: 5 }, 4);
  assertEquals(model.layers.map((layer) => layer.name), [
    "band_powers",
    "flatten",
    "standardise",
    "input_dropout",
    "hidden",
    "hidden_dropout",
    "classifier",
  ]);
  assertEquals(model.getLayer("hidden").outputShape, [null, 32]);
  model.dispose();
});

Deno.test("spectral({ hiddenUnits: 0 }) is a logistic regression: 4 x features + bias weights after the standardisation", () => {
  const model = spectral({ nChans: 10, nTimes: 5 }, 4, { hiddenUnits: 0 });
  assertEquals(model.countParams(), 4 * 50 + 50 * 4 + 4);
  assertEquals(model.layers.some((layer) => layer.name === "hidden"), false);
  model.dispose();
});

Deno.test("spectral() rejects bad options naming the option", () => {
  assertThrows(() => spectral({ nChans: 4, nTimes: 5 }, 4, { hiddenUnits: -1 }), RangeError, "hiddenUnits");
  assertThrows(() => spectral({ nChans: 4, nTimes: 5 }, 4, { l2: -1 }), RangeError, "l2");
  assertThrows(() => spectral({ nChans: 4, nTimes: 5 }, 1), RangeError, "nOutputs");
});
