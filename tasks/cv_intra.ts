/**
 * `deno task cv-intra`: k-fold validation within one subject. Trains `--folds K` models on
 * Intra/train, fold `i` validating on the chunks at positions `i, i + K, ...` of every class
 * (training/chunk_folds.ts), and pools the validation over the folds: every Intra/train
 * recording is judged once by a model that did not train on it. Intra/test is never read.
 * Takes every train-intra flag but `--validation` and `--resume`.
 *
 * It also prints the folds' mean validation window accuracy after every epoch (`meanCurve` in
 * `cv.json`): the curve to read a fixed epoch count from, for a final model trained on every
 * Intra/train chunk without validation (`holdoutChunks` 0, the last epoch kept).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join, resolve } from "node:path";
import { COMMON_FLAGS, parseTrainCommand } from "./_cli.ts";
import { runMain } from "./_train_task.ts";
import { trainRun } from "../orchestration/train_run.ts";
import { writeFileAtomic } from "../core/atomic_write.ts";
import { foldValidation } from "../training/chunk_folds.ts";
import { VALIDATION_KEY } from "../training/validation_plan.ts";
import type { RunConfig } from "../training/run_config.ts";
import type { RecordingMetrics, RunResults } from "../evaluation/metrics.ts";
import type { EpochMetrics } from "../training/fit.ts";
import { LABELS } from "../core/types.ts";

/** Validation pooled over the folds. */
export interface PooledFolds {
  /** Validated windows, all folds. */
  windows: number;
  /** Correct windows / windows. */
  windowAccuracy: number;
  /** Validated recordings, all folds (each training recording once). */
  recordings: number;
  /** Recordings whose majority vote is correct / recordings. */
  recordingAccuracy: number;
  /** Per fold: window and recording accuracy of its validation. */
  perFold: Array<{ windowAccuracy: number; recordingAccuracy: number; bestEpoch: number }>;
  /** The recordings voted wrong: file, true and voted class, share of windows voting the true class. */
  missed: Array<{ recording: string; label: string; voted: string; trueShare: number }>;
}

/**
 * Pools the validation of fold runs.
 *
 * @param folds The results of every fold's run (with a `validation` split).
 * @returns The pooled accuracies and the recordings voted wrong.
 * @throws {RangeError} when a fold has no validation split.
 *
 * @example
 * ```ts
 * import { poolFolds } from "./cv_intra.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const rec = (recording: string, label: number, votes: number[]) =>
 *   ({ recording, label, votes, windows: 10, windowAccuracy: votes[label] / 10, voted: votes.indexOf(Math.max(...votes)),
 *     correct: votes.indexOf(Math.max(...votes)) === label });
 * const fold = (perRecording: unknown[]) => ({ bestEpoch: 3, splits: { validation: { perRecording } } }) as never;
 * const pooled = poolFolds([fold([rec("a", 0, [10, 0, 0, 0])]), fold([rec("b", 1, [6, 4, 0, 0])])]);
 * assertEquals([pooled.windowAccuracy, pooled.recordingAccuracy], [0.7, 0.5]);
 * assertEquals(pooled.missed, [{ recording: "b", label: "math", voted: "rest", trueShare: 0.4 }]);
 * ```
 */
export function poolFolds(folds: readonly RunResults[]): PooledFolds {
  const all: RecordingMetrics[] = [];
  const perFold = folds.map((results, i) => {
    const split = results.splits[VALIDATION_KEY];
    if (!split) throw new RangeError(`fold ${i} has no ${VALIDATION_KEY} split`);
    all.push(...split.perRecording);
    const correct = split.perRecording.filter((r) => r.correct).length;
    const windows = split.perRecording.reduce((n, r) => n + r.windows, 0);
    const right = split.perRecording.reduce((n, r) => n + r.windowAccuracy * r.windows, 0);
    return {
      windowAccuracy: windows > 0 ? right / windows : 0,
      recordingAccuracy: split.perRecording.length > 0 ? correct / split.perRecording.length : 0,
      bestEpoch: results.bestEpoch ?? 0,
    };
  });
  const windows = all.reduce((n, r) => n + r.windows, 0);
  const right = all.reduce((n, r) => n + r.windowAccuracy * r.windows, 0);
  return {
    windows,
    windowAccuracy: windows > 0 ? right / windows : 0,
    recordings: all.length,
    recordingAccuracy: all.length > 0 ? all.filter((r) => r.correct).length / all.length : 0,
    perFold,
    missed: all.filter((r) => !r.correct).map((r) => ({
      recording: r.recording,
      label: LABELS[r.label],
      voted: LABELS[r.voted],
      trueShare: r.windows > 0 ? r.votes[r.label] / r.windows : 0,
    })),
  };
}

/**
 * The mean validation window accuracy of the folds after each epoch, over the epochs every fold
 * ran (a fold stopped early ends the curve).
 *
 * @param histories Each fold's `metrics.jsonl` records, in epoch order.
 * @returns One mean per epoch, from epoch 1; empty when a fold has no validated epoch.
 *
 * @example
 * ```ts
 * import { meanCurve } from "./cv_intra.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const fold = (...acc: number[]) => acc.map((valAccuracy, i) => ({ epoch: i + 1, valAccuracy })) as never;
 * assertEquals(meanCurve([fold(0.5, 0.75, 1), fold(0.25, 0.5)]), [0.375, 0.625]);
 * ```
 */
