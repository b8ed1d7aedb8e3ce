import { assertEquals } from "@std/assert";
import { join } from "node:path";
import { runConfig } from "../../training/run_config.ts";
import type { TrialSpec } from "../../tune/run_trial.ts";
import { readTrialRow } from "../../tune/trial_row.ts";
import { fakeSplit } from "./_fake_runner.ts";

async function withSearchDir(fn: (searchDir: string, trialDir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "megflow-trial-row-test-" });
  try {
    const trialDir = join(dir, "trials", "t1");
    await Deno.mkdir(trialDir, { recursive: true });
    await fn(dir, trialDir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const cross: TrialSpec = {
  index: 0,
  trialId: "t1",
  stage: 2,
  values: { learningRate: 0.003, units: 16 },
  // The seed project's protocol: test1 and test2 validate (written as scripts did before `validation`).
  config: runConfig("cross", "/data", { epochs: 5, validationSplits: ["Cross/test1", "Cross/test2"] }),
};
const intra: TrialSpec = { ...cross, config: runConfig("intra", "/data", { epochs: 5 }) };

function results(splits: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    splits,
    bestEpoch: 3,
    seconds: { ingest: 1, train: 10, evaluate: 1, total: 12.5 },
    ...extra,
  });
}

const EMPTY = {
  valWindowAccuracy: null,
  valRecordingAccuracy: null,
  trainWindowAccuracy: null,
  trainRecordingAccuracy: null,
  epochsRun: null,
  bestEpoch: null,
  seconds: null,
  error: null,
};

Deno.test("readTrialRow() of a trial with no folder yet is pending, with the plan's id, stage, values and epochs", async () => {
  await withSearchDir(async (searchDir) => {
    const row = await readTrialRow(searchDir, { ...cross, trialId: "never-started" });
    assertEquals(row, {
      trial: "never-started",
      stage: 2,
      values: { learningRate: 0.003, units: 16 },
      epochs: 5,
      status: "pending",
      ...EMPTY,
    });
  });
});

Deno.test("readTrialRow() of a cross-subject trial averages test1 and test2, never test3", async () => {
  await withSearchDir(async (searchDir, trialDir) => {
    await Deno.writeTextFile(
      join(trialDir, "results.json"),
      results({
        train: fakeSplit("train", 0.9, 1),
        test1: fakeSplit("Cross/test1", 0.5, 0.75),
        test2: fakeSplit("Cross/test2", 0.7, 0.25),
        test3: fakeSplit("Cross/test3", 0, 0),
      }),
    );
    await Deno.writeTextFile(join(trialDir, "metrics.jsonl"), '{"epoch":1}\n{"epoch":2}\n\n{"epoch":3}\n{"epoch":4}\n');
    const row = await readTrialRow(searchDir, cross);
    assertEquals(row.status, "done");
    assertEquals([row.valWindowAccuracy, row.valRecordingAccuracy], [0.6, 0.5]);
    assertEquals([row.trainWindowAccuracy, row.trainRecordingAccuracy], [0.9, 1]);
    assertEquals([row.epochsRun, row.bestEpoch, row.seconds, row.error], [4, 3, 12.5, null]);
  });
});

Deno.test("readTrialRow() of a cross trial with the results of only one of test1 and test2 is not done", async () => {
  await withSearchDir(async (searchDir, trialDir) => {
    for (const only of ["test1", "test2"]) {
      const splits = { train: fakeSplit("train", 0.9, 1), [only]: fakeSplit(`Cross/${only}`, 0.4, 0.5) };
      await Deno.writeTextFile(join(trialDir, "results.json"), results(splits));
      const row = await readTrialRow(searchDir, cross);
      assertEquals([row.status, row.valWindowAccuracy, row.valRecordingAccuracy], ["pending", null, null], only);
    }
    await Deno.writeTextFile(join(trialDir, "config.json"), "{}");
    assertEquals((await readTrialRow(searchDir, cross)).status, "interrupted");
  });
});

Deno.test("readTrialRow() of results with every validation split but no train split or metrics is done", async () => {
  await withSearchDir(async (searchDir, trialDir) => {
    const splits = { test1: fakeSplit("Cross/test1", 0.2, 0.25), test2: fakeSplit("Cross/test2", 0.4, 0.5) };
    await Deno.writeTextFile(join(trialDir, "results.json"), results(splits));
    const row = await readTrialRow(searchDir, cross);
    assertEquals([row.status, row.valWindowAccuracy, row.valRecordingAccuracy], ["done", (0.2 + 0.4) / 2, 0.375]);
    // No train split, no metrics.jsonl: those stay empty.
    assertEquals([row.trainWindowAccuracy, row.trainRecordingAccuracy, row.epochsRun], [null, null, 0]);
  });
});

