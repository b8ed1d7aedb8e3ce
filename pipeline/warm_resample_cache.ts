/**
 * Fills the resample cache with several Deno Workers at once, so that the
 * first epoch does not read and filter raw files on the training thread and
 * the machine's other cores do the reading. tfjs trains on one thread under
 * Deno; this is where the second core helps.
 *
 * @module
 */
import { DataFileError } from "../core/errors.ts";
import { exists } from "../core/_exists.ts";
import { type ReadResampledOptions, resampledCacheKey } from "./read_resampled.ts";
import type { Recording } from "../core/types.ts";
import type { WarmJob } from "./_warm_cache_worker.ts";
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
 * Resamples every recording missing from the cache, `workers` at a time, each
 * in its own Deno Worker (its own h5wasm heap). Rejects with a
 * {@linkcode DataFileError} naming the first bad file; the cache never holds a
 * partial entry (entries are written atomically after a complete read).
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
  const { workers: wanted, onProgress, gate: _gate, ...readOptions } = options;
  const missing: Recording[] = [];
  for (const recording of recordings) {
    const entry = join(options.cacheDir, `${await resampledCacheKey(recording.path, readOptions)}.f32`);
    if (!(await exists(entry))) missing.push(recording);
  }
  const count = Math.max(1, Math.min(wanted ?? navigator.hardwareConcurrency ?? 1, missing.length));
  let next = 0;
  let done = 0;
  let failure: DataFileError | undefined;
  const runWorker = async () => {
    const worker = new Worker(new URL("./_warm_cache_worker.ts", import.meta.url), { type: "module" });
    try {
      while (next < missing.length && !failure) {
        const recording = missing[next++];
        const reply = await new Promise<{ ok: boolean; path: string; message?: string }>((resolve, reject) => {
          worker.onmessage = (event) => resolve(event.data);
          worker.onerror = (event) => {
            event.preventDefault();
            reject(new DataFileError(recording.path, `worker failed: ${event.message}`));
          };
          worker.postMessage({ recording, options: readOptions } satisfies WarmJob);
        });
        if (!reply.ok) {
          failure ??= new DataFileError(recording.path, reply.message?.replace(`${recording.path}: `, "") ?? "failed");
        }
        onProgress?.(++done, missing.length);
      }
    } finally {
      worker.terminate();
    }
  };
  if (missing.length > 0) await Promise.all(Array.from({ length: count }, runWorker));
  if (failure) throw failure;
  return {
    written: missing.length,
    cached: recordings.length - missing.length,
    seconds: (performance.now() - started) / 1000,
  };
}
