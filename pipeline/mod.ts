/**
 * Stream composition: the resample cache, named preprocessing steps, per-subject statistics, and
 * the streams of windows and batches that feed training and evaluation, with the pull-driven
 * sink that consumes them.
 *
 * @module
 */
export * from "./read_resampled.ts";
export * from "./warm_resample_cache.ts";
export * from "./fit_subject_statistics.ts";
export * from "./preprocess.ts";
export * from "./stream_windows.ts";
export * from "./stream_batches.ts";
export * from "./consume.ts";