Deno.test("readTrialRow() of results without any validation split is not done", async () => {
  await withSearchDir(async (searchDir, trialDir) => {
    await Deno.writeTextFile(join(trialDir, "results.json"), results({ test3: fakeSplit("Cross/test3", 1, 1) }));
    assertEquals((await readTrialRow(searchDir, cross)).status, "pending");
    await Deno.writeTextFile(join(trialDir, "config.json"), "{}");
    assertEquals((await readTrialRow(searchDir, cross)).status, "interrupted");
  });
});

Deno.test("readTrialRow() of an intra-subject trial reads validation.json, the held-out chunks", async () => {
  await withSearchDir(async (searchDir, trialDir) => {
    await Deno.writeTextFile(join(trialDir, "config.json"), "{}");
    await Deno.writeTextFile(
      join(trialDir, "results.json"),
      results({ train: fakeSplit("train", 1, 1), test: fakeSplit("Intra/test", 0.1, 0.1) }),
    );
    const before = await readTrialRow(searchDir, intra);
    assertEquals([before.status, before.valWindowAccuracy], ["interrupted", null]);
    await Deno.writeTextFile(join(trialDir, "validation.json"), JSON.stringify(fakeSplit("validation", 0.8, 0.75)));
    const row = await readTrialRow(searchDir, intra);
    assertEquals([row.status, row.valWindowAccuracy, row.valRecordingAccuracy], ["done", 0.8, 0.75]);
  });
});

Deno.test("readTrialRow() ranks on the validation-role split of results.json, evaluated as early stopping was (AdaBN)", async () => {
  await withSearchDir(async (searchDir, trialDir) => {
    const adapted: TrialSpec = { ...intra, config: { ...intra.config, adaptBatchNorm: true } };
    await Deno.writeTextFile(
      join(trialDir, "results.json"),
      results({
        train: { ...fakeSplit("train", 1, 1), role: "train" },
        validation: { ...fakeSplit("validation", 0.9, 1), role: "validation" },
        test: { ...fakeSplit("Intra/test", 0.1, 0.1), role: "test" },
      }),
    );
    // A validation.json of the old re-evaluation, without AdaBN: not what the run early-stopped on.
    await Deno.writeTextFile(join(trialDir, "validation.json"), JSON.stringify(fakeSplit("validation", 0.3, 0.25)));
    const row = await readTrialRow(searchDir, adapted);
    assertEquals([row.status, row.valWindowAccuracy, row.valRecordingAccuracy], ["done", 0.9, 1]);
  });
});

Deno.test("readTrialRow() of a cross-subject trial with held-out validation never averages a test split", async () => {
  await withSearchDir(async (searchDir, trialDir) => {
    const holdout: TrialSpec = { ...cross, config: runConfig("cross", "/data", { epochs: 5 }) };
    await Deno.writeTextFile(
      join(trialDir, "results.json"),
      results({
        validation: { ...fakeSplit("validation", 0.5, 0.5), role: "validation" },
        test1: { ...fakeSplit("Cross/test1", 1, 1), role: "test" },
        test2: { ...fakeSplit("Cross/test2", 1, 1), role: "test" },
        test3: { ...fakeSplit("Cross/test3", 1, 1), role: "test" },
      }),
    );
    const row = await readTrialRow(searchDir, holdout);
    assertEquals([row.status, row.valWindowAccuracy, row.valRecordingAccuracy], ["done", 0.5, 0.5]);
  });
});

Deno.test("readTrialRow() of a failed trial keeps the first line of its error, at most 300 characters", async () => {
  await withSearchDir(async (searchDir, trialDir) => {
    await Deno.writeTextFile(join(trialDir, "config.json"), "{}"); // started, then failed
    await Deno.writeTextFile(
      join(trialDir, "error.txt"),
      "RangeError: bad window\n    at trainRun (train_run.ts:1:1)\n",
    );
    const row = await readTrialRow(searchDir, cross);
    assertEquals(row, { ...row, status: "failed", error: "RangeError: bad window" });
    await Deno.writeTextFile(join(trialDir, "error.txt"), "E".repeat(1000));
    assertEquals((await readTrialRow(searchDir, cross)).error, "E".repeat(300));
  });
});

Deno.test("readTrialRow() of unreadable results is not done", async () => {
  await withSearchDir(async (searchDir, trialDir) => {
    await Deno.writeTextFile(join(trialDir, "results.json"), '{"splits": {"test1": ');
    await Deno.writeTextFile(join(trialDir, "config.json"), "{}");
    const row = await readTrialRow(searchDir, cross);
    assertEquals(row, { ...row, status: "interrupted", ...EMPTY });
  });
});
