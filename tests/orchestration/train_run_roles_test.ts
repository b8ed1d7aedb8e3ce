import { assertEquals } from "@std/assert";
import { join } from "node:path";
import { writeDataset } from "../../synth/write_dataset.ts";
import { type RunConfig, runConfig } from "../../training/run_config.ts";
import { trainRun } from "../../orchestration/train_run.ts";
import type { RunResults } from "../../evaluation/metrics.ts";

const TINY_CNN = { temporalFilters: 2, separableFilters: 4, kernLength: 8 };
const STEPS = [
  { op: "resample", toHz: 125 },
  { op: "zscore" },
  { op: "window", windowSeconds: 0.5, strideSeconds: 0.5 },
] as const;
const CROSS = ["Cross/train", "Cross/test1", "Cross/test2", "Cross/test3"];

/** Small cross-subject data with 2 chunks per class and training subject (so one can be held out). */
async function crossData(dir: string, seed = 42): Promise<void> {
  await writeDataset(dir, { preset: "small", nTimes: 2048, crossTrainChunks: 2, splits: CROSS, seed });
}

/** A tiny EEGNet (it has BatchNorm, adapted per subject) on `data`. */
function tinyRun(data: string, dir: string, overrides: Partial<RunConfig> = {}): RunConfig {
  return runConfig("cross", data, {
    model: "cnn",
    modelOptions: TINY_CNN,
    epochs: 2,
    batchSize: 8,
    backend: "wasm",
    preprocess: [...STEPS],
    cacheDir: join(dir, "cache"),
    ...overrides,
  });
}

const roles = (results: RunResults) =>
  Object.fromEntries(Object.entries(results.splits).map(([key, m]) => [key, m.role]).sort());

/** The lines of metrics.jsonl without their timings: what the run chose from. */
async function choices(runDir: string): Promise<unknown[]> {
  const lines = (await Deno.readTextFile(join(runDir, "metrics.jsonl"))).trim().split("\n").map((l) => JSON.parse(l));
  return lines.map((m) => [m.epoch, m.trainLoss, m.valLoss, m.valAccuracy]);
}

Deno.test("trainRun() by default validates on held-out training chunks and reports test1-3 as test splits", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await crossData(join(dir, "data"));
    const config = tinyRun(join(dir, "data"), dir);
    const results = await trainRun(config, { runDir: join(dir, "run"), log: () => {} });
    assertEquals(roles(results), {
      test1: "test",
      test2: "test",
      test3: "test",
      train: "train",
      validation: "validation",
    });
    const saved: RunResults = JSON.parse(await Deno.readTextFile(join(dir, "run", "results.json")));
    assertEquals(roles(saved), roles(results));
    assertEquals(saved.validation, "held-out chunks of the training subjects (1 per subject and class)");
    // The validation recordings are training subjects' chunks, not in the train split.
    const validation = results.splits.validation;
    assertEquals([validation.recordings, results.splits.train.recordings], [8, 8]);
    const trainSubjects = results.splits.train.perSubject.map((s) => s.subject);
    assertEquals(validation.perSubject.map((s) => s.subject), trainSubjects);
    const trainFiles = new Set(results.splits.train.perRecording.map((r) => r.recording));
    assertEquals(validation.perRecording.some((r) => trainFiles.has(r.recording)), false);
    // The best epoch is the one of the best validation accuracy, and the validation split is
    // evaluated as early stopping validated (AdaBN included): the same window accuracy.
    const history = (await Deno.readTextFile(join(dir, "run", "metrics.jsonl"))).trim().split("\n")
      .map((l) => JSON.parse(l));
    const best = history.reduce((b, m) => (m.valAccuracy > b.valAccuracy ? m : b));
    assertEquals(results.bestEpoch, best.epoch);
    assertEquals(validation.windowAccuracy, best.valAccuracy);
    const report = await Deno.readTextFile(join(dir, "run", "report.html"));
    for (const label of ["validation", "test"]) assertEquals(report.includes(`role-${label}`), true, label);

    // Other test folders (another seed's data) change nothing the run chose: no test split is read to choose.
    await crossData(join(dir, "other"), 7);
    await Deno.remove(join(dir, "other", "Cross", "train"), { recursive: true });
    await Deno.symlink(join(dir, "data", "Cross", "train"), join(dir, "other", "Cross", "train"));
    const other = await trainRun(tinyRun(join(dir, "other"), dir), { runDir: join(dir, "run-other"), log: () => {} });
    assertEquals(await choices(join(dir, "run-other")), await choices(join(dir, "run")));
    assertEquals(other.bestEpoch, results.bestEpoch);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("trainRun() with loso and with folders labels what validated as validation, never as test", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await crossData(join(dir, "data"));
    const loso = await trainRun(tinyRun(join(dir, "data"), dir, { validation: "loso", epochs: 1 }), {
      runDir: join(dir, "loso"),
      log: () => {},
    });
    assertEquals(roles(loso), {
      test1: "test",
      test2: "test",
      test3: "test",
      train: "train",
      validation: "validation",
    });
    // Trained without the left-out subject; validated on all of its recordings.
    const [trained, left] = [loso.splits.train.perSubject, loso.splits.validation.perSubject];
    assertEquals([trained.length, left.length, loso.splits.validation.recordings], [1, 1, 8]);
    assertEquals(trained[0].subject === left[0].subject, false);
    assertEquals(loso.validation?.startsWith("leave-one-subject-out: training subject "), true);

    const folders = await trainRun(
      tinyRun(join(dir, "data"), dir, { validation: "splits", validationSplits: ["Cross/test1"], epochs: 1 }),
      { runDir: join(dir, "folders"), log: () => {} },
    );
    assertEquals(roles(folders), { test1: "validation", test2: "test", test3: "test", train: "train" });
    assertEquals(folders.splits.train.recordings, 16);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
