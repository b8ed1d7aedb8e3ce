/**
 * Fills the resample cache with several Deno Workers at once, before a run.
 * The stream itself reads with workers too (`streamWindows`' `workers`), so
 * this is needed only to have every entry written before the first epoch.
 *
 * @module
 */
import { finalize, from, ignoreElements, lastValueFrom, mergeMap } from "rxjs";
import { readResampled, type ReadResampledOptions, resampledCacheKey } from "./read_resampled.ts";
import { ResamplePool } from "./resample_pool.ts";
import { hasWholeEntry } from "./_resample_cache_entry.ts";
import type { Recording } from "../core/types.ts";
import { join } from "node:path";

/** Options of {@linkcode warmResampleCache}. */
export interface WarmResampleCacheOptions extends ReadResampledOptions {
  /** Cache folder (required). */
  cacheDir: string;
  /** Workers reading at once. Default: `navigator.hardwareConcurrency` (at least 1). */
  workers?: number;
  /** Called after each recording with the number done and the total. Default: none. */
  onProgress?: (done: number, total: number) => void;
}

/** What {@linkcode warmResampleCache} did. */
export interface WarmResampleCacheResult {
  /** Recordings resampled and stored now. */
  written: number;
  /** Recordings already in the cache. */
  cached: number;
  /** Wall-clock seconds. */
  seconds: number;
}

/**
 * Resamples every recording missing from the cache, `workers` at a time, on a
 * {@linkcode ResamplePool} (each worker with its own h5wasm heap), and stores
 * each one as `readResampled` does. An entry whose header or length is wrong
 * (truncated, overwritten, older format) counts as missing and is rebuilt.
 * Rejects with a `DataFileError` naming the first bad file (also one that has
 * vanished or cannot be read); the cache never holds a partial entry (entries
 * are written atomically after a complete read). Several warmers and readers
 * may share one cache folder at once: each writes whole entries under a unique
 * temporary name and renames them into place. Temporary files an hour old (left
 * by a writer that was killed) are removed.
 *
 * @param recordings Recordings to cache.
 * @param options Rates, reading options, cache folder and worker count.
 * @returns Counts and time.
 *
 * @example
 * ```ts
 * import h5wasm from "h5wasm/node";
 * import { warmResampleCache } from "./warm_resample_cache.ts";
 * import type { Recording } from "../core/types.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const dir = await Deno.makeTempDir();
 * await h5wasm.ready;
 * const file = new h5wasm.File(`${dir}/rest_1_1.h5`, "w");
 * file.create_dataset({ name: "rest_1", data: new Float64Array(248 * 2034), shape: [248, 2034], dtype: "<d" });
 * file.close();
 * const recording: Recording = {
 *   path: `${dir}/rest_1_1.h5`, split: ".", taskType: "rest", label: "rest", subject: "1", chunk: 1, datasetName: "rest_1",
 * };
 * const first = await warmResampleCache([recording], { cacheDir: `${dir}/cache`, workers: 1 });
 * const again = await warmResampleCache([recording], { cacheDir: `${dir}/cache`, workers: 1 });
 * assertEquals([first.written, again.cached], [1, 1]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function warmResampleCache(
  recordings: readonly Recording[],
  options: WarmResampleCacheOptions,
): Promise<WarmResampleCacheResult> {
  const started = performance.now();
  const { workers: wanted, onProgress, gate: _gate, pool: _pool, ...readOptions } = options;
  const missing: Recording[] = [];
  for (const recording of recordings) {
    const entry = join(options.cacheDir, `${await resampledCacheKey(recording.path, readOptions)}.f32`);
    if (!(await hasWholeEntry(entry))) missing.push(recording);
  }
  if (missing.length > 0) {
    await removeStaleTemporaries(options.cacheDir);
    const workers = Math.max(1, Math.min(wanted ?? navigator.hardwareConcurrency ?? 1, missing.length));
    const pool = new ResamplePool({ workers });
    let done = 0;
    try {
      const store = (recording: Recording) =>
        readResampled(recording, { ...readOptions, pool }).pipe(
          ignoreElements(),
          finalize(() => onProgress?.(++done, missing.length)),
        );
      await lastValueFrom(from(missing).pipe(mergeMap(store, workers)), { defaultValue: undefined });
    } finally {
      pool.close();
    }
  }
  return {
    written: missing.length,
    cached: recordings.length - missing.length,
    seconds: (performance.now() - started) / 1000,
  };
}

/** Temporary files older than this are left over from a process that was killed while writing. */
const STALE_TEMPORARY_MS = 60 * 60 * 1000;

/**
 * Removes the temporary files (`.<entry>.f32.<suffix>.tmp`, see `writeFileAtomic`) that a
 * killed writer left in the cache folder, once they are an hour old: a writer that still
 * runs renames its own within seconds.
 */
async function removeStaleTemporaries(cacheDir: string): Promise<void> {
  const now = Date.now();
  try {
    for await (const entry of Deno.readDir(cacheDir)) {
      if (!entry.isFile || !/^\.[0-9a-f]{64}\.f32\..*\.tmp$/.test(entry.name)) continue;
      const path = join(cacheDir, entry.name);
      const mtime = (await Deno.stat(path).catch(() => undefined))?.mtime?.getTime();
      if (mtime !== undefined && now - mtime > STALE_TEMPORARY_MS) await Deno.remove(path).catch(() => {});
    }
  } catch {
    // no cache folder yet
  }
}
