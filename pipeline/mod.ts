/**
 * Stream composition: the resample cache and the pool of resampling workers, named
 * preprocessing steps, per-subject statistics, and the streams of windows and batches that
 * feed training and evaluation, with the pull-driven sink that consumes them.
 *
 * @module
 */
export { readResampled, type ReadResampledOptions } from "./read_resampled.ts";
export { ResamplePool, type ResamplePoolOptions, type ResamplePoolReadOptions } from "./resample_pool.ts";
export {
  warmResampleCache,
  type WarmResampleCacheOptions,
  type WarmResampleCacheResult,
} from "./warm_resample_cache.ts";
export {
  fitSubjectStatistics,
  type FitSubjectStatisticsOptions,
  type SubjectStatistics,
} from "./fit_subject_statistics.ts";
export {
  type AlignStep,
  type AugmentStep,
  type BlockStep,
  DEFAULT_PREPROCESS,
  type GridSensorsStep,
  type MinmaxStep,
  planPreprocess,
  preprocess,
  type PreprocessContext,
  type PreprocessPlan,
  type PreprocessStep,
  type ResampleStep,
  type SubjectZscoreStep,
  type WindowLevelStep,
  type WindowStep,
  type ZscoreStep,
} from "./preprocess.ts";
export { streamWindows, type StreamWindowsOptions } from "./stream_windows.ts";
export { streamBatches, type StreamBatchesOptions } from "./stream_batches.ts";
export { consume, type ConsumeOptions } from "./consume.ts";
export { validateRunInputs, type ValidateRunInputsOptions } from "./validate_run_inputs.ts";
