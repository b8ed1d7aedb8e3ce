/**
 * Stable identifiers of trials: a hash of everything in a trial's run
 * configuration that can change its result.
 *
 * @module
 */
import type { RunConfig } from "../training/run_config.ts";
import { canonicalJson } from "../core/canonical_json.ts";

/** Fields of a `RunConfig` that do not change a run's result and so are not part of its id. */
export const ID_IGNORED_FIELDS: readonly string[] = ["cacheDir"];

/**
 * Switches added to `RunConfig` after searches were run: left out of the id while off, so
 * the trials of an earlier search keep their ids (and resume) and only a trial that turns
 * one on gets a new id (off: false, 0 or `"none"`).
 */
export const OFF_BY_DEFAULT_FIELDS: readonly string[] = [
  "adaptBatchNorm",
  "mixupAlpha",
  "labelSmoothing",
  "weightDecay",
  "testTimeAdaptation",
  "weightAverage",
];

/**
 * What a config without `validation` (written before the field) means by its other fields:
 * `"splits"` when it lists validation folders, else `"holdout"`. A `validation` equal to it
 * leaves the id unchanged, so searches and studies made before the field resume.
 */
function impliedValidation(config: RunConfig): string {
  return (config.validationSplits ?? []).length > 0 ? "splits" : "holdout";
}

/**
 * The id of a trial: `t` and the first 12 hex digits of the SHA-256 of the
 * canonical JSON of its configuration without {@linkcode ID_IGNORED_FIELDS}.
 * The same configuration always gets the same id (on any machine), which is
 * what lets a search skip the trials it already ran.
 *
 * @param config The trial's run configuration.
 * @returns E.g. `t3fa2b1c09e8d`.
 *
 * @example
 * ```ts
 * import { trialId } from "./trial_id.ts";
 * import { runConfig } from "../training/run_config.ts";
 * import { assertEquals, assertNotEquals } from "@std/assert";
 *
 * const a = runConfig("cross", "/data", { learningRate: 1e-3 });
 * assertEquals(await trialId(a), await trialId({ ...a, cacheDir: "/elsewhere" }));
 * assertNotEquals(await trialId(a), await trialId({ ...a, learningRate: 2e-3 }));
 * ```
 */
export async function trialId(config: RunConfig): Promise<string> {
  const kept = Object.fromEntries(
    Object.entries(config).filter(([key, value]) =>
      !ID_IGNORED_FIELDS.includes(key) && !(OFF_BY_DEFAULT_FIELDS.includes(key) && (!value || value === "none")) &&
      !(key === "validation" && impliedValidation(config) === value)
    ),
  );
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(canonicalJson(kept)));
  return "t" + Array.from(new Uint8Array(digest).subarray(0, 6), (b) => b.toString(16).padStart(2, "0")).join("");
}
