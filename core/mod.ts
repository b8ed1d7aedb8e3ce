/**
 * megflow's ground floor: the records that flow between stages (recordings, blocks, windows,
 * batches), errors, seeded random numbers, atomic file writes, the sensor layout, the pull gate
 * that bounds memory, and peak-RSS measurement. It imports nothing of megflow.
 *
 * @module
 */
export * from "./types.ts";
export * from "./errors.ts";
export * from "./random.ts";
export * from "./with_seeded_random.ts";
export * from "./atomic_write.ts";
export * from "./layout.ts";
export * from "./pull_gate.ts";
export * from "./peak_rss.ts";
export * from "./version.ts";
export * from "./check_options.ts";
export * from "./canonical_json.ts";
