/**
 * Training recipes: the settings that suit each registered model, layered between the
 * shared defaults (`RUN_DEFAULTS`) and what a user overrides. `runConfig(task, data,
 * { model: "gru" })` starts from the gru recipe; any flag or `--config` key still wins,
 * and `config.json` records the resolved values, so a run is reproduced without the recipe.
 *
 * A recipe is chosen on validation accuracy (held-out chunks of the training folders),
 * never on a test split; its `why` says what was measured, with the command.
 *
 * @module
 */
import type { RunConfig } from "./run_config.ts";

/**
 * The settings a recipe may set: how to train, never what data or splits. `holdoutChunks` 0
 * (an intra recipe's final model fitted on every training chunk for a fixed number of epochs,
 * the last one kept) is the one validation setting, for an epoch count chosen on `deno task
 * cv-intra`; `--config` with `{"holdoutChunks": 1}` validates on a held-out chunk again.
 */
export type RecipeSettings = Pick<
  RunConfig,
  | "modelOptions"
  | "epochs"
  | "batchSize"
  | "learningRate"
  | "schedule"
  | "warmupEpochs"
  | "patience"
  | "preprocess"
  | "adaptBatchNorm"
  | "mixupAlpha"
  | "labelSmoothing"
  | "weightDecay"
  | "testTimeAdaptation"
  | "shuffleBuffer"
  | "holdoutChunks"
  | "weightAverage"
>;

/** One model's recipe. */
export interface ModelRecipe {
  /** Why these settings: what was measured (validation numbers) and the command that measured it. */
  why: string;
  /** Settings for both tasks. */
  settings: Partial<RecipeSettings>;
  /** Settings of the cross-subject task only (over `settings`). */
  cross?: Partial<RecipeSettings>;
  /** Settings of the intra-subject task only (over `settings`). */
  intra?: Partial<RecipeSettings>;
}

/**
 * The shared preprocessing with stronger augmentation (sensor dropout 0.25, gain jitter 0.3, noise
 * 0.2 instead of the shared defaults' 0.1 / 0.05 / 0.1; the same time shift): chosen for tsa's
 * cross-subject recipe in session 16, and for gru's and vivit's in session 17 (each on loso, see
 * their `why`), a new array for each recipe.
 */
function strongAugmentPreprocess(): RunConfig["preprocess"] {
  return [
    { op: "resample", toHz: 125 },
    { op: "zscore", mode: "recording" },
    { op: "window", windowSeconds: 2, strideSeconds: 1 },
    { op: "augment", sensorDropProb: 0.25, gainStd: 0.3, noiseStd: 0.2 },
  ];
}

/**
 * The recipe of every model that has one; a model without an entry trains with the shared
 * defaults.
 */
