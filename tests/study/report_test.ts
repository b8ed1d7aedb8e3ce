import { assertEquals, assertStringIncludes } from "@std/assert";
import { renderStudyReport, runCounts } from "../../study/report.ts";
import type { Study } from "../../study/run_study.ts";
import { defaultStudySettings } from "../../study/study_settings.ts";
import { stat } from "../../study/summarise_study.ts";

const accuracy = (w: number[], r: number[]) => ({ window: stat(w), recording: stat(r) });

const STUDY: Study = {
  version: 1,
  settings: { ...defaultStudySettings("/data", null), models: ["cnn"], improvements: ["align"], search: null },
  startedAt: "2026-01-01T00:00:00.000Z",
  seconds: { runs: 60, searches: 0, total: 60, runsSum: 90, searchTrialsSum: 0 },
  searches: {},
  summary: {
    runs: [],
    groups: [
      {
        task: "intra",
        model: "cnn",
        variant: "baseline",
        seeds: [1, 2],
        testSplit: "test",
        test: accuracy([0.8, 0.9], [1, 1]),
        train: accuracy([1, 1], [1, 1]),
        gap: accuracy([0.2, 0.1], [0, 0]),
        splits: {},
      },
      {
        task: "cross",
        model: "cnn",
        variant: "baseline",
        seeds: [1, 2],
        testSplit: "test3",
        test: accuracy([0.4, 0.5], [0.5, 0.5]),
        meanTests: accuracy([0.45, 0.5], [0.5, 0.6]),
        train: accuracy([1, 1], [1, 1]),
        gap: accuracy([0.6, 0.5], [0.5, 0.5]),
        splits: { test1: accuracy([0.5, 0.6], [0.5, 0.75]) },
      },
    ],
    gaps: [{ model: "cnn", intra: stat([0.2, 0.1]), cross: stat([0.6, 0.5]), cause: "cnn: subject shift <dominates>" }],
    improvements: [{
      variant: "align",
      model: "cnn",
      description: 'align it (`{"op": "align"}`) <now>',
      rationale: "heads differ",
      seeds: [1, 2],
      diffTest: accuracy([0.1, 0.05], [0, 0.125]),
      diffMeanTests: accuracy([0.1, -0.02], [0, 0]),
      diffGap: stat([-0.1, 0]),
      betterSeeds: 1,
      sentence: "align helps a little",
    }],
    conclusions: ["cnn: intra 0.85 vs cross 0.45", "cnn: subject shift <dominates>"],
  },
};

Deno.test("renderStudyReport() answers b, c and d with tables and plots", async () => {
  const html = await renderStudyReport(STUDY);
  assertStringIncludes(html, '<td class="num">0.85 ± 0.07</td>'); // intra window, mean ± sd over seeds
  assertStringIncludes(html, "subject shift &lt;dominates&gt;"); // escaped
  assertStringIncludes(html, "(c) Hyper-parameters and their influence");
  assertEquals(html.match(/Not searched\./g)?.length, 2);
  assertStringIncludes(html, '<span class="up">+0.04 ± 0.08</span>'); // Δ test1-3 window of align
  assertStringIncludes(html, "all invocations: runs 1.5 min, search trials 0.0 min of training");
  assertEquals(html.match(/data-plot="accuracy-bars"/g)?.length, 4); // b: window, recording; d: absolute, differences
  assertStringIncludes(html, "1 / 2</td>"); // better seeds
  assertStringIncludes(html, "align it (<code>{&quot;op&quot;: &quot;align&quot;}</code>) &lt;now&gt;"); // code, escaped
  assertStringIncludes(html, "· 0 training runs ·");
});

Deno.test("renderStudyReport() labels a folder that chose the best epoch validation and names the test splits it averages", async () => {
  const [intra, cross] = STUDY.summary.groups;
  const held = await renderStudyReport(STUDY);
  assertStringIncludes(held, "cross: test1-3 mean");
  assertStringIncludes(held, "test1, test2 and test3 chose nothing: all three are test splits");
  const old: Study = {
    ...STUDY,
    settings: { ...STUDY.settings, validation: "Cross/test1,Cross/test2" },
    summary: {
      ...STUDY.summary,
      groups: [intra, {
        ...cross,
        meanOf: ["test3"],
        roles: { train: "train", test1: "validation", test2: "validation", test3: "test" },
      }],
    },
  };
  const html = await renderStudyReport(old);
  assertStringIncludes(html, "test1 (validation; window / recording)");
  assertStringIncludes(html, "test3 (test)");
  assertStringIncludes(html, "cross: test3 (the only test split; the others validated)");
  assertStringIncludes(html, "test1 and test2 chose (role validation)");
});

Deno.test("runCounts() tells training runs from ensembles", () => {
  const run = (id: string) => ({
    id,
    task: "cross" as const,
    model: "cnn",
    variant: "baseline",
    seed: 1,
    status: "done" as const,
    splits: {},
  });
  const study = { ...STUDY, summary: { ...STUDY.summary, runs: [run("cross-a"), run("cross-b"), run("ensembles/x")] } };
  assertEquals(runCounts(study), "2 training runs and 1 ensemble");
  assertEquals(runCounts(STUDY), "0 training runs");
});
