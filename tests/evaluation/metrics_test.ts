import { assert, assertAlmostEquals, assertEquals, assertStringIncludes, assertThrows } from "@std/assert";
import { evaluatePredictions, type PredictionRow, trainTestGap } from "../../evaluation/metrics.ts";

/** A window whose probabilities put `p` on `predicted` and share the rest equally. */
function row(
  recording: string,
  label: number,
  predicted: number,
  options: { p?: number; split?: string; subject?: string; probs?: number[] } = {},
): PredictionRow {
  const p = options.p ?? 0.7;
  return {
    split: options.split ?? "test",
    subject: options.subject ?? "1",
    recording,
    startSample: 0,
    label,
    predicted,
    probs: options.probs ?? [0, 1, 2, 3].map((k) => (k === predicted ? p : (1 - p) / 3)),
  };
}

Deno.test("evaluatePredictions() counts windows, accuracy and the confusion matrix exactly", () => {
  const m = evaluatePredictions([
    row("a.h5", 0, 0),
    row("a.h5", 0, 0),
    row("a.h5", 0, 2),
    row("b.h5", 1, 1),
    row("b.h5", 1, 0),
    row("c.h5", 3, 3),
  ]).test;
  assertEquals(m.windows, 6);
  assertEquals(m.recordings, 3);
  assertEquals(m.subjects, 1);
  assertEquals(m.windowAccuracy, 4 / 6);
  assertEquals(m.confusion, [
    [2, 0, 1, 0],
    [1, 1, 0, 0],
    [0, 0, 0, 0],
    [0, 0, 0, 1],
  ]);
  assertEquals(m.labels, ["rest", "math", "memory", "motor"]);
});

Deno.test("evaluatePredictions() votes per recording by majority and breaks a tie by mean probability", () => {
  const m = evaluatePredictions([
    // Clear majority: 2 x math against 1 x rest, although rest is the most confident window.
    row("clear.h5", 1, 1, { p: 0.4 }),
    row("clear.h5", 1, 1, { p: 0.4 }),
    row("clear.h5", 1, 0, { p: 0.99 }),
    // Tie 1:1 between memory (0.9) and motor (0.6): memory has the higher mean probability.
    row("tie.h5", 2, 2, { p: 0.9 }),
    row("tie.h5", 2, 3, { p: 0.6 }),
    // Tie 1:1 that the mean probability decides against the truth.
    row("lost.h5", 0, 0, { p: 0.5 }),
    row("lost.h5", 0, 3, { p: 0.8 }),
  ]).test;
  const byName = Object.fromEntries(m.perRecording.map((r) => [r.recording, r]));
  assertEquals(byName["clear.h5"].votes, [1, 2, 0, 0]);
  assertEquals(byName["clear.h5"].voted, 1);
  assertEquals(byName["clear.h5"].voteTied, false);
  assertEquals(byName["tie.h5"].voted, 2);
  assertEquals(byName["tie.h5"].voteTied, true);
  assertEquals(byName["lost.h5"].voted, 3);
  assertEquals(byName["lost.h5"].correct, false);
  assertEquals(m.recordingAccuracy, 2 / 3);
  assertEquals(m.recordingConfusion[0], [0, 0, 0, 1]);
  assertEquals(m.recordingConfusion[1], [0, 1, 0, 0]);
});

Deno.test("evaluatePredictions() gives an exact tie in votes and probability to the lowest class index", () => {
  const m = evaluatePredictions([
    row("r.h5", 3, 3, { probs: [0.1, 0.1, 0.1, 0.7] }),
    row("r.h5", 3, 1, { probs: [0.1, 0.7, 0.1, 0.1] }),
  ]).test;
  assertEquals(m.perRecording[0].voted, 1);
  assertEquals(m.perRecording[0].votedMeanProb, 1);
  assertEquals(m.perRecording[0].voteTied, true);
});

