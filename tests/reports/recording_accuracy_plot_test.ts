import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import type { RecordingMetrics } from "../../evaluation/metrics.ts";
import { recordingAccuracyPlot } from "../../reports/recording_accuracy_plot.ts";
import { rootTag, texts, tooltips } from "./_svg_content.ts";

const LABELS = ["rest", "math", "memory", "motor"];

function recording(subject: string, name: string, label: number, accuracy: number, voted: number): RecordingMetrics {
  return {
    recording: name,
    subject,
    label,
    windows: 6,
    windowAccuracy: accuracy,
    votes: [0, 0, 0, 0],
    voted,
    voteTied: false,
    meanProb: [0.25, 0.25, 0.25, 0.25],
    votedMeanProb: 0.25,
    correct: voted === label,
  };
}

const RECORDINGS = [
  recording("1", "rest_1_2.h5", 0, 0.5, 0),
  recording("1", "motor_1_1.h5", 3, 0.17, 2),
  recording("1", "rest_1_1.h5", 0, 0.83, 0),
  recording("2", "math_2_1.h5", 1, 1, 1),
];

Deno.test("recordingAccuracyPlot() draws a dot per recording, in class then name order, with its vote", async () => {
  const svg = await recordingAccuracyPlot(RECORDINGS, LABELS, { split: "Cross/test2" });
  assertStringIncludes(rootTag(svg), 'data-plot="recordings" data-split="Cross/test2"');
  assertEquals(tooltips(svg), [
    "rest_1_1.h5 (true rest): 0.83 of 6 windows correct, voted rest ✓",
    "rest_1_2.h5 (true rest): 0.50 of 6 windows correct, voted rest ✓",
    "math_2_1.h5 (true math): 1.00 of 6 windows correct, voted math ✓",
    "motor_1_1.h5 (true motor): 0.17 of 6 windows correct, voted memory ✗",
  ]);
});

Deno.test("recordingAccuracyPlot() names subjects with their right votes, the classes present, the vote key and chance", async () => {
  const shown = texts(await recordingAccuracyPlot(RECORDINGS, LABELS, { chance: 0.25 }));
  for (const text of ["1", "2/3 rec. voted right", "2", "1/1 rec. voted right", "rest", "math", "motor"]) {
    assert(shown.includes(text), text);
  }
  for (const text of ["vote correct", "vote wrong", "window accuracy", "Accuracy per recording", "chance 0.25"]) {
    assert(shown.includes(text), text);
  }
  assert(!shown.includes("memory"), "only the classes present are in the legend");
  assert(texts(await recordingAccuracyPlot([], LABELS)).includes("no recordings"));
});
