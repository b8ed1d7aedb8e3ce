/**
 * Realistic synthetic MEG data in the exact layout of the assignment data
 * (HCP, 4D Magnes 3600 WH, 248 sensors, 2034 Hz): the default input of every
 * megflow task and test. See `synth/README.md` for the signal model.
 *
 * @example
 * ```ts
 * import { generateRecording, planDataset } from "./mod.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(planDataset({ preset: "small" }).files.length, 28);
 * assertEquals(generateRecording("task_motor", "113922", { nTimes: 100 }).length, 248 * 100);
 * ```
 *
 * @module
 */
export { generateRecording, type GenerateRecordingOptions } from "./generate_recording.ts";
export { type DatasetPlan, planDataset, type PlanDatasetOptions, type PlannedFile } from "./plan_dataset.ts";
export { type DatasetLayout, SYNTH_PRESETS, type SynthPreset } from "./presets.ts";
export {
  type SynthProgress,
  writeDataset,
  type WriteDatasetOptions,
  type WriteDatasetSummary,
} from "./write_dataset.ts";
export { defaultDatasetDir, type DefaultDatasetDirOptions } from "./default_dataset_dir.ts";
export { ensureDefaultDataset, type EnsureDefaultDatasetOptions, SYNTH_MARKER_FILE } from "./default_dataset.ts";
export { megflowCacheDir } from "./megflow_cache_dir.ts";
export { SYNTH_GENERATOR, SYNTH_VERSION } from "./version.ts";
