import { assertEquals, assertThrows } from "@std/assert";
import { join } from "node:path";
import { defaultDatasetDir } from "../../synth/default_dataset_dir.ts";
import { megflowCacheDir } from "../../synth/megflow_cache_dir.ts";
import type { SynthPreset } from "../../synth/presets.ts";
import { SYNTH_VERSION } from "../../synth/version.ts";

Deno.test("defaultDatasetDir() defaults to the full preset and seed 42", () => {
  assertEquals(defaultDatasetDir(undefined, undefined, { cacheDir: "/c" }), `/c/synth/full-seed42-v${SYNTH_VERSION}`);
  assertEquals(defaultDatasetDir("small", undefined, { cacheDir: "/c" }), `/c/synth/small-seed42-v${SYNTH_VERSION}`);
});

Deno.test("defaultDatasetDir() gives each preset and seed its own folder", () => {
  const dirs = ["full", "small"].flatMap((preset) =>
    [0, 1, 42].map((seed) => defaultDatasetDir(preset as SynthPreset, seed, { cacheDir: "/c" }))
  );
  assertEquals(new Set(dirs).size, 6);
  assertEquals(defaultDatasetDir("small", 0, { cacheDir: "/c" }), `/c/synth/small-seed0-v${SYNTH_VERSION}`);
});

Deno.test("defaultDatasetDir() lives under megflowCacheDir() when no cache root is given", () => {
  assertEquals(defaultDatasetDir("small", 3), join(megflowCacheDir(), "synth", `small-seed3-v${SYNTH_VERSION}`));
});

Deno.test("defaultDatasetDir() joins a relative cache root without resolving it", () => {
  assertEquals(defaultDatasetDir("full", 1, { cacheDir: "cache/" }), `cache/synth/full-seed1-v${SYNTH_VERSION}`);
});

Deno.test("defaultDatasetDir() rejects an unknown preset, naming the known ones", () => {
  assertThrows(
    () => defaultDatasetDir("huge" as SynthPreset, 1),
    RangeError,
    'preset must be one of full, small, got "huge"',
  );
  // Names of Object.prototype are not presets.
  assertThrows(() => defaultDatasetDir("toString" as SynthPreset, 1), RangeError, '"toString"');
});

Deno.test("defaultDatasetDir() rejects a seed that is not a safe integer", () => {
  for (const seed of [1.5, NaN, Infinity, 2 ** 53]) {
    assertThrows(() => defaultDatasetDir("small", seed), RangeError, `seed must be an integer, got ${seed}`);
  }
});
