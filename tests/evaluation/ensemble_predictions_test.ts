import { assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { ensemblePredictions } from "../../evaluation/ensemble_predictions.ts";
import type { PredictionRow } from "../../evaluation/metrics.ts";

function row(recording: string, startSample: number, label: number, probs: number[], split = "test3"): PredictionRow {
  return { split, subject: "7", recording, startSample, label, predicted: probs.indexOf(Math.max(...probs)), probs };
}

Deno.test("ensemblePredictions() averages each window's probabilities whatever the members' row order", () => {
  const a = [row("a.h5", 0, 0, [0.6, 0.4, 0, 0]), row("a.h5", 250, 0, [0.1, 0.9, 0, 0])];
  const b = [row("a.h5", 250, 0, [0.9, 0.1, 0, 0]), row("a.h5", 0, 0, [0.2, 0.8, 0, 0])];
  const mean = ensemblePredictions([a, b]);
  assertEquals(mean.map((r) => [r.recording, r.startSample, r.predicted]), [["a.h5", 0, 1], ["a.h5", 250, 0]]);
  assertAlmostEquals(mean[0].probs[0], 0.4);
  assertAlmostEquals(mean[1].probs[0], 0.5);
  assertEquals(a[0].probs, [0.6, 0.4, 0, 0]); // members untouched
});

Deno.test("ensemblePredictions() weighs members and keeps only the chosen splits", () => {
  const a = [row("a.h5", 0, 0, [1, 0, 0, 0]), row("t.h5", 0, 0, [1, 0, 0, 0], "train")];
  const b = [row("a.h5", 0, 0, [0, 1, 0, 0])]; // no train split: fine when train is left out
  const [only] = ensemblePredictions([a, b], { weights: [1, 3], splits: ["test3"] });
  assertEquals([only.predicted, only.probs], [1, [0.25, 0.75, 0, 0]]);
  assertEquals(ensemblePredictions([a, b], { weights: [1, 0], splits: ["test3"] })[0].predicted, 0);
});

Deno.test("ensemblePredictions() of one member is that member", () => {
  const a = [row("a.h5", 0, 2, [0.1, 0.2, 0.6, 0.1])];
  assertEquals(ensemblePredictions([a]), a);
});

Deno.test("ensemblePredictions() names what differs between members", () => {
  const a = [row("a.h5", 0, 0, [0.6, 0.4, 0, 0]), row("a.h5", 250, 0, [0.6, 0.4, 0, 0])];
  assertThrows(() => ensemblePredictions([]), RangeError, "no members");
  assertThrows(() => ensemblePredictions([a, a.slice(1)]), RangeError, "member 1 has 1 windows");
  assertThrows(
    () => ensemblePredictions([a, [a[0], row("a.h5", 500, 0, [1, 0, 0, 0])]]),
    RangeError,
    "member 1 has window test3 a.h5 at sample 500, member 0 has not",
  );
  assertThrows(
    () => ensemblePredictions([a, [a[0], a[0]]]),
    RangeError,
    "predicts window test3 a.h5 at sample 0 twice",
  );
  assertThrows(
    () => ensemblePredictions([a, [a[0], { ...a[1], label: 3 }]]),
    RangeError,
    "gives window test3 a.h5 at sample 250 label 3",
  );
  assertThrows(() => ensemblePredictions([a, [a[0], { ...a[1], probs: [1, 0] }]]), RangeError, "has 2 classes");
  assertThrows(() => ensemblePredictions([a, a], { weights: [1] }), RangeError, "1 weights for 2 members");
  assertThrows(() => ensemblePredictions([a, a], { weights: [0, 0] }), RangeError, "not all 0");
  assertThrows(() => ensemblePredictions([a, a], { weights: [-1, 2] }), RangeError, "non-negative");
});
