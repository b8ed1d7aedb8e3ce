import { assertEquals, assertStringIncludes } from "@std/assert";
import { runConfig } from "../../training/run_config.ts";
import type { RunResults, SplitMetrics } from "../../evaluation/metrics.ts";
import { influencePlot } from "../../tune/influence_plot.ts";
import type { SearchSettings } from "../../tune/plan_search.ts";
import { renderSearchReport } from "../../tune/report.ts";
import type { TrialRow } from "../../tune/trial_row.ts";

const SETTINGS: SearchSettings = {
  base: runConfig("cross", "/data", { epochs: 4 }),
  space: {
    learningRate: { logUniform: [1e-4, 1e-2] },
    dropProb: { uniform: [0.1, 0.5] },
    temporalFilters: { int: [4, 16] },
    windowSeconds: { choice: [1, 2] },
  },
  strategy: "random",
  trials: 3,
  seed: 1,
  rankBy: "window",
  eta: 2,
};

function row(trial: string, lr: number, score: number, status: TrialRow["status"] = "done"): TrialRow {
  return {
    trial,
    stage: 0,
    values: { learningRate: lr, dropProb: 0.2, temporalFilters: 8, windowSeconds: lr > 1e-3 ? 2 : 1 },
    epochs: 4,
    valWindowAccuracy: status === "done" ? score : null,
    valRecordingAccuracy: status === "done" ? score : null,
    trainWindowAccuracy: 0.9,
    trainRecordingAccuracy: 1,
    epochsRun: 4,
    bestEpoch: 3,
    seconds: 20,
    status,
    error: status === "failed" ? "RangeError: out of memory" : null,
  };
}

function split(name: string, accuracy: number): SplitMetrics {
  return {
    split: name,
    windowAccuracy: accuracy,
    recordingAccuracy: accuracy,
    macroF1: accuracy,
    windows: 16,
    recordings: 8,
  } as SplitMetrics;
}

const ROWS = [row("ta", 1e-4, 0.4), row("tb", 3e-3, 0.7), row("tc", 5e-4, 0, "failed")];
const FINAL = {
  backend: "wasm",
  bestEpoch: 4,
  seconds: { ingest: 1, train: 10, evaluate: 2, total: 13 },
  splits: {
    train: split("train", 0.95),
    test1: split("Cross/test1", 0.7),
    test2: split("Cross/test2", 0.6),
    test3: split("Cross/test3", 0.55),
  },
} as unknown as RunResults;

Deno.test("renderSearchReport() labels test folders that ranked the trials validation, never test", async () => {
  const settings = {
    ...SETTINGS,
    base: runConfig("cross", "/data", { validationSplits: ["Cross/test1", "Cross/test2"] }),
  };
  const html = await renderSearchReport({ settings, rows: ROWS, best: ROWS[1], final: FINAL });
  const roleOf = (key: string) => html.match(new RegExp(`<td>${key}</td><td>([a-z]+) `))?.[1];
  assertEquals(["train", "test1", "test2", "test3"].map(roleOf), ["train", "validation", "validation", "test"]);
});

Deno.test("renderSearchReport() draws one influence plot per hyper-parameter", async () => {
  const html = await renderSearchReport({ settings: SETTINGS, rows: ROWS, best: ROWS[1], final: FINAL });
  const params = [...html.matchAll(/data-plot="influence" data-param="([^"]+)"/g)].map((m) => m[1]);
  assertEquals(params, ["learningRate", "dropProb", "temporalFilters", "windowSeconds"]);
});

Deno.test("renderSearchReport() highlights the best trial and shows the final test on test1-3", async () => {
  const html = await renderSearchReport({ settings: SETTINGS, rows: ROWS, best: ROWS[1], final: FINAL });
  assertEquals(html.match(/<tr class="best">/g)?.length, 1);
  assertStringIncludes(html, '<tr class="best"><td><code>tb</code>');
  // Ringed in every influence plot: one item in the layer named "best", its tooltip saying so.
  assertEquals(html.match(/role-mark best_marks"[^>]*><path aria-label="tb: [^"]*\(best\)"/g)?.length, 4);
  // Held-out validation (the default): test1, test2 and test3 are all tests.
  for (const accuracy of ["0.700", "0.600", "0.550"]) {
    assertStringIncludes(
      html,
      `test (never used to choose)</td><td class="num">8</td><td class="num">16</td><td class="num">${accuracy}`,
    );
  }
  assertStringIncludes(html, "held-out chunks of the training subjects");
  assertStringIncludes(html, "failed: RangeError: out of memory");
});

Deno.test("renderSearchReport() says when nothing has finished or nothing was retrained", async () => {
  const html = await renderSearchReport({ settings: SETTINGS, rows: [row("ta", 1e-4, 0, "pending")] });
  assertStringIncludes(html, "No trial has finished yet");
  assertStringIncludes(html, "has not been retrained");
  assertEquals(html.match(/>no finished trial<\/text>/g)?.length, 4);
});

Deno.test("influencePlot() uses a log axis for log-uniform parameters and categories for choices", async () => {
  const points = [{ value: 1e-4, score: 0.4, trial: "a" }, { value: 1e-2, score: 0.6, trial: "b" }];
  const log = await influencePlot("learningRate", points, { kind: "logUniform" });
  assertStringIncludes(log, "learningRate (log scale)");
  for (const tick of [">1e-4<", ">0.001<", ">0.01<"]) assertStringIncludes(log, tick);
  const linear = await influencePlot("learningRate", points, { kind: "uniform" });
  assertStringIncludes(linear, "(linear scale)");
  const strip = await influencePlot("act", [{ value: "elu", score: 0.5, trial: "a" }], {
    kind: "choice",
    categories: ["relu", "elu"],
  });
  assertStringIncludes(strip, ">relu</text>");
  assertStringIncludes(strip, "(choice, jittered sideways)");
});
