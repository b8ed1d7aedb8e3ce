/**
 * Training: one optimiser step on a batch, epochs with validation and early stopping (fit),
 * per-subject BatchNorm adaptation, checkpoints, the configuration of a run and the rules of its folder.
 *
 * @module
 */
export * from "./train_step.ts";
export * from "./fused_adam.ts";
export * from "./weight_decay.ts";
export * from "./fit.ts";
export * from "./adapt_batch_norm.ts";
export * from "./adapt_entropy.ts";
export * from "./checkpoint.ts";
export * from "./run_folder.ts";
export * from "./run_config.ts";
export * from "./check_run_config.ts";
export * from "./model_recipes.ts";
