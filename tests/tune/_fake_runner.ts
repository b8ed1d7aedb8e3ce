/**
 * Test helper: a trial runner that writes the files of a finished run without
 * training, with validation accuracies computed from the configuration.
 *
 * @module
 */
import { join } from "node:path";
import type { RunConfig } from "../../pipeline/run_config.ts";
import type { TrialRunnerOptions } from "../../tune/run_trial.ts";

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

/** A runner that counts its calls and writes config.json, metrics.jsonl, results.json (and validation.json). */
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
    const splits: Record<string, unknown> = { train: fakeSplit("train", 0.9, 1) };
    for (const s of config.testSplits) splits[s.split("/").pop()!] = fakeSplit(s, window, recording);
    if (config.validationSplits.length === 0) {
      await Deno.writeTextFile(
        join(options.runDir, "validation.json"),
        JSON.stringify(fakeSplit("validation", window, recording)),
      );
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
    await Deno.writeTextFile(join(options.runDir, "results.json"), JSON.stringify(results));
  };
  return { runner, calls };
}
