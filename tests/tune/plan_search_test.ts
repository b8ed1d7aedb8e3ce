import { assertEquals, assertRejects } from "@std/assert";
import { runConfig } from "../../training/run_config.ts";
import { planSearch, type SearchSettings } from "../../tune/plan_search.ts";
import type { TrialSpec } from "../../tune/run_trial.ts";
import type { TrialRow } from "../../tune/trial_row.ts";

function settings(overrides: Partial<SearchSettings> = {}): SearchSettings {
  return {
    base: runConfig("cross", "/data", { epochs: 8 }),
    space: { learningRate: { logUniform: [1e-4, 1e-2] }, dropProb: { uniform: [0, 0.5] } },
    strategy: "halving",
    trials: 8,
    seed: 3,
    rankBy: "window",
    eta: 2,
    ...overrides,
  };
}

/** Rows as if every trial had finished, scoring `score(values)` (or failed where it is NaN). */
function finishedRows(score: (values: Record<string, unknown>) => number) {
  return (trials: TrialSpec[]) =>
    Promise.resolve(trials.map((t): TrialRow => {
      const s = score(t.values);
      return {
        trial: t.trialId,
        stage: t.stage,
        values: t.values,
        epochs: t.config.epochs,
        valWindowAccuracy: Number.isNaN(s) ? null : s,
        valRecordingAccuracy: Number.isNaN(s) ? null : s,
        trainWindowAccuracy: 1,
        trainRecordingAccuracy: 1,
        epochsRun: t.config.epochs,
        bestEpoch: 1,
        seconds: 1,
        status: Number.isNaN(s) ? "failed" : "done",
        error: null,
      };
    }));
}

Deno.test("planSearch() halving advances the best half of each stage with twice the epochs", async () => {
  const score = (v: Record<string, unknown>) => v.dropProb as number; // the higher the dropout, the better
  const plan = await planSearch(settings(), finishedRows(score));
  assertEquals(plan.complete, true);
  assertEquals(plan.stages.map((s) => [s.trials.length, s.trials[0].config.epochs]), [[8, 1], [4, 2], [2, 4], [1, 8]]);
  const first = plan.stages[0].trials.map((t) => t.values.dropProb as number);
  const topFour = [...first].sort((a, b) => b - a).slice(0, 4);
  assertEquals(plan.stages[1].trials.map((t) => t.values.dropProb), topFour);
  assertEquals(plan.stages[3].trials[0].values.dropProb, topFour[0]);
});

Deno.test("planSearch() halving stops at the first unfinished stage", async () => {
  let calls = 0;
  const halfDone = (trials: TrialSpec[]) => {
    calls++;
    return finishedRows((v) => (calls === 1 ? (v.dropProb as number) : NaN))(trials).then((rows) =>
      calls === 1 ? rows : rows.map((r) => ({ ...r, status: "pending" as const }))
    );
  };
  const plan = await planSearch(settings(), halfDone);
  assertEquals([plan.stages.length, plan.complete, plan.totalStages], [2, false, 4]);
});

Deno.test("planSearch() halving ends early when every trial of a stage failed", async () => {
  const plan = await planSearch(settings(), finishedRows(() => NaN));
  assertEquals([plan.stages.length, plan.complete], [1, true]);
});

Deno.test("planSearch() random and grid searches have one stage; grid takes a seeded subset when capped", async () => {
  const pending = finishedRows(() => 0.5);
  const random = await planSearch(settings({ strategy: "random", trials: 5 }), pending);
  assertEquals([random.stages.length, random.stages[0].trials.length, random.totalStages], [1, 5, 1]);
  const space = { batchSize: { choice: [16, 32] }, dropProb: { uniform: [0, 0.5] as [number, number], steps: 3 } };
  const grid = await planSearch(settings({ strategy: "grid", trials: null, space }), pending);
  assertEquals(grid.stages[0].trials.length, 6);
  const capped = await planSearch(settings({ strategy: "grid", trials: 4, space }), pending);
  assertEquals(capped.stages[0].trials.length, 4);
  assertEquals((await planSearch(settings({ strategy: "grid", trials: 4, space }), pending)).stages, capped.stages);
  assertEquals(new Set(grid.stages[0].trials.map((t) => t.trialId)).size, 6); // distinct configs, distinct ids
});

Deno.test("planSearch() trials never evaluate the final test split", async () => {
  const plan = await planSearch(settings({ strategy: "random", trials: 2 }), finishedRows(() => 0.5));
  for (const t of plan.stages[0].trials) assertEquals(t.config.testSplits, []);
  const folders = await planSearch(
    settings({
      strategy: "random",
      trials: 1,
      base: runConfig("cross", "/data", { validation: "splits", validationSplits: ["Cross/test1", "Cross/test2"] }),
    }),
    finishedRows(() => 0.5),
  );
  // Test folders that validate are evaluated as validation, and test3 never.
  assertEquals(folders.stages[0].trials[0].config.testSplits, ["Cross/test1", "Cross/test2"]);
  const intra = await planSearch(
    settings({ strategy: "random", trials: 1, base: runConfig("intra", "/data") }),
    finishedRows(() => 0.5),
  );
  assertEquals(intra.stages[0].trials[0].config.testSplits, []);
});

Deno.test("planSearch() refuses to search epochs under halving and names unknown parameters", async () => {
  await assertRejects(
    () => planSearch(settings({ space: { epochs: { choice: [1, 2] } } }), finishedRows(() => 0)),
    RangeError,
    'remove "epochs"',
  );
  await assertRejects(
    () => planSearch(settings({ strategy: "random", space: { dropProbb: { choice: [0.1] } } }), finishedRows(() => 0)),
    RangeError,
    "Unknown parameter dropProbb",
  );
});