Deno.test("evaluatePredictions() mean-probability vote can differ from the majority vote", () => {
  // Two weak rest windows, one very confident math window: majority says rest, mean probability says math.
  const m = evaluatePredictions([
    row("r.h5", 1, 0, { probs: [0.4, 0.3, 0.2, 0.1] }),
    row("r.h5", 1, 0, { probs: [0.4, 0.3, 0.2, 0.1] }),
    row("r.h5", 1, 1, { probs: [0.0, 1.0, 0.0, 0.0] }),
  ]).test;
  const r = m.perRecording[0];
  assertEquals(r.voted, 0);
  assertEquals(r.votedMeanProb, 1);
  assertAlmostEquals(r.meanProb[1], (0.3 + 0.3 + 1) / 3);
  assertEquals(m.recordingAccuracy, 0);
  assertEquals(m.recordingAccuracyMeanProb, 1);
});

Deno.test("evaluatePredictions() macro-F1 and balanced accuracy match hand-computed values", () => {
  // truth 0 0 0 1 1 2, predicted 0 0 1 1 2 2; class 3 absent from both and left out.
  // F1: class 0 = 2*2/(4+0+1) = 0.8, class 1 = 2/(2+1+1) = 0.5, class 2 = 2/(2+1+0) = 2/3.
  const pairs = [[0, 0], [0, 0], [0, 1], [1, 1], [1, 2], [2, 2]];
  const m = evaluatePredictions(pairs.map(([t, p], i) => row(`r${i}.h5`, t, p))).test;
  assertAlmostEquals(m.macroF1, (0.8 + 0.5 + 2 / 3) / 3, 1e-12);
  assertAlmostEquals(m.balancedAccuracy, (2 / 3 + 1 / 2 + 1) / 3, 1e-12);
  assertEquals(m.perClass[3], { label: "motor", support: 0, predicted: 0, precision: null, recall: null, f1: null });
  assertEquals(m.perClass[0].precision, 1);
  assertEquals(m.perClass[0].recall, 2 / 3);
});

Deno.test("evaluatePredictions() counts a class that is only predicted as F1 0 in the macro mean", () => {
  // truth all rest; half predicted motor. rest F1 = 2*1/(2+0+1) = 2/3, motor F1 = 0.
  const m = evaluatePredictions([row("a.h5", 0, 0), row("a.h5", 0, 3)]).test;
  assertAlmostEquals(m.macroF1, (2 / 3 + 0) / 2, 1e-12);
  assertEquals(m.balancedAccuracy, 0.5);
  assertEquals(m.perClass[3].precision, 0);
  assertEquals(m.perClass[3].recall, null);
});

Deno.test("evaluatePredictions() reports accuracy per subject and per recording", () => {
  const m = evaluatePredictions([
    row("rest_10_1.h5", 0, 0, { subject: "10" }),
    row("rest_10_1.h5", 0, 1, { subject: "10" }),
    row("task_motor_10_1.h5", 3, 3, { subject: "10" }),
    row("rest_2_1.h5", 0, 1, { subject: "2" }),
  ]).test;
  assertEquals(m.perSubject, [
    { subject: "2", windows: 1, windowAccuracy: 0, recordings: 1, recordingAccuracy: 0 },
    { subject: "10", windows: 3, windowAccuracy: 2 / 3, recordings: 2, recordingAccuracy: 1 },
  ]);
  assertEquals(m.perRecording.map((r) => [r.subject, r.recording, r.windows, r.windowAccuracy]), [
    ["2", "rest_2_1.h5", 1, 0],
    ["10", "rest_10_1.h5", 2, 0.5],
    ["10", "task_motor_10_1.h5", 1, 1],
  ]);
  assertEquals(m.subjects, 2);
});

Deno.test("evaluatePredictions() reports uniform and majority-class chance levels", () => {
  const m = evaluatePredictions([
    row("a.h5", 2, 2),
    row("a.h5", 2, 2),
    row("a.h5", 2, 2),
    row("b.h5", 0, 0),
  ]).test;
  assertEquals(m.chance, {
    uniform: 0.25,
    majorityClass: 0.75,
    majorityClassLabel: "memory",
    majorityClassRecordings: 0.5,
  });
});

Deno.test("evaluatePredictions() keeps splits apart, in order of first appearance, even with equal file names", () => {
  const m = evaluatePredictions([
    row("a.h5", 0, 0, { split: "Cross/test2" }),
    row("a.h5", 0, 1, { split: "train" }),
    row("a.h5", 0, 0, { split: "Cross/test2" }),
  ]);
  assertEquals(Object.keys(m), ["Cross/test2", "train"]);
  assertEquals(m["Cross/test2"].windows, 2);
  assertEquals(m["Cross/test2"].windowAccuracy, 1);
  assertEquals(m.train.windowAccuracy, 0);
  assertEquals(m.train.split, "train");
});

