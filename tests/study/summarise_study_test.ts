import { assertAlmostEquals, assertEquals, assertStringIncludes } from "@std/assert";
import type { RunResults } from "../../evaluation/metrics.ts";
import { runConfig } from "../../training/run_config.ts";
import { stat, type StudyRun, summariseStudy } from "../../study/summarise_study.ts";
import { fakeSplit } from "../tune/_fake_runner.ts";

function results(splits: Record<string, [number, number]>): RunResults {
  return {
    task: "x",
    model: "x",
    backend: "fake",
    splits: Object.fromEntries(
      Object.entries(splits).map(([k, [w, r]]) => [k, fakeSplit(k, w, r, k === "train" ? "1" : k)]),
    ),
    seconds: { ingest: 0, train: 1, evaluate: 0, total: 1 },
    trainWindowsPerSecond: 1,
    peakRssMB: 1,
    bestEpoch: 2,
  } as unknown as RunResults;
}

function run(task: "intra" | "cross", model: string, variant: string, seed: number, r?: RunResults): StudyRun {
  return {
    id: `${task}-${model}-${variant}-s${seed}`,
    label: { task, model, variant, seed },
    config: runConfig(task, "/d"),
    results: r,
  };
}

const cross = (test: number, train = 0.9) =>
  results({ train: [train, 1], test1: [test + 0.1, test], test2: [test - 0.1, test], test3: [test, test] });

const RUNS: StudyRun[] = [
  run("intra", "cnn", "baseline", 1, results({ train: [0.95, 1], test: [0.85, 1] })),
  run("intra", "cnn", "baseline", 2, results({ train: [0.95, 1], test: [0.75, 0.75] })),
  run("cross", "cnn", "baseline", 1, cross(0.4)),
  run("cross", "cnn", "baseline", 2, cross(0.5)),
  run("cross", "cnn", "align", 1, cross(0.5)),
  run("cross", "cnn", "align", 2, cross(0.55)),
  run("cross", "cnn", "augment", 1, cross(0.3)),
  run("cross", "cnn", "augment", 2), // failed
];

Deno.test("stat() gives the mean and the sample standard deviation", () => {
  const s = stat([0.4, 0.5, 0.6]);
  assertAlmostEquals(s.mean, 0.5);
  assertAlmostEquals(s.sd!, 0.1);
  assertEquals(stat([0.3]).sd, null);
});

Deno.test("summariseStudy() averages each model and setting over seeds", () => {
  const { groups } = summariseStudy(RUNS);
  const intra = groups.find((g) => g.task === "intra")!;
  assertEquals([intra.testSplit, intra.seeds], ["test", [1, 2]]);
  assertAlmostEquals(intra.test.window.mean, 0.8);
  assertAlmostEquals(intra.test.recording.mean, 0.875);
  const crossBase = groups.find((g) => g.task === "cross" && g.variant === "baseline")!;
  assertEquals(crossBase.testSplit, "test3");
  assertAlmostEquals(crossBase.test.window.mean, 0.45);
  assertAlmostEquals(crossBase.meanTests!.window.mean, 0.45); // (t+0.1 + t-0.1 + t) / 3 = t
  assertAlmostEquals(crossBase.gap.window.mean, 0.45);
  assertEquals(groups.find((g) => g.variant === "augment")!.seeds, [1]);
});

Deno.test("summariseStudy() blames subject shift when the cross-subject gap is much larger", () => {
  const { gaps, conclusions } = summariseStudy(RUNS);
  assertEquals(gaps.map((g) => g.model), ["cnn"]);
  assertAlmostEquals(gaps[0].intra!.mean, 0.15);
  assertAlmostEquals(gaps[0].cross!.mean, 0.45);
  assertStringIncludes(gaps[0].cause, "subject shift");
  assertStringIncludes(conclusions[0], "cnn: intra-subject 0.80 ± 0.07 per window");
});

Deno.test("summariseStudy() blames subject shift when an unseen subject scores much lower, even with equal gaps", () => {
  const runs = [
    run("intra", "cnn", "baseline", 1, results({ train: [0.95, 1], test: [0.6, 0.75] })),
    run("cross", "cnn", "baseline", 1, cross(0.25, 0.6)),
  ];
  const [gap] = summariseStudy(runs).gaps;
  assertAlmostEquals(gap.intra!.mean, 0.35);
  assertAlmostEquals(gap.cross!.mean, 0.35);
  assertStringIncludes(gap.cause, "train 0.95 vs test 0.60 within one subject (gap 0.35)");
  assertStringIncludes(gap.cause, "A new subject costs 0.35 of test accuracy");
  assertStringIncludes(gap.cause, "overfitting to the training recordings");
  // Same gaps without the drop in test accuracy: overfitting in both settings.
  const overfit = [runs[0], run("cross", "cnn", "baseline", 1, cross(0.55, 0.9))];
  assertStringIncludes(summariseStudy(overfit).gaps[0].cause, "Both gaps are large and similar");
});

