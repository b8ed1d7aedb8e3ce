/**
 * Test helper: a trial runner that writes the files of a finished run without
 * training, with validation accuracies computed from the configuration.
 *
 * @module
 */
import { join } from "node:path";
import type { PredictionRow } from "../../evaluation/metrics.ts";
import { predictionsToCsv } from "../../evaluation/predictions_csv.ts";
import type { RunConfig } from "../../training/run_config.ts";
import { type TrialRunnerOptions, validatesOnHoldout } from "../../tune/run_trial.ts";
import { roleOfSplit } from "../../training/validation_plan.ts";

/** Accuracy a fake run reports for a config. */
export type FakeScore = (config: RunConfig) => { window: number; recording: number };

/** Split metrics with the fields the tune and study modules read. */
export function fakeSplit(name: string, window: number, recording: number, subject = name) {
  return {
    split: name,
    windowAccuracy: window,
    recordingAccuracy: recording,
    macroF1: window,
    windows: 10,
    recordings: 4,
    subjects: 1,
    perSubject: [{ subject, windows: 10, windowAccuracy: window, recordings: 4, recordingAccuracy: recording }],
    chance: { uniform: 0.25, majorityClass: 0.25, majorityClassLabel: "rest", majorityClassRecordings: 0.25 },
  };
}

/**
 * Predictions of a fake run: per split, one recording per class with 3 windows;
 * a run with seed s gets window j of class k wrong when (j + k + s) % 3 is 0,
 * so every run has 2/3 of the windows right and an ensemble of three
 * consecutive seeds has all of them right.
 */
export function fakePredictions(splits: readonly string[], seed: number): PredictionRow[] {
  const rows: PredictionRow[] = [];
  for (const split of splits) {
    for (let k = 0; k < 4; k++) {
      for (let j = 0; j < 3; j++) {
        const predicted = (j + k + seed) % 3 === 0 ? (k + 1) % 4 : k;
        const probs = [0, 1, 2, 3].map((c) => (c === predicted ? 0.7 : 0.1));
        rows.push({ split, subject: split, recording: `r${k}.h5`, startSample: 250 * j, label: k, predicted, probs });
      }
    }
  }
  return rows;
}

/**
 * A runner that counts its calls and writes config.json, metrics.jsonl,
 * results.json, predictions.csv ({@linkcode fakePredictions}; not matching the
 * score), each split with its role as `trainRun` writes it.
 */
export function fakeRunner(score: FakeScore) {
  const calls: Array<{ config: RunConfig; resume: boolean; runDir: string }> = [];
  const runner = async (config: RunConfig, options: TrialRunnerOptions): Promise<void> => {
    calls.push({ config, resume: options.resume, runDir: options.runDir });
    const { window, recording } = score(config);
    await Deno.mkdir(options.runDir, { recursive: true });
    await Deno.writeTextFile(join(options.runDir, "config.json"), JSON.stringify(config));
    const epochs = Array.from(
      { length: config.epochs },
      (_, i) => JSON.stringify({ epoch: i + 1, valAccuracy: window }),
    );
    await Deno.writeTextFile(join(options.runDir, "metrics.jsonl"), epochs.join("\n") + "\n");
    // As trainRun writes them: every split with its role; validation drawn from the training
    // folders (held-out chunks, a left-out subject) under the key "validation".
    const splits: Record<string, unknown> = { train: { ...fakeSplit("train", 0.9, 1), role: "train" } };
    if (validatesOnHoldout(config)) {
      splits.validation = { ...fakeSplit("validation", window, recording), role: "validation" };
    }
    for (const s of config.testSplits) {
      const key = s.split("/").pop()!;
      splits[key] = { ...fakeSplit(s, window, recording), role: roleOfSplit(key, undefined, config) };
    }
    const results = {
      task: config.task,
      model: config.model,
      backend: "fake",
      splits,
      seconds: { ingest: 0, train: 1, evaluate: 0, total: 1 },
      trainWindowsPerSecond: 1,
      peakRssMB: 1,
      bestEpoch: config.epochs,
    };
    await Deno.writeTextFile(
      join(options.runDir, "predictions.csv"),
      predictionsToCsv(fakePredictions(Object.keys(splits), config.seed)),
    );
    await Deno.writeTextFile(join(options.runDir, "results.json"), JSON.stringify(results));
  };
  return { runner, calls };
}