export function meanCurve(histories: readonly (readonly EpochMetrics[])[]): number[] {
  // Epochs validated from the first: up to the first epoch without a validation accuracy.
  const validated = (h: readonly EpochMetrics[]) => {
    const missing = h.findIndex((m) => m.valAccuracy === undefined);
    return missing < 0 ? h.length : missing;
  };
  const epochs = histories.length > 0 ? Math.min(...histories.map(validated)) : 0;
  return Array.from(
    { length: epochs },
    (_, i) => histories.reduce((sum, h) => sum + h[i].valAccuracy!, 0) / histories.length,
  );
}

/**
 * The configuration of fold `fold` of `folds`: `config` validating on that fold, with no
 * test split (nothing but Intra/train is read).
 *
 * @param config The cross-validated configuration.
 * @param fold Fold index, from 0.
 * @param folds Number of folds.
 * @returns The fold's configuration.
 */
export function foldConfig(config: RunConfig, fold: number, folds: number): RunConfig {
  return { ...config, validation: foldValidation(fold, folds), validationSplits: [], testSplits: [] };
}

const USAGE = `Usage: deno task cv-intra [--folds K] [train-intra options but --validation, --resume]

  --folds K               folds over the Intra/train chunks of each class (default: 4); fold i
                          validates on chunks at positions i, i + K, ... (training/chunk_folds.ts)
  --out DIR               folder of the fold runs (fold-0, ...) and cv.json
                          (default: runs/<time>-cv-intra-<model>)

${COMMON_FLAGS}`;

/**
 * Runs the cv-intra task with command-line `args`.
 *
 * @param args Command-line arguments, e.g. `["--model", "gru", "--folds", "4"]`.
 */
export async function main(args: string[]): Promise<void> {
  const { values, tokens } = parseArgs({
    args,
    strict: false,
    tokens: true,
    options: { folds: { type: "string" }, help: { type: "boolean" } },
  });
  if (values.help) return console.log(USAGE);
  if (args.some((a) => a.startsWith("--validation") || a.startsWith("--resume"))) {
    throw new RangeError("cv-intra chooses its own validation (the folds): drop --validation and --resume");
  }
  const folds = Number(values.folds ?? 4);
  if (!Number.isInteger(folds) || folds < 2) {
    throw new RangeError(`--folds must be an integer >= 2, got ${values.folds}`);
  }
  const foldsAt = tokens.filter((t) => t.kind === "option" && t.name === "folds").map((t) => t.index);
  const rest = args.filter((_, i) => !foldsAt.some((at) => i === at || (i === at + 1 && !args[at].includes("="))));
  const command = await parseTrainCommand("intra", rest);
  const hasOut = args.some((a) => a === "--out" || a.startsWith("--out="));
  const root = hasOut ? command.runDir : resolve(command.runDir.replace(/-intra-([^/]*)$/, "-cv-intra-$1"));
  const runs: RunResults[] = [];
  for (let fold = 0; fold < folds; fold++) {
    console.error(`cv-intra: fold ${fold + 1} of ${folds}`);
    runs.push(await trainRun(foldConfig(command.config, fold, folds), { runDir: join(root, `fold-${fold}`) }));
  }
  const pooled = poolFolds(runs);
  const histories = await Promise.all(
    runs.map(async (_, fold) =>
      (await Deno.readTextFile(join(root, `fold-${fold}`, "metrics.jsonl"))).split("\n").filter((line) => line.trim())
        .map((line) => JSON.parse(line) as EpochMetrics)
    ),
  );
  const curve = meanCurve(histories);
  await Deno.mkdir(root, { recursive: true });
  await writeFileAtomic(
    join(root, "cv.json"),
    JSON.stringify({ folds, config: command.config, ...pooled, meanCurve: curve }, null, 2),
  );
  console.log(`\ncv-intra ${command.config.model}, ${folds} folds over Intra/train (Intra/test not read):`);
  pooled.perFold.forEach((f, i) =>
    console.log(
      `  fold ${i}: window acc ${f.windowAccuracy.toFixed(3)}  recording acc ${
        f.recordingAccuracy.toFixed(3)
      }  (best epoch ${f.bestEpoch})`,
    )
  );
  console.log(
    `  pooled: window acc ${pooled.windowAccuracy.toFixed(3)} (${pooled.windows} windows)  recording acc ${
      pooled.recordingAccuracy.toFixed(3)
    } (${pooled.recordings} recordings)`,
  );
  console.log(`  mean validation window acc per epoch: ${curve.map((a, i) => `${i + 1}: ${a.toFixed(3)}`).join(", ")}`);
  for (const m of pooled.missed) {
    console.log(
      `  missed ${m.recording}: ${m.label} voted ${m.voted} (${(100 * m.trueShare).toFixed(0)} % of windows right)`,
    );
  }
  console.log(`  folder: ${root} (cv.json)`);
}

if (import.meta.main) await runMain("cv-intra", () => main(Deno.args));