Deno.test("summariseStudy() calls a model that has not learned within one subject underfitting, not subject shift", () => {
  const runs = [
    run("intra", "vivit", "baseline", 1, results({ train: [0.27, 0.25], test: [0.25, 0.25] })),
    run("cross", "vivit", "baseline", 1, cross(0.15, 0.42)),
  ];
  const [gap] = summariseStudy(runs).gaps;
  assertStringIncludes(gap.cause, "has not learned the task (training accuracy 0.27, chance 0.25): it underfits");
  assertEquals(gap.cause.includes("subject shift:"), false);
});

Deno.test("summariseStudy() compares each improvement with the baseline of the same seed", () => {
  const { improvements } = summariseStudy(RUNS);
  const align = improvements.find((i) => i.variant === "align")!;
  assertEquals(align.seeds, [1, 2]);
  assertEquals(align.diffMeanTests.window.values.map((v) => Math.round(v * 100) / 100), [0.1, 0.05]);
  assertEquals(align.betterSeeds, 2);
  assertStringIncludes(align.sentence, "+0.07 ± 0.04 window accuracy on test1-3");
  const augment = improvements.find((i) => i.variant === "augment")!;
  assertEquals([augment.seeds, augment.betterSeeds], [[1], 0]); // seed 2 failed: no pair
  assertAlmostEquals(augment.diffGap.mean, 0.1);
});

Deno.test("summariseStudy() records failed runs and per-run gap sentences", () => {
  const { runs } = summariseStudy(RUNS);
  assertEquals(runs.filter((r) => r.status === "failed").map((r) => r.id), ["cross-cnn-augment-s2"]);
  assertStringIncludes(runs[2].gap!.sentence, "train 0.90 vs test3 0.40: gap 0.50");
});

Deno.test("summariseStudy() never averages a validation split into the test mean or an improvement's delta", () => {
  // Runs of the old protocol: test1 and test2 chose the best epoch, test3 alone is a test.
  const folders = { validationSplits: ["Cross/test1", "Cross/test2"] };
  // Validation accuracy far above the test's (it was chosen on): averaged in, it would lift the means.
  const skewed = (test: number, seed: number) => {
    const r = cross(test);
    r.splits.test1 = { ...r.splits.test1, windowAccuracy: 0.99, recordingAccuracy: 1 };
    r.splits.test2 = { ...r.splits.test2, windowAccuracy: 0.9 + seed / 100, recordingAccuracy: 1 };
    return r;
  };
  const old = (variant: string, seed: number, test: number): StudyRun => ({
    ...run("cross", "cnn", variant, seed, skewed(test, variant === "align" ? seed : 0)),
    config: runConfig("cross", "/d", folders),
  });
  // Results written with roles say so themselves, whatever the config.
  const withRoles = (variant: string, seed: number, test: number): StudyRun => {
    const r = skewed(test, variant === "align" ? seed : 0);
    for (const k of ["test1", "test2"]) r.splits[k] = { ...r.splits[k], role: "validation" };
    r.splits.test3 = { ...r.splits.test3, role: "test" };
    return run("cross", "cnn", variant, seed, r);
  };
  for (const make of [old, withRoles]) {
    const summary = summariseStudy([
      make("baseline", 1, 0.4),
      make("baseline", 2, 0.5),
      make("align", 1, 0.5),
      make("align", 2, 0.55),
    ]);
    const base = summary.groups.find((g) => g.variant === "baseline")!;
    assertEquals(base.meanOf, ["test3"]);
    // Only test3 counts.
    assertAlmostEquals(base.meanTests!.window.mean, 0.45);
    assertAlmostEquals(base.meanTests!.recording.mean, 0.45);
    const roles = base.roles!;
    assertEquals([roles.test1, roles.test2, roles.test3], ["validation", "validation", "test"]);
    const align = summary.improvements.find((i) => i.variant === "align")!;
    assertEquals(align.meanOf, ["test3"]);
    assertAlmostEquals(align.diffMeanTests.window.mean, 0.075);
    assertStringIncludes(align.sentence, "on test3 (the only test split; the others validated)");
    assertEquals(summary.runs[0].splits.test1.role, "validation");
  }
  // With the default held-out validation the three folders are tests and all count.
  const { groups } = summariseStudy([run("cross", "cnn", "baseline", 1, cross(0.4))]);
  assertEquals(groups[0].meanOf, ["test1", "test2", "test3"]);
});
