/**
 * Where recordings come from: file names parsed into records, the catalogue of a dataset folder,
 * h5 metadata, and pull-driven hyperslab reading of one recording as blocks.
 *
 * @module
 */
export * from "./parse_recording_file_name.ts";
export * from "./catalog.ts";
export * from "./read_recording_info.ts";
export * from "./read_blocks.ts";
export * from "./validate_recordings.ts";
