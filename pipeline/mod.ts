/**
 * megflow's pipeline: sources (catalogue, h5 reader, cache), composition
 * (preprocessing steps, windows, batches), sinks (consume, fit, predict),
 * checkpoints, metrics and reports, and whole training runs.
 *
 * @module
 */
export * from "./types.ts";
export * from "./errors.ts";
export * from "./layout.ts";
export * from "./random.ts";
export * from "./atomic_write.ts";
export * from "./pull_gate.ts";
export * from "./parse_recording_file_name.ts";
export * from "./catalog.ts";
export * from "./read_recording_info.ts";
export * from "./read_blocks.ts";
export * from "./read_resampled.ts";
export * from "./preprocess.ts";
export * from "./stream_windows.ts";
export * from "./stream_batches.ts";
export * from "./consume.ts";
export * from "./train_step.ts";
export * from "./fit.ts";
export * from "./predict.ts";
export * from "./adapt_batch_norm.ts";
export * from "./checkpoint.ts";
export * from "./metrics.ts";
export * from "./predictions_csv.ts";
export * from "./ensemble_predictions.ts";
export * from "./ensemble_runs.ts";
export * from "./report.ts";
export * from "./peak_rss.ts";
export * from "./run_config.ts";
export * from "./train_run.ts";
export * from "./with_seeded_random.ts";
export * from "./warm_resample_cache.ts";
export * from "./fit_subject_statistics.ts";