Deno.test("evaluatePredictions() output survives JSON unchanged (no NaN or undefined)", () => {
  const m = evaluatePredictions([row("a.h5", 0, 0), row("b.h5", 1, 0)]);
  assertEquals(JSON.parse(JSON.stringify(m)), m);
});

Deno.test("evaluatePredictions() returns no splits for no rows and honours custom labels", () => {
  assertEquals(evaluatePredictions([]), {});
  const m = evaluatePredictions([{ ...row("a.h5", 1, 1), probs: [0.2, 0.8] }], { labels: ["left", "right"] }).test;
  assertEquals(m.confusion, [[0, 0], [0, 1]]);
  assertEquals(m.chance.uniform, 0.5);
});

Deno.test("evaluatePredictions() rejects bad rows with messages that say what was seen", () => {
  assertThrows(
    () => evaluatePredictions([row("a.h5", 4, 0)]),
    RangeError,
    "label must be a class index in [0, 4), got 4",
  );
  assertThrows(() => evaluatePredictions([{ ...row("a.h5", 0, 0), probs: [1] }]), TypeError, "got 1");
  assertThrows(() => evaluatePredictions([{ ...row("a.h5", 0, 0), startSample: -1 }]), RangeError, "got -1");
  assertThrows(() => evaluatePredictions([{ ...row("a.h5", 0, 0), probs: [NaN, 0, 0, 1] }]), RangeError, "finite");
  assertThrows(
    () => evaluatePredictions([row("a.h5", 0, 0), row("a.h5", 1, 1)]),
    RangeError,
    "recording a.h5 in split test must have one label and one subject, got 2 labels",
  );
});

Deno.test("trainTestGap() explains a large gap on unseen subjects as subject-specific fitting", () => {
  const m = evaluatePredictions([
    ...[0, 1, 2, 3].map((k) => row(`t${k}.h5`, k, k, { split: "train", subject: "1" })),
    ...[0, 1, 2, 3].map((k) => row(`s${k}.h5`, k, 0, { split: "Cross/test3", subject: "9" })),
  ]);
  const gap = trainTestGap(m.train, m["Cross/test3"]);
  assertEquals([gap.trainAccuracy, gap.testAccuracy, gap.gap, gap.sharedSubjects], [1, 0.25, 0.75, false]);
  assertStringIncludes(gap.sentence, "train 1.00 vs Cross/test3 0.25: gap 0.75 — ");
  assertStringIncludes(gap.sentence, "subject-specific features");
  assertStringIncludes(gap.sentence, "no better than chance (0.25)");
});

Deno.test("trainTestGap() names recording-specific fitting when the test subject was trained on", () => {
  const m = evaluatePredictions([
    row("a.h5", 0, 0, { split: "Intra/train" }),
    row("b.h5", 1, 1, { split: "Intra/train" }),
    row("c.h5", 0, 0, { split: "Intra/test" }),
    row("d.h5", 1, 0, { split: "Intra/test" }),
    row("e.h5", 1, 0, { split: "Intra/test" }),
  ]);
  const gap = trainTestGap(m["Intra/train"], m["Intra/test"], { level: "recording" });
  assertEquals(gap.level, "recording");
  assert(gap.sharedSubjects);
  assertStringIncludes(gap.sentence, "other recordings of the same subject");
});

Deno.test("trainTestGap() says when held-out accuracy matches or exceeds training accuracy", () => {
  const m = evaluatePredictions([
    row("a.h5", 0, 0, { split: "train" }),
    row("a.h5", 0, 1, { split: "train" }),
    row("b.h5", 1, 1, { split: "test", subject: "2" }),
    row("c.h5", 2, 2, { split: "test", subject: "2" }),
  ]);
  assertStringIncludes(trainTestGap(m.train, m.test).sentence, "scores higher than training");
  assertStringIncludes(trainTestGap(m.test, m.test).sentence, "about as well");
  assertThrows(() => trainTestGap(m.train, m.test, { level: "file" as "window" }), RangeError, "got file");
});
