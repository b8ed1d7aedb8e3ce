/**
 * Orchestrators: a whole training run (catalogue, cache, fit, evaluation, run folder),
 * re-evaluation of a run folder, and ensembles of finished runs.
 *
 * @module
 */
export { trainRun, type TrainRunOptions } from "./train_run.ts";
export * from "./ensemble_runs.ts";
export * from "./evaluate_run_folder.ts";
export * from "./doctor.ts";
export * from "./explain_run.ts";
export * from "./embed_data.ts";
