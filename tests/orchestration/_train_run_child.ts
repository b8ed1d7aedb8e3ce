/**
 * A training run in its own process, for tests/orchestration/train_run_kill_test.ts:
 * `deno run -A _train_run_child.ts DATA CACHE RUN_DIR [--resume]` trains a tiny
 * GRU for 3 epochs on the small synthetic cross-subject data (dropout,
 * augmentation and mixup on: every random stream of training), logging each
 * epoch line to stderr.
 *
 * @module
 */
import { runConfig } from "../../training/run_config.ts";
import { trainRun } from "../../orchestration/train_run.ts";

const [data, cacheDir, runDir, resume] = Deno.args;
const config = runConfig("cross", data, {
  model: "gru",
  modelOptions: { units: 8, projectionUnits: 8, attentionUnits: 8, poolSize: 5 },
  epochs: 3,
  backend: "cpu",
  seed: 5,
  mixupAlpha: 0.4,
  adaptBatchNorm: false,
  preprocess: [
    { op: "resample", toHz: 125 },
    { op: "zscore" },
    { op: "window", windowSeconds: 1, strideSeconds: 0.25 },
    { op: "augment" },
  ],
  validationSplits: ["Cross/test1"],
  testSplits: ["Cross/test1"],
  cacheDir,
});
await trainRun(config, { runDir, resume: resume === "--resume", log: (line) => console.error(line) });
