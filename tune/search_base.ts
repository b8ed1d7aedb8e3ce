/**
 * The configuration a search trains its trials from.
 *
 * @module
 */
import type { RunConfig } from "../training/run_config.ts";
import { validationOf } from "../training/validation_plan.ts";

/**
 * The base configuration of a search's trials: a search ranks its trials by validation, so a
 * base that validates on nothing (validation `holdout` with `holdoutChunks` 0, as gru's intra
 * recipe, whose final model trains on every Intra/train chunk) holds one chunk per class and
 * subject out instead. Any other base is returned as it is.
 *
 * @param base The configuration the task's flags and the model's recipe give.
 * @returns `base`, or a copy with `holdoutChunks` 1.
 *
 * @example
 * ```ts
 * import { searchBase } from "./search_base.ts";
 * import { runConfig } from "../training/run_config.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(searchBase(runConfig("intra", "/data", { model: "gru" })).holdoutChunks, 1);
 * const cross = runConfig("cross", "/data", { model: "gru" });
 * assertEquals(searchBase(cross), cross);
 * ```
 */
export function searchBase(base: RunConfig): RunConfig {
  const spec = validationOf(base);
  return spec.kind === "holdout" && spec.chunks === 0 ? { ...base, holdoutChunks: 1 } : base;
}
