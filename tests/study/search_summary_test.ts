import { assertAlmostEquals, assertEquals } from "@std/assert";
import { runConfig } from "../../training/run_config.ts";
import { paramInfluence, spearman, summariseSearch } from "../../study/search_summary.ts";
import type { SearchSettings } from "../../tune/plan_search.ts";
import { runSearch } from "../../tune/run_search.ts";
import type { TrialRow } from "../../tune/trial_row.ts";
import { fakeRunner } from "../tune/_fake_runner.ts";

const SETTINGS: SearchSettings = {
  base: runConfig("cross", "/data", { epochs: 2 }),
  space: { learningRate: { logUniform: [1e-4, 1e-2] }, batchSize: { choice: [8, 16] } },
  strategy: "random",
  trials: 6,
  seed: 2,
  rankBy: "window",
  eta: 2,
};

function row(lr: number, batchSize: number, score: number, stage = 0): TrialRow {
  return {
    trial: `t${lr}-${batchSize}-${stage}`,
    stage,
    values: { learningRate: lr, batchSize },
    epochs: 2,
    valWindowAccuracy: score,
    valRecordingAccuracy: score,
    trainWindowAccuracy: 1,
    trainRecordingAccuracy: 1,
    epochsRun: 2,
    bestEpoch: 2,
    seconds: 1,
    status: "done",
    error: null,
  };
}

Deno.test("spearman() ranks ties by their average rank and needs three pairs", () => {
  assertEquals(spearman([1, 2, 3], [3, 2, 1]), -1);
  assertAlmostEquals(spearman([1, 1, 2, 3], [1, 2, 3, 4])!, 0.9486832980505, 1e-12);
  assertEquals(spearman([1, 2], [1, 2]), null);
  assertEquals(spearman([1, 1, 1], [1, 2, 3]), null);
});

Deno.test("paramInfluence() correlates numeric values and spreads choice means, on the first stage only", () => {
  const rows = [row(1e-4, 8, 0.3), row(1e-3, 16, 0.5), row(1e-2, 8, 0.6), row(5e-3, 16, 0.55), row(1e-2, 16, 0.9, 1)];
  const [lr, batch] = paramInfluence(SETTINGS, rows);
  assertEquals([lr.measure, lr.value], ["spearman", 1]);
  assertEquals(batch.measure, "spread");
  assertAlmostEquals(batch.value!, 0.525 - 0.45);
  assertEquals(batch.detail, "8: 0.450 (2), 16: 0.525 (2)");
});

Deno.test("summariseSearch() reads the chosen values and the final test of a search folder", async () => {
  const out = await Deno.makeTempDir();
  try {
    const fake = fakeRunner((c) => ({ window: c.learningRate * 50, recording: 0.5 }));
    const result = await runSearch(SETTINGS, { out, runner: fake.runner, log: () => {} });
    const summary = await summariseSearch(out);
    assertEquals(summary.chosen, result.best!.values);
    assertEquals(summary.trials, { planned: 6, done: 6 });
    assertEquals(Object.keys(summary.final!).sort(), ["test1", "test2", "test3", "train", "validation"]);
    assertEquals(summary.influence.find((i) => i.param === "learningRate")!.value, 1);
    assertEquals(summary.bestTrial, result.best!.trial);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
