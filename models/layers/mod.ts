/**
 * megflow's custom tfjs-layers layers. Importing this module registers every class for
 * serialisation, which loading a saved model that uses them requires.
 *
 * @module
 */
export * from "./attention_pooling.ts";
export * from "./layer_norm.ts";
export * from "./log_energy.ts";
export * from "./log_mean_power.ts";
export * from "./multi_head_self_attention.ts";
export * from "./positional_embedding.ts";
export * from "./router_attention.ts";
export * from "./segment_embedding.ts";
export * from "./segment_merging.ts";
export * from "./tubelet_embedding.ts";
export { TemporalSpatialBlock, type TemporalSpatialBlockArgs } from "./temporal_spatial_block.ts";
export * from "./batch_to_sequence.ts";
export * from "./filter_bank_dense.ts";
export * from "./frames_to_batch.ts";
export * from "./space_to_depth.ts";
export * from "./temporal_filter_bank.ts";
