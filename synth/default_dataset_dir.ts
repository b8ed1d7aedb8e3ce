/**
 * Folder of the default synthetic dataset of a preset and seed.
 *
 * @module
 */
import { join } from "node:path";
import { megflowCacheDir } from "./megflow_cache_dir.ts";
import { SYNTH_PRESETS, type SynthPreset } from "./presets.ts";
import { SYNTH_VERSION } from "./version.ts";

/** Options of {@linkcode defaultDatasetDir}. */
export interface DefaultDatasetDirOptions {
  /** Cache root. Default: {@linkcode megflowCacheDir}(). */
  cacheDir?: string;
}

/**
 * The folder where the default synthetic dataset of `preset` and `seed`
 * lives: `<cacheDir>/synth/<preset>-seed<seed>-v<SYNTH_VERSION>`. A new
 * generator version gets a new folder, so stale data is never reused.
 *
 * @param preset `"full"` or `"small"`. Default `"full"`.
 * @param seed Dataset seed. Default `42`.
 * @param options Cache root.
 * @returns The folder path (not created).
 * @throws {RangeError} for an unknown preset or a non-integer seed.
 *
 * @example
 * ```ts
 * import { defaultDatasetDir } from "./default_dataset_dir.ts";
 * import { SYNTH_VERSION } from "./version.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(
 *   defaultDatasetDir("small", 7, { cacheDir: "/cache" }),
 *   `/cache/synth/small-seed7-v${SYNTH_VERSION}`,
 * );
 * ```
 */
export function defaultDatasetDir(
  preset: SynthPreset = "full",
  seed = 42,
  options: DefaultDatasetDirOptions = {},
): string {
  if (!Object.hasOwn(SYNTH_PRESETS, preset)) {
    throw new RangeError(
      `Cannot locate default dataset: preset must be one of ${Object.keys(SYNTH_PRESETS).join(", ")}, got ${
        JSON.stringify(preset)
      }`,
    );
  }
  if (!Number.isSafeInteger(seed)) {
    throw new RangeError(`Cannot locate default dataset: seed must be an integer, got ${seed}`);
  }
  return join(options.cacheDir ?? megflowCacheDir(), "synth", `${preset}-seed${seed}-v${SYNTH_VERSION}`);
}