export const MODEL_RECIPES: Readonly<Record<string, ModelRecipe>> = {
  cnn: {
    why: "The shared defaults (RUN_DEFAULTS) were chosen for EEGNet; see docs/accuracy.md. Within one subject " +
      "without augmentation, chosen on train-intra's held-out Intra/train chunks (no test split evaluated: " +
      '`--config` with `"testSplits": []`), `--max-samples 20000`, 2026-12-06, window accuracy for seeds 1 / 2: ' +
      "the shared defaults (augmented) 0.625 / 0.875 (seed 3: 1.000 for both, run after the choice); `--no-augment` 0.734 / 1.000; gru's regularisation " +
      "(`--epochs 20 --mixup 0.2 --weight-decay 0.01`) 0.453 (seed 1); `--lr 3e-3` 0.625 / 0.859 (seeds 1, 2) " +
      "(`deno task train-intra --model cnn --seed S --max-samples 20000 --config F ...`, docs/models.md). " +
      "Augmented, EEGNet (5604 weights) underfits one subject's 28 recordings (training accuracy 0.7-0.8); without " +
      "augmentation it fits them. Test splits chose nothing; outcome (Intra/test, seeds 1-3, docs/models.md): " +
      "0.96 / 0.75 / 0.88 per window, 1.00 / 0.75 / 0.88 per recording (seed 1 augmented: 0.67 / 0.62). " +
      "Since session 18 (2026-12-06) intra trains with the shared augmentation for 40 epochs on all 8 Intra/train " +
      "chunks per class, no held-out validation, the last epoch kept (`holdoutChunks` 0), chosen on `deno task " +
      "cv-intra` (the `intra` comment below, docs/models.md): 4 folds judge all 32 training recordings, where the one " +
      "held-out chunk per class above judged 4 (it validated seeds 2 and 3 at 0.98 / 1.00, which then missed 2 and 1 " +
      "Intra/test recordings). Test splits chose nothing; outcome after the choice (`nice -n 5 /usr/bin/time -v deno " +
      "task train-intra --model cnn --seed S`, seeds 1-3, docs/models.md): Intra/test 0.952 / 0.871 / 0.903 per " +
      "window (0.909 ± 0.041), every recording right on every seed: issue 11's intra bar is met.",
    settings: {},
    // Session 18, chosen on `deno task cv-intra --model cnn --seed S --max-samples 20000 --folds 4 --epochs E
    // --patience E --config F [flags]` (4 folds over the Intra/train chunks, every training recording judged once,
    // Intra/test not read; F: the steps and `"testSplits": []`; docs/models.md). Recordings voted wrong of 32 /
    // pooled window accuracy at the last epoch (what a refit keeps: each fold's last checkpoint evaluated on its
    // held-out chunks), seed 42: the shared augmentation, 40 epochs (this recipe) 6 / 0.762; the session-16 steps
    // without augmentation, 60 epochs 10 / 0.650, and at lr 3e-3, 30 epochs 8 / 0.713; seed 4, this recipe 9 /
    // 0.756 (session 16, seed 2, without augmentation, 30 epochs, each fold's best epoch: 9 / 0.664). Without
    // augmentation EEGNet fits its training chunks (training accuracy 1.00) and a fold can fall to chance on its
    // held-out ones (seed 42, fold 0: 0.66 at epoch 17, 0.33 at epoch 60; augmented 0.79 at epoch 40). Augmented,
    // the folds' mean curve rises to epoch ~25-30 and stays flat to 40 (last epoch within 0.015 of its best on both
    // seeds), so the final model trains 40 epochs on all 8 chunks per class (`holdoutChunks` 0, the last epoch
    // kept), as gru's: the shared steps (augmentation included), windows every 0.5 s (INTRA_STRIDE_SECONDS).
    intra: { epochs: 40, holdoutChunks: 0 },
  },
  gru: {
    why: "Chosen on leave-one-subject-out validation (`--validation loso`: train on one Cross/train subject, " +
      "validate on every recording of the other, AdaBN on; no test split evaluated: `--config` with " +
      '`"testSplits": []`), `--max-samples 20000`, 2026-12-06, window accuracy (left out 164636 / 113922): ' +
      "the previous recipe (per-subject alignment, lr 3e-3, 8 epochs, chosen on held-out chunks) 0.266 / 0.316 " +
      '(0.318 on full recordings, left out 164636); + EEGNet\'s front end (`stem: "temporalSpatial"`) with that ' +
      "recipe 0.316 / 0.289 (0.271 full); the front end without alignment, lr 1e-3, 20 epochs (this recipe) " +
      "0.449 / 0.453, best epochs 13 / 18 (`deno task train-cross --model gru --validation loso --max-samples 20000 --epochs 20 --lr 1e-3 " +
      "--model-options M --config F`, M: these modelOptions, F: the shared preprocessing and no test splits); the same without the front end 0.258 (left out 164636). " +
      "Test splits chose nothing. Cross-subject only, since 2026-12-06 (session 14, same command and folds, " +
      "docs/models.md): 30 epochs (EEGNet's) with label smoothing 0.1, 0.500 / 0.496 against this recipe's 0.449 / 0.453 " +
      "(30 epochs alone 0.469 / 0.492, smoothing alone 0.465 / 0.461; no mixup or weight decay 0.449, poolSize 5 0.410, " +
      "dropout 0.5 0.383, stemFilters 16 0.320, left out 164636). Intra keeps 20 epochs, no smoothing: on train-intra's held-out Intra/train chunks (seeds 1-3, `deno task " +
      "train-intra --model gru --seed S --config F --epochs 30 --label-smoothing 0.1`) the cross recipe reached 0.548 / 0.798 / " +
      "0.960 against 0.532 / 0.806 / 0.960, within noise (docs/models.md). " +
      "Cross-subject since session 17 (2026-12-06): tsa's stronger augmentation (sensor dropout 0.25, gain jitter 0.3, " +
      "noise 0.2; the shared defaults are 0.1 / 0.05 / 0.1), chosen for robustness to the random draw (seed 1 of the " +
      "session-16 code left test3 at 0.23) on the best worst fold over both left-out subjects and seeds 42, 2 and 3 " +
      "(`nice -n 5 deno task train-cross --model gru --validation loso:S --max-samples 20000 --config F --seed N " +
      '[flags]`, F: `{"testSplits": []}` [+ these preprocess steps]; shared machine, load 1.3-7), window accuracy of ' +
      "the left-out subject 164636 / 113922 for seeds 42, 2, 3: the session-14 recipe 0.477 / 0.441, 0.438 / 0.480, " +
      "0.387 / 0.418 (mean 0.440, worst 0.387); this recipe 0.426 / 0.457, 0.465 / 0.480, 0.414 / 0.457 (mean 0.450, " +
      "worst 0.414); `--label-smoothing 0.2` 0.473 / 0.469, 0.445 / 0.492, 0.406 / 0.441 (0.454, worst 0.406: as good " +
      "within noise); `--weight-average 0.7` (an average of the weights over epochs) 0.465 / 0.449, 0.434 / 0.449, " +
      "0.391 / 0.410 (0.433, worst 0.391); GRU `units` 32 0.520 / 0.508, 0.492 / 0.500, 0.418 / 0.363 (0.467, worst " +
      "0.363); `units` 16 0.371 (164636, seed 42); `--lr 2e-3` 0.309 / 0.477 (seed 3; stopped at epoch 14). Seed 3 is a " +
      "slow-fit draw for every candidate (docs/models.md). Test splits chose nothing. Outcome after the choice " +
      "(`deno task train-cross --model gru --seed S`, seeds 1-3): test1-3 0.474 / 0.406 / 0.482 = 0.454 ± 0.042 " +
      "(session 16: 0.37 / 0.50 / 0.51); seed 1's test3 0.35 (was 0.23), but seed 2's test2 0.258 (33 of 128 windows, " +
      "chance 32): above 0.25 by one window, so still not robust to the draw. " +
      "Since session 17 intra trains 40 epochs on all 8 Intra/train chunks per class, no held-out validation, the " +
      "last epoch kept (`holdoutChunks` 0), chosen on `deno task cv-intra` (the `intra` comment below, docs/models.md).",
    settings: {
      modelOptions: { projectionNorm: true, projectionUnits: 32, projectionDropout: 0.3, stem: "temporalSpatial" },
      epochs: 20,
      learningRate: 1e-3,
      weightDecay: 0.01,
      mixupAlpha: 0.2,
    },
    cross: {
      epochs: 30,
      labelSmoothing: 0.1,
      // Since session 17 (chosen on loso, 3 seeds x 2 folds, see `why`): tsa's stronger augmentation.
      preprocess: strongAugmentPreprocess(),
    },
    // Session 17, chosen on `deno task cv-intra` (4 folds over the Intra/train chunks, every training recording
    // judged once, Intra/test not read; docs/models.md): 40 epochs against 20, at `--max-samples 20000`,
    // recordings voted wrong of 32 / pooled window accuracy at each fold's best epoch, seeds 1 / 2: 4 / 0.791
    // and 3 / 0.730 against 9 / 0.639 and 4 / 0.697; at the last epoch (what a refit keeps) 0.752 / 0.697 against
    // 0.627 / 0.674. The folds' mean curve is flat from epoch ~20 to 40 (last epoch within 0.012 of its best), so
    // the final model trains on all 8 chunks per class (`holdoutChunks` 0: no held-out validation, the last epoch
    // kept) rather than choosing an epoch on one held-out chunk per class (4 recordings). Tried and lost (seed 2,
    // 20 epochs): no mixup or weight decay 6 / 0.664, no augmentation 6 / 0.658, tsa's cross augmentation (sensor
    // dropout 0.25, gain 0.3, noise 0.2) 4 / 0.615.
    intra: { epochs: 40, holdoutChunks: 0 },
  },
  vivit: {
    why: "One warm-up epoch (transformer practice; not compared against none) with the shared " +
      "defaults and VIVIT_DEFAULTS (energy stem, token BatchNorm for AdaBN, zero classifier, 10 x 10-cell " +
      "tubelets). Measured: `deno task train-cross --model vivit` (seed 42, 2 cores shared with other jobs): " +
      "validation 0.461 per window at best epoch 24 (train 0.578), peak RSS 796 MB, 509 s of CPU time; the " +
      "earlier defaults stayed at ln 4 for 12 epochs. Below EEGNet's validation (0.80): no recipe search " +
      "was affordable on the shared machine. Cross-subject since session 15: `cellFilters` 8 (each cell's tubelet " +
      "samples through 8 shared learned temporal filters + BatchNorm before the spatial projection) and 50-sample " +
      "tubelets (0.4 s, 5 time groups), chosen on leave-one-subject-out validation (`deno task train-cross --model " +
      "vivit --validation loso[:113922] --max-samples 20000 --config F --model-options M`, F: " +
      '`{"testSplits": []}`, M: these modelOptions; 2026-12-06, shared machine, load 6-9), window accuracy of the ' +
      "left-out subject 164636 / 113922: 0.395 (epoch 30) / 0.391 (epoch 18) against the earlier settings' 0.293 " +
      "(epoch 4) / 0.387 (epoch 16); `cellFilters` 8 with 25-sample tubelets 0.340 / 0.352; label smoothing 0.1 + " +
      "mixup 0.2 + weight decay 0.01 0.301 (left out 164636, stopped by hand at epoch 16); a per-cell conv filter " +
      "bank (cascade's) ran at 5.6 windows/s and 1.6 GB (docs/models.md). Within one subject not measured, so " +
      "train-intra keeps the earlier model. Patience 30 (no early stopping; the best epoch is still the best on " +
      "validation): the first confirmation run with patience 10 (`deno task train-cross --model vivit --seed 1`) " +
      "stopped at epoch 14 at train accuracy 0.35, still learning, after its held-out validation peaked at 0.289 " +
      "in epoch 4; the loso runs' best epochs were 30 and 18. Decided on those curves before any test number of " +
      "that run was read; not compared on loso. Test splits chose nothing. Since session 16, cross-subject: " +
      "whole-grid tubelets `[50, 20, 20]` (one token per 0.4 s: each token feature the energy of a learned filter " +
      "over every cell's 8 filter outputs, EEGNet's spatial filter over all sensors; `spatialDepth` 0, nothing to " +
      "attend among), `embedDim` 32 with 2 heads, lr 3e-3, chosen on the same loso runs (`nice -n 5 deno task " +
      "train-cross --model vivit --validation loso:SUBJECT --max-samples 20000 --config F --seed S --model-options M " +
      "[--lr 3e-3]`, 2026-12-06 12:18-13:22, shared machine, load 7-15), window accuracy of the left-out subject " +
      "164636 / 113922, seed 42 then seed 2: the session-15 recipe 0.395 / 0.391, 0.273 / 0.305; this recipe 0.492 / " +
      "0.480, 0.434 / 0.395 (mean per subject 0.463 / 0.438 against 0.334 / 0.348); the same at lr 1e-3 0.430 / 0.410; " +
      "10 x 10-cell tubelets with `embedDim` 32, 2 heads, one block each and lr 3e-3 0.441 / 0.414, seed 2 on 113922 " +
      "0.375; the same at lr 1e-3 0.414 / 0.363; the session-15 recipe at lr 3e-3 (after the choice) 0.418 / 0.398; " +
      'log energies (`stem: "logEnergy"`) 0.344 and cell log powers ' +
      "(`cellPower`) 0.332 on 164636 (docs/models.md). Test splits chose nothing. Since session 17, cross-subject: " +
      "`cellFilters` 4 with `spatialFilters` 8 (8 spatial filters over all 400 cells shared by the cell filters before " +
      "the tubelet projection: a low-rank projection, 25 244 parameters instead of 225 012) and tsa's augmentation " +
      "(sensor dropout 0.25, gain jitter 0.3, noise 0.2), after the session-16 recipe's seed-3 outcome collapsed " +
      "(held-out chunks at chance in every epoch). Chosen on loso over both left-out subjects and seeds 42, 2 and 3 " +
      "(`nice -n 5 deno task train-cross --model vivit --validation loso:SUBJECT --max-samples 20000 --config F --seed S " +
      '[--model-options M] [flags]`, F: `{"testSplits": []}` plus, for the augmented rows, the preprocessing with ' +
      "that augment step; 2026-12-06 14:56-16:23 UTC, shared machine, load 3.7-7.4) by the rule best lowest fold with " +
      "a mean not worse: this recipe mean 0.416, lowest 0.398 (every fold 0.398-0.445) against the session-16 " +
      "recipe's 0.410 / 0.305; `cellFilters` 4 + augmentation 0.421 / 0.379; `spatialFilters` 8 + augmentation 0.430 / " +
      "0.316; `spatialFilters` 8 0.415 / 0.320, 16 0.382 / 0.277, 4 0.380 / 0.305; augmentation 0.415 / 0.324; " +
      "`cellFilters` 4 0.398 / 0.348; `--weight-decay 0.3` 0.415 / 0.301. The holdout run with seed 3 (`deno task " +
      "train-cross --model vivit --seed 3 --config F`, no test split read) reached 0.578 (epoch 15) against 0.281 " +
      "(epoch 1) (docs/models.md). Test splits chose nothing; outcome (`nice -n 5 /usr/bin/time -v deno task " +
      "train-cross --model vivit --seed S`, seeds 1-3, at 4bce6aa): test1-3 mean 0.31 / 0.25 / 0.40 = 0.32 ± 0.08, " +
      "lowest split 0.21, below the session-16 recipe's 0.36 ± 0.10: seed 3 no longer collapses but seeds 1 and 2 " +
      "underfit their two training subjects (training accuracy 0.44 / 0.41 after 30 epochs), which only holdout runs " +
      "with those seeds would have shown before the choice. Issue 11's bar is not met. " +
      "Since session 18, cross-subject: `cellFilters` 8 (with `spatialFilters` 8 and the augmentation, 27 508 " +
      "parameters) and 45 epochs (cosine over 45; patience 30), chosen on validation over several seeds by a rule " +
      "fixed before the runs: the highest lowest of 7 numbers (holdout runs with seeds 4, 5, 6: held-out chunks of " +
      "both training subjects; loso runs with seeds 42 and 4 on both left-out subjects), loso mean not below the " +
      "session-17 recipe's minus 0.01, holdout mean not below its. Commands: `nice -n 5 deno task train-cross --model " +
      "vivit --seed S --config F [flags]` and `nice -n 5 deno task train-cross --model vivit --validation loso:SUBJECT " +
      '--max-samples 20000 --config F --seed S [flags]`, F: `{"testSplits": []}` (no test split computed), flags ' +
      "over the session-17 recipe; 2026-12-06 17:20-18:33 UTC, shared machine, load 3.0-6.7. Best-epoch window " +
      "accuracy, holdout seeds 4 / 5 / 6, then loso 164636 / 113922 for seed 42 and for seed 4: the session-17 recipe " +
      "0.680 / 0.680 / 0.297 (training-split accuracy 0.43: underfit), 0.414 / 0.398, 0.434 / 0.406 (lowest 0.297, " +
      "loso mean 0.413, holdout mean 0.552); `cellFilters` 8 (30 epochs) 0.773 / 0.383 (training 0.40: underfit) / " +
      "0.656, 0.465 / 0.426 (seed 42: session 17's runs, which this session's session-17-recipe runs repeated " +
      "exactly), 0.406 / 0.449 (lowest 0.383, loso 0.437, holdout 0.604); `cellFilters` 8 + `--epochs 45` (this " +
      "recipe) 0.773 / 0.539 / 0.828, 0.473 / 0.453, 0.457 / 0.477 (lowest 0.453, loso 0.465, holdout 0.714; " +
      "training-split accuracy 0.62-0.73); the same with `--epochs 60` 0.828 / 0.523 / 0.836, 0.473 / 0.438, 0.477 / " +
      "0.469 (lowest 0.438, loso 0.464, holdout 0.729: as good within noise, 1.3x the time); with 45 epochs and 3 " +
      "warm-up epochs 0.781 / 0.531 / 0.836, 0.484 / 0.309, 0.430 / 0.484 (lowest 0.309); `embedDim` 64 with 45 epochs " +
      "0.867 / 0.367 (training 0.39: underfit; stopped there, it could no longer win). Not run: lr 2e-3, label " +
      "smoothing, dropout, `--weight-average`, `spatialFilters` 16, TTA (docs/models.md). Test splits chose nothing; " +
      "outcome (`nice -n 5 /usr/bin/time -v deno task train-cross --model vivit --seed S`, seeds 1-3, at 8d9d59f, " +
      "load 5.1-7.4): test1-3 mean 0.445 / 0.375 / 0.344 = 0.39 ± 0.05 (session 17: 0.32 ± 0.08), seed 3's test2 " +
      "0.234: no seed underfitted, but issue 11's bar (0.405, every split above chance) is still not met. " +
      "Within one subject since session 18: the session-17 cross network (`cellFilters` 4, `spatialFilters` 8, whole-grid tubelets; the `intra` entry writes it out) without augmentation, lr " +
      "3e-3, 30 epochs, mixup 0.2, weight decay 0.01, trained on all 8 Intra/train chunks per class with the last " +
      "epoch kept (`holdoutChunks` 0), chosen on `deno task cv-intra` over seeds 42 and 4 (the `intra` comment " +
      "below, docs/models.md); before, train-intra used the registry default network (10 x 10-cell tubelets, " +
      "463 876 weights). Test splits chose nothing; outcome (`nice -n 5 /usr/bin/time -v deno task train-intra " +
      "--model vivit --seed S`, seeds 1-3): Intra/test 0.770 / 0.613 / 0.629 per window (0.671 ± 0.087), 1.00 / " +
      "0.88 / 1.00 per recording (was 0.43 / 0.64 / 0.44 and 0.38 / 0.88 / 0.50): issue 11's intra bar is not met. " +
      "Session 19, cross-subject: unchanged. Thirteen candidates judged by a rule fixed before the runs, loso first " +
      "(`nice -n 5 deno task train-cross --model vivit --validation loso:SUBJECT --max-samples 20000 --config F --seed S " +
      '[flags]`, S 42 and 4, both left-out subjects, F `{"testSplits": []}`): holdout runs only for a loso mean of at ' +
      "least 0.480 (the recipe's 0.465 plus one standard error) with no fold below 0.43, a candidate stopped once 0.480 " +
      "was out of reach; 2026-12-06 20:01-21:08 UTC, shared machine, load 2.9-10.5. Left-out 164636 / 113922 with seed " +
      "42 (then seed 4 where run), against the recipe's 0.473 / 0.453 (0.457 / 0.477): `--tta entropy` on the recipe's " +
      "own saved models 0.449 / 0.422 (0.453 / 0.469), `--tta im` 0.457 / 0.457 (0.449 / 0.461; holdout 0.758 / 0.523 / " +
      "0.820 against 0.773 / 0.539 / 0.828); `zeroHead: false` 0.410 / 0.293; head movement augmentation (new " +
      "`headRotationStd` 0.14, `headShiftStd` 0.07) 0.418; the same at half strength 0.430 / 0.461; `--label-smoothing " +
      "0.1` 0.484 / 0.434; `temporalDepth` 1 0.465 / 0.402; `--weight-average 0.7` 0.465 / 0.430; `--lr 2e-3` 0.457 / " +
      "0.328; `dropProb` 0.2 0.445 / 0.402; `spatialFilters` 16 0.473 / 0.453 (0.434 / 0.484: mean 0.461, the closest); " +
      '`--mixup 0.2` 0.520 / 0.418 (0.441); gridSensors `fill: "interpolate"` 0.469 / 0.438 (0.438). None reached ' +
      "0.480 (docs/models.md). The same models without AdaBN: loso mean 0.405 (0.060 lower). Outcome of the " +
      "unchanged recipe rerun (`nice -n 5 /usr/bin/time -v deno task train-cross --model vivit --seed S`, seeds 1-3, " +
      "at 1152041): session 18's numbers to the window, 0.445 / 0.375 / 0.344 = 0.39 ± 0.05, seed 3's test2 0.234: " +
      "issue 11's cross bar is still not met. Session 20, cross-subject: unchanged. Fifteen more candidates by " +
      "session 19's rule (loso mean >= 0.480, no run below 0.43, stopped once out of reach; 2026-12-06 22:24-23:32 " +
      "UTC, shared machine, load 3.0-8.5), left-out 164636 / 113922 with seed 42 (then seed 4 where run): new " +
      "`cellNorm` (per cell and filter BatchNorm) 0.473 / 0.465 (0.469), `spatialNorm` 0.465 / 0.355, `energyNorm` " +
      "0.441 / 0.406, the three together 0.480 / 0.527 (0.453 / 0.453: mean 0.4785, the closest), new augmentation " +
      "`timeScaleStd` 0.09 0.457 / 0.445, `--batch 16` 0.496 / 0.484 (0.488 / 0.4297: mean 0.475), with `cellNorm` " +
      '0.512 / 0.309, `stem: "logEnergy"` 0.445 / 0.285, with `energyNorm` 0.426, `cellPower` with `cellNorm` 0.414, ' +
      "`tubelet` [25, 20, 20] 0.434 / 0.4297, `spatialFilters` 16 with `cellNorm` 0.473 / 0.469 (0.453), " +
      "`subjectZscore` 0.508 / 0.332, `cellFilters` 16 0.457 / 0.277, the three norms with `--batch 16` 0.434 / " +
      "0.301. None reached the bar, so no holdout run and no test split was read (docs/models.md). " +
      "Within one subject since session 20: each cell's log band powers (`cellPower`: its 50 tubelet samples " +
      "through 4 quadrature pairs of filters, log(1 + a² + b²) of each pair, then BatchNorm and the 8 spatial " +
      'filters) as linear tokens (`stem: "linear"`), the rest of session 18\'s entry: phase-free log powers, in ' +
      "which a chunk's gain (vigilance, source amplitude, head movement) is an offset. Chosen on `nice -n 5 deno " +
      "task cv-intra --model vivit --seed S --max-samples 20000 --folds 4 --epochs 30 --patience 30` by a rule " +
      "fixed before the runs (no more of the 32 training recordings voted wrong and >= +0.03 on the folds' mean " +
      "curve at the last epoch, on seed 42 and again on seed 4): 4 / 0.699 against session 18's entry's 10 / 0.543 " +
      "(seed 4: 4 / 0.699 against 4 / 0.592); tsa's log-energy tokens lost (docs/models.md). Test splits chose " +
      "nothing; outcome (`nice -n 5 /usr/bin/time -v deno task train-intra --model vivit --seed S`, seeds 1-3): " +
      "Intra/test 0.907 / 0.863 / 0.790 per window (0.853 ± 0.059; was 0.671 ± 0.087), 1.00 / 1.00 / 0.88 per " +
      "recording (seed 3 votes story-math chunk 10 working memory, 13 of 31 windows right against 14): the window " +
      "half of issue 11's intra bar is met on the mean, the recording half is not. " +
      'Session 21, cross-subject: `cellFilterTaps` 32 with `stem: "linear"` and `temporalDepth` 0 (the 400 cells ' +
      "mixed by 8 spatial filters, each through the same 8 FIR filters of 32 taps over the whole window, each " +
      "output's log mean power per 0.4 s tubelet, BatchNorm that AdaBN re-estimates per subject, a linear token, no " +
      "transformer block: EEGNet's spatial and temporal filters with filter-bank CSP's phase-free log band powers; " +
      "6 372 weights). Why: on the left-out subject the session-18 recipe got working memory mostly right but rest, " +
      "story-math and motor near chance (loso confusion, validation only); its tokens square one dot product per " +
      "tubelet, a phase-dependent single draw of a band power. Chosen by a rule fixed before the runs (RULE.md on " +
      "branch s21-vivitx): 6 loso runs on fresh seeds 5, 6, 7 x both left-out subjects (`nice -n 5 deno task " +
      "train-cross --model vivit --validation loso:SUBJECT --max-samples 20000 --config F --seed S --model-options M`, " +
      "F: `{\"testSplits\": []}`), mean >= the unchanged recipe's + 0.03, neither subject's mean below its - 0.01, " +
      "no run below its lowest; then 2 holdout runs (seeds 4, 5, held-out chunks) each >= 0.45; the highest loso " +
      "mean adopted. 2026-12-07 00:53-01:50 UTC, shared machine, load 1.5-15. Loso 113922 / 164636 for seeds 5, 6, 7: " +
      "the session-18 recipe 0.320 / 0.441, 0.324 / 0.430, 0.445 / 0.461 (mean 0.404); this recipe 0.539 / 0.555, " +
      "0.520 / 0.523, 0.578 / 0.531 (mean 0.541), holdout 0.930 / 0.859 (the session-18 recipe's session-18 runs " +
      "0.773 / 0.539); with the transformer blocks kept (`temporalDepth` 2) 0.555 / 0.590, 0.504 / 0.465, 0.535 / " +
      "0.578 (mean 0.538), holdout 0.930 / 0.797: also through, lower mean. Stopped by the rule: 125-sample " +
      "tubelets 0.305 (never left the start-up plateau), `cellPool` 2 (new: 2 x 2 cells averaged) 0.305, the three " +
      "per-subject norms of session 20 0.420 over 6 runs (+0.016, short of +0.03); 64 taps unfinished at the " +
      "deadline (0.492 / 0.656, 0.539, ...). Test splits chose nothing; outcome (`nice -n 5 /usr/bin/time -v deno task " +
      "train-cross --model vivit --seed S`, seeds 1-3, at d01a915, load 6.8-8.4): test1-3 0.609 / 0.508 / 0.352, " +
      "0.781 / 0.406 / 0.398, 0.719 / 0.422 / 0.398 = 0.51 ± 0.02 (main before: 0.38 ± 0.05), every split above " +
      "chance: issue 11's cross-subject bar for vivit is met; wall 2.4-2.9 min, maximum RSS 586-617 MiB. The lead then kept " +
      "the other candidate through the rule, `temporalDepth` 2 (the transformer blocks kept; 23 460 weights): without " +
      "blocks the model is a band-power classifier, not a video transformer; decided before any test number of it was " +
      "read. Its outcome (`nice -n 5 /usr/bin/time -v deno task train-cross --model vivit --seed S` at 237d76a, " +
      "2026-12-07 02:15-02:24 UTC, load 5-8): test1-3 0.789 / 0.430 / 0.383, 0.773 / 0.469 / 0.320, 0.695 / 0.328 / " +
      "0.352 = 0.50 ± 0.04, every split above chance (lowest 0.320): the bar is met; wall 1.5-2.9 min, maximum RSS " +
      "618-682 MiB. " +
      "Within one subject since session 21: the same network with the shared augmentation (sensor dropout 0.1, gain " +
      "jitter 0.05, noise 0.1, time shift) and 45 epochs (cosine over 45), chosen on `nice -n 5 deno task cv-intra " +
      "--model vivit --seed S --max-samples 20000 --folds 4 --epochs 30 --patience 30 [flags]` over seeds 42, 4 and 5 " +
      "(each fold's last-epoch checkpoint evaluated again on its held-out chunks) by a rule fixed before the runs " +
      "(summed recordings wrong of 3 x 32 no higher, mean curve at the last epoch >= 0.02 higher, the highest mean " +
      "adopted): 13 wrong / 0.738 against the session-20 entry's 17 / 0.702; the augmentation with 30 epochs 12 / " +
      "0.736 (also passed, 0.002 lower); label smoothing 0.1 20 / 0.705 (docs/models.md). Test splits chose nothing; " +
      "outcome (`nice -n 5 /usr/bin/time -v deno task train-intra --model vivit --seed S`, seeds 1-3): Intra/test " +
      "0.948 / 0.859 / 0.859 per window (0.888 ± 0.051; was 0.851 ± 0.063), every recording right on every seed (was " +
      "1.00 / 1.00 / 0.875): issue 11's intra bar is met, seeds 2 and 3 by 2 windows of 248.",
    settings: { warmupEpochs: 1 },
    cross: {
      // Since session 18 (chosen on loso and holdout runs over several seeds, see `why`): 8 cell filters
      // and 45 epochs; 4 cell filters and 30 epochs underfitted two training subjects on some seeds.
      // Session 19: thirteen candidates judged on loso first (TTA, label smoothing, mixup, dropout, lr 2e-3, ...),
      // none reached the bar for a change (`why`, docs/models.md); unchanged. Session 20: fifteen more (per-subject
      // BatchNorms cellNorm / spatialNorm / energyNorm, log energies, frequency augmentation, batch 16, ...), none did.
      // Session 21 (chosen on 6 loso runs with fresh seeds 5-7 and 2 holdout runs, see `why`): phase-free log band
      // powers of FIR filters over the window (`cellFilterTaps` 32, linear tokens) into the 2 temporal transformer
      // blocks (`temporalDepth` 2; 23 460 weights): of the two candidates through the rule, the lead kept the one
      // with blocks (vivit is a video transformer), before reading any of its test numbers.
      modelOptions: {
        cellFilters: 8,
        tubelet: [50, 20, 20],
        spatialDepth: 0,
        embedDim: 32,
        numHeads: 2,
        spatialFilters: 8,
        cellFilterTaps: 32,
        stem: "linear",
        temporalDepth: 2,
      },
      epochs: 45,
      learningRate: 3e-3,
      patience: 30,
      preprocess: strongAugmentPreprocess(),
    },
    // Session 18, chosen on `deno task cv-intra` (4 folds over the Intra/train chunks, every training recording judged
    // once, Intra/test not read; docs/models.md), `--max-samples 20000 --epochs 30 --patience 30 --lr 3e-3`:
    // recordings voted wrong of 32 / pooled window accuracy at each fold's best epoch / the folds' mean curve at the
    // last epoch, seed 42 (seed 4). This entry (the cross network, no augmentation, mixup 0.2, weight decay 0.01)
    // 10 / 0.586 / 0.543 (4 / 0.604 / 0.592); the same without mixup and decay 11 / 0.584 / 0.541 (7 / 0.605 /
    // 0.561); with label smoothing 0.1 too 9 / 0.588 / 0.541; the cross network with the shared augmentation 13 /
    // 0.535 / 0.492; the cross recipe as it is (strong augmentation) 12 / 0.484 / 0.445; `cellFilters` 8 with
    // `spatialFilters` 16, no augmentation, 13 / 0.424 / 0.396. The mean curve is flat from epoch ~19 to 30, so the
    // final model trains 30 epochs on all 8 chunks per class and keeps the last (`holdoutChunks` 0), as gru's.
    // Session 20 (same command with --epochs 30 --patience 30, seeds 42 and 4; docs/models.md): each cell's log band
    // powers in quadrature pairs (`cellPower`) as linear tokens, the only candidate that cleared the rule fixed before
    // the runs (no more recordings wrong, >= 0.03 more on the mean curve's last epoch, confirmed on seed 4): 4 / 0.736
    // / 0.699 (seed 4: 4 / 0.707 / 0.699) against session 18's settings 10 / 0.586 / 0.543 (4 / 0.604 / 0.592). Lost:
    // on seed 42 `stem: "logEnergy"` 14 / 0.496 / 0.459; with 25-sample tubelets, lr 2e-3 and label smoothing 0.1 14 /
    // 0.424 / 0.387 (tsa's session-19 ideas); the shared augmentation on top of this 4 / 0.775 / 0.762 but 5 wrong on
    // seed 4 (0.752 / 0.738); `cellFilters` 8 6 / 0.740 / 0.686; `temporalDepth` 0 6 / 0.709 / 0.670; FIR cell filters
    // over the window (`cellFilterTaps` 32, new) 6 / 0.779 / 0.711 (seed 4: 5 wrong, 0.670), with `temporalDepth` 0 6 /
    // 0.775 / 0.748 (seed 4: 5 wrong, 0.717), with the shared augmentation 5 / 0.717 / 0.676.
    // Session 21 (same command, seeds 42, 4 and 5, each fold's LAST-epoch checkpoint evaluated again on its held-out
    // chunks; rule fixed before the runs: summed recordings wrong no higher and the mean curve's last epoch >= 0.02
    // higher, the highest mean adopted; docs/models.md): the shared augmentation with 45 epochs, recordings wrong
    // 4 + 4 + 5 = 13 / mean curve at the last epoch 0.738, against this entry before (no augmentation, 30 epochs) 5 + 5
    // + 7 = 17 / 0.702. Also passed: the shared augmentation with 30 epochs 4 + 4 + 4 = 12 / 0.736 (0.002 lower: about
    // one window in 512 per seed, within noise; the rule ranks by the mean). Lost: `--label-smoothing 0.1` 20 / 0.705.
    intra: {
      modelOptions: {
        cellFilters: 4,
        cellPower: true,
        stem: "linear",
        tubelet: [50, 20, 20],
        spatialDepth: 0,
        embedDim: 32,
        numHeads: 2,
        spatialFilters: 8,
        cellFilterTaps: 0,
        temporalDepth: 2,
      },
      learningRate: 3e-3,
      epochs: 45,
      mixupAlpha: 0.2,
      weightDecay: 0.01,
      holdoutChunks: 0,
      // Since session 21: the shared steps with the shared defaults' `augment` (sensor dropout 0.1, gain jitter
      // 0.05, noise 0.1, time shift), windows every 0.5 s (INTRA_STRIDE_SECONDS), as tsa's intra recipe.
      preprocess: [
        { op: "resample", toHz: 125 },
        { op: "zscore", mode: "recording" },
        { op: "window", windowSeconds: 2, strideSeconds: 0.5 },
        { op: "augment" },
      ],
    },
  },
  cascade: {
    why: "Chosen on the held-out validation chunks (seed 42, deno task train-cross --model cascade, shared " +
      "2-core machine). 8 epochs: lr 1e-3 with stacks of 10 frames at 125 Hz reached validation 0.27 (best " +
      "epoch 1); lr 2e-3 with frames averaged in pairs (framePool 2) and stacks of 5 reached 0.48. 20 epochs, " +
      "lr 2e-3: stacks of 5, 0.656 (best epoch 14); dropProb 0.5 with frameUnits 32, 0.648; stacks of 10 with " +
      "BatchNorm on the frame features (frameDepth 10, featureNorm, now the model's defaults), 0.688 (best " +
      "epoch 17, train 0.84: it overfits its two training subjects). Cross-subject: 30 epochs at lr 3e-3, chosen on " +
      "leave-one-subject-out validation (`deno task train-cross --model cascade --validation loso:SUBJECT " +
      '--max-samples 20000 --config F`, F: `{"testSplits": []}`, 2026-12-06, shared machine, load 4-7), window ' +
      "accuracy of the left-out subject 164636 / 113922: the 20-epoch lr 2e-3 settings 0.398 / 0.359 (seed 42), " +
      "0.297 / 0.402 (seed 2); `--lr 3e-3 --epochs 30` 0.445 / 0.391 (seed 42), 0.355 / 0.422 (seed 2); lr 3e-3 or 30 " +
      "epochs alone 0.418 / 0.387 and 0.422 / 0.383; lr 1e-3 + weight decay 0.01 + mixup 0.2, smaller or wider frame " +
      "CNN, dropProb 0.5, no pair-averaging, label smoothing 0.1, no augmentation, no AdaBN: none above 0.41 " +
      "(docs/models.md). Since session 15 also the temporal filter bank (`temporalFilters` 4: 4 learned 32-tap FIR " +
      "filters on every grid cell, folded into the frame CNN's first stage, no BatchNorm on the bands), the same loso " +
      "runs (2026-12-06, load 7-9): 0.438 / 0.320 (seed 42), 0.441 / 0.512 (seed 2), mean per subject 0.440 / 0.416 " +
      "against the recipe's 0.400 / 0.407: better on both left-out subjects (on 113922 by 0.01, within noise). Within " +
      "one subject the 20-epoch settings stay: on train-intra's held-out chunks (seeds 1-3, `--config F`) the filter " +
      "bank reached 0.629 / 0.677 (seeds 1, 2) against 0.669 / 0.742, and `--epochs 30 --label-smoothing 0.1` 0.731 " +
      "on average against 0.728. Test splits chose nothing. Since session 18 (2026-12-06) intra trains its 20 " +
      "epochs on all 8 Intra/train chunks per class, no held-out validation, the last epoch kept (`holdoutChunks` " +
      "0), as gru's and cnn's: on `deno task cv-intra` no candidate beat these settings (the `intra` comment below, " +
      "docs/models.md). Test splits chose nothing; outcome after the choice (`nice -n 5 /usr/bin/time -v deno task " +
      "train-intra --model cascade --seed S`, seeds 1-3): Intra/test 0.815 / 0.758 / 0.782 per window (0.785 ± 0.028; " +
      "0.75 / 0.72 / 0.75 before), every recording right on every seed: below the intra bar's 0.85 per window. Since the second round of " +
      "session 18 intra trains 30 epochs at lr 3e-3 (its cross schedule, without the filter bank), the only one of 4 " +
      "candidates on `deno task cv-intra` (seed 42, seed 4 as a check) with no more recordings wrong and >= 0.03 more " +
      "per window at the last epoch (the `intra` comment below, docs/models.md). Test splits chose nothing; outcome " +
      "after the choice (same command, seeds 1-3, at cf82744): Intra/test 0.855 / 0.827 / 0.770 per window (0.817 ± " +
      "0.043), every recording right on every seed: still below 0.85 on seeds 2 and 3. Session 19: unchanged; " +
      "10 more candidates on `deno task cv-intra --seed 42 --max-samples 20000 --folds 4 --epochs 30 --patience 30` " +
      "(Intra/test not read), judged by a rule fixed before the runs (R: recordings wrong at the last epoch no more " +
      "than the recipe's 7; W: the folds' mean curve at the last epoch >= its 0.668 + 0.03; then a seed-4 check), R / W: " +
      "`--weight-average 0.7` W 0.676 (R not evaluated), `shuffleBuffer` 4096 6 / 0.672, `--batch 16` 6 / 0.658, `units` and " +
      "`frameUnits` 32 4 / 0.674, the same with `keyDim` 8 and `attentionUnits` 32 5 / 0.670, `numHeads` 0 5 / " +
      "0.660, `--lr 5e-3` 6 / 0.658, `bandGainStd` 0.25 5 / 0.650, 3 s windows 8 / 0.656, `--stride-seconds 0.25` 5 / 0.680: none " +
      "passed (docs/models.md, session 19). " +
      "Since session 20 intra adds log band powers and tsa's regularisation: the temporal filter bank " +
      '(`temporalFilters` 4) with `logEnergy: "bands"` (log(1 + x²) of every cell\'s 4 band images before the frame ' +
      "CNN, so a chunk's gain (vigilance, source amplitude, head movement) is an offset, as tsa's session-19 " +
      "log-energy tokens), mixup 0.2, weight decay 0.01 and label smoothing 0.1, the rest unchanged (30 epochs at lr " +
      "3e-3, the shared augmentation, every chunk, the last epoch kept); chosen on `deno task cv-intra --model cascade " +
      "--seed S --max-samples 20000 --folds 4 --epochs 30 --patience 30` by a rule fixed before the runs (no more of " +
      "32 recordings wrong at the last epoch and >= +0.02 on the folds' mean curve there, on seed 42 and again on " +
      "seed 4; the highest mean gain), R / W: the previous entry 7 / 0.668 (seed 4: 4 / 0.609); this 2 / 0.742 (2 / " +
      '0.756); the log band powers alone 4 / 0.740 (4 / 0.682); `logEnergy: "frames"` (log energies of the frame ' +
      "CNN's first-stage filters, no filter bank) 5 / 0.707 (seed 4 not run) (docs/models.md, session 20). Test " +
      "splits chose nothing; outcome after the choice (`nice -n 5 /usr/bin/time -v deno task train-intra --model " +
      "cascade --seed S`, seeds 1-3, at 23fd65e): Intra/test 0.895 / 0.907 / 0.891 per window (0.898 ± 0.008), every " +
      "recording right on every seed: issue 11's intra bar is met; peak RSS 1.20-1.25 GB, 3.0-4.6 min a run.",
    settings: { epochs: 20, learningRate: 2e-3 },
    cross: { epochs: 30, learningRate: 3e-3, modelOptions: { temporalFilters: 4 } },
    // Session 18, `deno task cv-intra --model cascade --seed 42 --max-samples 20000 --folds 4 --patience 20 [flags]`
    // (4 folds over the Intra/train chunks, Intra/test not read; docs/models.md): recordings voted wrong of 32 /
    // pooled window accuracy at the last epoch (each fold's last checkpoint on its held-out chunks): these settings
    // 7 / 0.623; no augmentation 5 / 0.549; gru's mixup 0.2 + weight decay 0.01 6 / 0.623; `temporalFilters` 4
    // 6 / 0.584; tsa's stronger augmentation 6 / 0.594; 4 s windows 8 / 0.651. None is better on both counts, so the
    // settings stay; the folds' mean curve is flat from epoch ~16 to 20 (last epoch within 0.006 of its best; 40
    // epochs gained nothing in session 17), so the final model trains the 20 epochs on all 8 chunks per class
    // (`holdoutChunks` 0, the last epoch kept), as gru's and cnn's. Second round (session 18, same command,
    // 19:00-19:15 UTC, load 1.5-2.9): `--epochs 30 --lr 1e-3` 6 / 0.615; `--label-smoothing 0.1` 6 / 0.619;
    // `units` and `frameUnits` 128 7 / 0.600; `--epochs 30 --lr 3e-3` (its cross schedule) 7 / 0.668, the only
    // one by the rule fixed before the runs (no more recordings wrong and >= 0.03 more per window at the last
    // epoch); seed 4 as a check: the settings 7 / 0.602, this 4 / 0.609. So intra trains 30 epochs at lr 3e-3 on all 8 chunks per class.
    // Session 19: 10 more candidates on the same folds (seed 42, last epoch; recordings wrong / mean curve), none with no more recordings wrong and
    // >= 0.03 more per window (see `why`; docs/models.md), so this entry is unchanged.
    // Session 20 (same command with `--epochs 30 --patience 30`, seeds 42 and 4; recordings wrong of 32 at the last
    // epoch / the folds' mean curve there; docs/models.md): against this entry's 7 / 0.668 (seed 4: 4 / 0.609), the
    // filter bank's log band powers (`temporalFilters` 4, `logEnergy: "bands"`) 4 / 0.740 (4 / 0.682), the same with
    // mixup 0.2 + weight decay 0.01 + label smoothing 0.1 2 / 0.742 (2 / 0.756): both cleared the rule fixed before
    // the runs (no more recordings wrong, >= +0.02, on both seeds), the second with the higher mean gain (+0.110
    // against +0.072). Log energies of stage 1's filters (`logEnergy: "frames"`) 5 / 0.707 on seed 42 (seed 4 not
    // run). About 3x the training time of the previous entry (the band images are computed) and ~1.2 GB peak RSS
    // for a cv-intra run.
    intra: {
      epochs: 30,
      learningRate: 3e-3,
      holdoutChunks: 0,
      modelOptions: { temporalFilters: 4, logEnergy: "bands" },
      mixupAlpha: 0.2,
      weightDecay: 0.01,
      labelSmoothing: 0.1,
    },
  },
  spectral: {
    why: "The shared defaults without augmentation: sensor dropout zeroes a sensor, whose log band power is " +
      "then -30, far outside what the per-sensor standardisation saw (README, Look inside). Not searched; " +
      "the study's spectral runs (no augmentation, docs/study.md) are what measured it.",
    settings: {
      preprocess: [
        { op: "resample", toHz: 125 },
        { op: "zscore", mode: "recording" },
        { op: "window", windowSeconds: 2, strideSeconds: 1 },
      ],
    },
  },
  tsa: {
    why:
      "Chosen on validation (held-out Cross/train chunks, seed 42, TSA_DEFAULTS otherwise): `deno task train-cross --model tsa --epochs 8` (lr 1e-3, dropProb 0.1) reached validation 0.359 (train 0.44: underfitting); `--model-options '{\"dropProb\":0}' --lr 3e-3 --epochs 8` 0.422; the same with `--epochs 15` 0.695 (best epoch 13; the model starts learning around epoch 6). No other setting was tried; it does not yet transfer (test1-3 per window 0.54 / 0.25 / 0.23 in that run). " +
      "Cross-subject only, since session 15 (2026-12-06): energy tokens of 50-sample segments with a token BatchNorm " +
      '(`embedding: "energy"`, `embeddingNorm: "batch"`, `segLen` 50), chosen on leave-one-subject-out validation ' +
      "(`nice -n 5 deno task train-cross --model tsa --validation loso:S --max-samples 20000 --config F --lr 3e-3 " +
      '--epochs 15 --model-options M`, F: `{"testSplits": []}`, no test split evaluated, seed 42, load 7-9), window ' +
      "accuracy of the left-out subject 164636 / 113922: the previous settings 0.250 / 0.309; energy tokens of 25-sample " +
      "segments 0.387 / 0.480; of 50-sample segments (this recipe) 0.430 / 0.488, at ~1.8x the training speed and " +
      "~250 MB less peak RSS; 125-sample segments 0.285; with label smoothing 0.1 0.340, lr 1e-3 + 20 epochs + smoothing " +
      "0.422, mixup 0.2 + weight decay 0.01 0.402 (25-sample) and 0.422 (50-sample), left out 164636 (docs/models.md). Checked after the choice with `--seed 2`: 0.355 / 0.434 against the " +
      "previous settings' 0.273 / 0.270. " +
      "Since session 16 (2026-12-06, same command, folds and F): the token BatchNorm per (virtual) sensor and feature " +
      '(`embeddingNorm: "sensorBatch"`, so AdaBN standardises every spatial filter\'s band powers per subject) with ' +
      "stronger augmentation (sensor dropout 0.25, gain jitter 0.3, noise 0.2; the shared defaults are 0.1 / 0.05 / " +
      "0.1): 0.461 / 0.473 (seed 42), 0.457 / 0.461 (seed 2), mean per subject 0.459 / 0.467 against the session-15 " +
      "recipe's 0.393 / 0.461 (0.430 / 0.488 and 0.355 / 0.434): better on both left-out subjects (on 113922 by " +
      "0.006, within noise). Each alone did not beat the recipe (seed 42, left out 164636 / 113922): sensorBatch " +
      "0.430 / 0.469, the stronger augmentation 0.422 (164636). Also tried on 164636 (seed 42) without a gain: 16 " +
      'virtual sensors 0.441 (0.410 on 113922), `dropProb` 0.2 0.410, `headPool: "all"` 0.273, `--tta entropy` ' +
      "0.422, per-subject alignment (`align`) 0.281, lr 1e-3 + 20 epochs 0.438; on top of this recipe, augmentation " +
      "0.4 / 0.5 / 0.3 0.453 / 0.449 and `dropProb` 0.1 0.465 / 0.473 (seed 42, docs/models.md). " +
      "Intra keeps the settings above (loso measures transfer only). Test splits chose nothing. " +
      "Within one subject since session 18: the cross network (energy tokens, per-sensor token BatchNorm) with the " +
      "shared augmentation, 30 epochs, mixup 0.2, weight decay 0.01, label smoothing 0.1, trained on all 8 " +
      "Intra/train chunks per class with the last epoch kept (`holdoutChunks` 0), chosen on `deno task cv-intra` " +
      "over seeds 42 and 4 (the `intra` comment below, docs/models.md). Test splits chose nothing; outcome (`nice -n " +
      "5 /usr/bin/time -v deno task train-intra --model tsa --seed S`, seeds 1-3): Intra/test 0.819 / 0.790 / 0.802 " +
      "per window (0.804 ± 0.014), every recording right on every seed (was 0.57 / 0.69 / 0.51 and 6 of 8): the " +
      "recording half of issue 11's intra bar is met, the window half (0.85) is not. " +
      'Within one subject since session 19: log-energy tokens (`embedding: "logEnergy"`, log(1 + x²) of the ' +
      "segment filters in place of their square, so a chunk's gain (vigilance, source amplitude, head movement) is an " +
      "offset, not a factor) of 25-sample segments at lr 2e-3, the rest as session 18's entry; the only one of 7 " +
      "candidates on `deno task cv-intra` (seed 42, `--max-samples 20000 --folds 4 --epochs 30 --patience 30`) that " +
      "cleared the rule fixed before the runs (at most 7 of 32 recordings wrong and >= +0.03 on the folds' mean curve " +
      "at the last epoch, confirmed on seed 4): 4 / 0.693 against 7 / 0.627 (seed 4: 7 / 0.605 against 7 / 0.559; the " +
      "`intra` comment below, docs/models.md). Test splits chose nothing; outcome (`nice -n 5 /usr/bin/time -v deno " +
      "task train-intra --model tsa --seed S`, seeds 1-3): Intra/test 0.855 / 0.819 / 0.802 per window (0.825 ± " +
      "0.027), every recording right on every seed: the window half of the bar is met on seed 1 only. " +
      "Session 20: unchanged. Eight candidates on the same cv-intra folds (seed 42), judged by a rule fixed " +
      "before the runs (no more recordings wrong and >= +0.02 on the mean curve's last epoch, then seed 4); the " +
      "entry, rerun on the session-20 code, repeated session 19's run epoch for epoch (4 / 0.693). None passed: " +
      "`--mixup 0.4` 3 / 0.695, 45 epochs 4 / 0.695, lr 3e-3 4 / 0.658, a band-gain augmentation 4 / 0.666; " +
      "squared energies, `segLen` 10, `dModel` 48 and 16 virtual sensors stopped after 1-3 folds, far below " +
      "(docs/models.md, session 20). " +
      "Session 21: unchanged. Seven candidates on the same cv-intra folds (seed 42), rule fixed before the runs (no " +
      "more recordings wrong and >= +0.02 on the mean curve's last epoch against session 20's 4 / 0.693, then seed " +
      '4); none passed: phase-free log band powers of a temporal filter bank as tokens (`embedding: "bandPower"`, ' +
      "cascade's session-20 idea) 0.594 / 0.672 on the first two folds (stopped), at 10 epochs 4 / 0.652; beside " +
      'the log energies (`"logEnergyBands"`) 0.586 / 0.617 (stopped); `dropProb` 0.1 3 / 0.662; `routers` 8 ' +
      "5 / 0.693; `--mixup 0.4 --weight-decay 0.05` 4 / 0.697; `--mixup 0.8` 3 / 0.670 (docs/models.md, session 21). " +
      "Session 22, training side, on session 19's log-energy tokens: eleven candidates on the same cv-intra folds (seed 42), " +
      "rule fixed before the runs (R <= 4 and W >= 0.713, +0.02 over the entry's 0.693, then seed 4); none passed " +
      "(R / W): `--label-smoothing 0.2` 2 / 0.693; `--lr 1e-3` 7 / 0.684; two warm-up epochs 6 / 0.686; `--batch 16` " +
      "3 / 0.652; `--batch 64` 6 / 0.672; `--schedule constant --weight-average 0.85` 3 / 0.701, with label smoothing " +
      "0.2 5 / 0.699, at 45 epochs with decay 0.9 3 / 0.7129 (0.06 of a window under 0.713); the cross augmentation, " +
      "`--no-augment` and `--stride-seconds 0.25` stopped after 2-3 folds far below; `--tta im` / `--tta entropy` / " +
      "`--no-adapt-bn` re-scored on the entry's own fold models 0.686 / 0.680 / 0.654 (docs/models.md, session 22). " +
      "Within one subject since session 22: every sensor's log band powers first, the spatial projection after them " +
      '(`embedding: "sensorPower"`, `bandFilters` 32: each raw sensor\'s 25-sample segments through 32 quadrature ' +
      "filter pairs, log(1 + a² + b²), BatchNorm, then the 32 virtual sensors are linear maps of those log powers, " +
      "so a chunk's gain on a source is an offset of a linear map's inputs, as in vivit's intra `cellPower`), the " +
      "rest as session 19's entry; chosen on `nice -n 5 /usr/bin/time -v timeout 1500 deno task cv-intra --model tsa " +
      "--seed S --max-samples 20000 --folds 4 --epochs 30 --patience 30` by a rule fixed before the runs (seed 42 " +
      "R <= 4 recordings wrong of 32 and W >= 0.713 on the folds' mean curve at the last epoch, then seed 4 R <= 7 and " +
      "W >= 0.625; the highest W summed over both seeds): 3 / 0.762 and 4 / 0.760 against the entry's 4 / 0.693 and " +
      "7 / 0.605; `bandFilters` 16 2 / 0.746 and 3 / 0.740; 8 5 / 0.713 (seed 42, failed) (docs/models.md, session 22). " +
      "Test splits chose nothing; outcome (`nice -n 5 /usr/bin/time -v timeout 1200 deno task train-intra --model tsa " +
      "--seed S`, seeds 1-3): Intra/test 0.903 / 0.899 / 0.923 per window (0.909 ± 0.013), every recording right on " +
      "every seed: issue 11's intra bar is met on every seed.",
    settings: { learningRate: 3e-3, modelOptions: { dropProb: 0 }, epochs: 15 },
    cross: {
      modelOptions: { dropProb: 0, embedding: "energy", embeddingNorm: "sensorBatch", segLen: 50 },
      preprocess: strongAugmentPreprocess(),
    },
    // Session 18, chosen on `deno task cv-intra` (4 folds over the Intra/train chunks, every training recording judged
    // once, Intra/test not read; docs/models.md), `--max-samples 20000 --epochs 30 --patience 30`: recordings voted
    // wrong of 32 / pooled window accuracy at each fold's best epoch / the folds' mean curve at the last epoch, seed 42
    // (seed 4). This entry (the cross network, the shared augmentation, lr 3e-3, mixup 0.2, weight decay 0.01, label
    // smoothing 0.1) 7 / 0.680 / 0.627 (7 / 0.590 / 0.559); the same without mixup, decay and smoothing 8 / 0.625 /
    // 0.600 (9 / 0.594 / 0.549); the cross recipe as it is (strong augmentation) 7 / 0.588 / 0.525; the cross network
    // without augmentation 12 / 0.596 / 0.568; the previous intra recipe (linear 25-sample tokens) 12 / 0.447 / 0.396;
    // EEGNet's front end (`stem: "temporalSpatial"`, no virtual sensors, `segLen` 5) 17 / 0.383 / 0.316. The mean
    // curve is flat from epoch ~16 to 30, so the final model trains 30 epochs on all 8 chunks per class and keeps the
    // last (`holdoutChunks` 0), as gru's; the shared steps (windows every 0.5 s, the shared augmentation).
    // Session 19 (same command, seeds 42 and 4; docs/models.md): log-energy tokens of 25-sample segments
    // (`embedding: "logEnergy"`, `segLen` 25) at lr 2e-3, the only candidate of 7 that cleared the rule fixed
    // before the runs (no more recordings wrong and >= 0.03 more on the mean curve's last epoch, confirmed on
    // seed 4): 4 / 0.721 / 0.693 (seed 4: 7 / 0.627 / 0.605) against the session-18 entry's 7 / 0.680 / 0.627
    // (7 / 0.590 / 0.559). Lost on seed 42: log energies of 50-sample segments 5 / 0.684 / 0.645, with lr 2e-3
    // 5 / 0.686 / 0.654, and `--weight-average 0.7` 6 / 0.676 / 0.654; quadrature log powers (`"logPower"`)
    // 7 / 0.652 / 0.637; 125-sample segments (stopped after 2 folds: 0.414 / 0.453 at epoch 30); 4 s windows
    // (stopped after 2 folds: 0.427 / 0.354).
    // Session 20 (same command and rule, +0.02; seed 42; docs/models.md): unchanged. Recordings wrong / mean curve
    // at the last epoch: the entry 4 / 0.693 (rerun, equal to session 19's); `--mixup 0.4` 3 / 0.695; `--epochs 45`
    // 4 / 0.695; `--lr 3e-3` 4 / 0.658; `augment` `bandGainStd` 0.25 4 / 0.666. Stopped, fold accuracies at epoch 30
    // against the entry's 0.641 / 0.734 / 0.641: `embedding: "energy"` 0.578 / 0.672; `segLen` 10 0.523; `dModel` 48
    // 0.531; `sensorProjection` 16 0.609 / 0.719 / 0.578.
    // Session 21 (same command and rule, +0.02 over session 20's 4 / 0.693; seed 42; docs/models.md): unchanged.
    // `embedding: "bandPower"` stopped at 0.594 / 0.672, with `--epochs 10` 4 / 0.652; `"logEnergyBands"` stopped at
    // 0.586 / 0.617; `dropProb` 0.1 3 / 0.662; `routers` 8 5 / 0.693; `--mixup 0.4 --weight-decay 0.05` 4 / 0.697;
    // `--mixup 0.8` 3 / 0.670.
    // Session 22, training side on session 19's tokens (same command and rule, +0.02 over 4 / 0.693; seed 42;
    // docs/models.md): none passed.
    // `--label-smoothing 0.2` 2 / 0.693; `--lr 1e-3` 7 / 0.684; `warmupEpochs` 2 6 / 0.686; `--batch 16` 3 / 0.652;
    // `--batch 64` 6 / 0.672; `--schedule constant --weight-average 0.85` 3 / 0.701 (with `--label-smoothing 0.2`
    // 5 / 0.699; `--weight-average 0.9 --epochs 45` 3 / 0.7129, a fraction of a window under 0.713); stopped: the cross augmentation
    // 0.539 / 0.695, `--no-augment` 0.578 / 0.688, `--stride-seconds 0.25` 0.617 / 0.605. Re-scored on the entry's
    // fold models: `--tta im` 0.686, `--tta entropy` 0.680, `--no-adapt-bn` 0.654.
    // Session 22 (same command; rule: seed 42 R <= 4 and W >= 0.713, then seed 4 R <= 7 and W >= 0.625, the highest
    // W summed over both seeds; docs/models.md): `embedding: "sensorPower"` (each raw sensor's quadrature log band
    // powers, then the spatial projection of the log powers) with `bandFilters` 32, recordings wrong / mean curve at
    // the last epoch 3 / 0.762 (seed 4: 4 / 0.760); with `bandFilters` 16 2 / 0.746 (3 / 0.740); 8 5 / 0.713 (failed).
    intra: {
      modelOptions: {
        dropProb: 0,
        embedding: "sensorPower",
        embeddingNorm: "sensorBatch",
        segLen: 25,
        bandFilters: 32,
      },
      learningRate: 2e-3,
      epochs: 30,
      mixupAlpha: 0.2,
      weightDecay: 0.01,
      labelSmoothing: 0.1,
      holdoutChunks: 0,
    },
  },
};

/**
 * The settings of `model`'s recipe for `task`: its `settings`, then its task's own
 * (deep copies, so a caller may change them).
 *
 * @param model Registered model name.
 * @param task "cross" or "intra".
 * @returns The settings; empty for a model without a recipe.
 *
 * @example
 * ```ts
 * import { recipeSettings } from "./model_recipes.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(recipeSettings("cnn", "cross"), {});
 * assertEquals(recipeSettings("no-such-model", "intra"), {});
 * ```
 */
export function recipeSettings(model: string, task: RunConfig["task"]): Partial<RecipeSettings> {
  const recipe = Object.hasOwn(MODEL_RECIPES, model) ? MODEL_RECIPES[model] : undefined;
  if (recipe === undefined) return {};
  return structuredClone({ ...recipe.settings, ...recipe[task] });
}
