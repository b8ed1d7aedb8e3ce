/**
 * Reads a recording already resampled, from a cache of float32 files when one
 * is given, so that only the first epoch reads and filters the raw h5 file.
 *
 * A cache entry is keyed by the file's identity (resolved path, size,
 * modification time) and the parameters that shape its content (rates, filter
 * design, sample limit, expected channels): when any changes, the key changes
 * and the old entry is simply not used. Entries are written atomically, only
 * after the recording was read to its end without error (a unique temporary
 * file renamed into place, so runs sharing a cache folder never see each
 * other's half-written entries). An entry that is truncated or corrupt (its
 * header's magic, version, length or payload checksum do not match) is never
 * read as data: it is recomputed from the raw file and rewritten.
 *
 * @module
 */
import { concat, defer, from, ignoreElements, type Observable, switchMap, tap } from "rxjs";
import { join, resolve } from "node:path";
import { designResampleFilter } from "../operators/resample.ts";
import type { ReadBlocksOptions } from "../sources/read_blocks.ts";
import { writeFileAtomic } from "../core/atomic_write.ts";
import { RAW_SFREQ } from "../core/types.ts";
import type { Block, Recording } from "../core/types.ts";
import { DataFileError } from "../core/errors.ts";
import type { ResamplePool } from "./resample_pool.ts";
import { readAndResample } from "./_read_and_resample.ts";
import { decodeEntry, encodeEntry } from "./_resample_cache_entry.ts";

/** Options of {@linkcode readResampled}: those of `readBlocks`, plus the target rate and cache. */
export interface ReadResampledOptions extends ReadBlocksOptions {
  /** Target rate in Hz (integer). Default: 125. */
  toHz?: number;
  /**
   * Folder of the cache of resampled recordings (created when missing). It must
   * not be inside a data folder. Default: none (no cache: always read the raw file).
   */
  cacheDir?: string;
  /**
   * Workers that read and resample raw files (see `ResamplePool`): a recording missing
   * from the cache is then read and resampled on another core; the blocks are the same,
   * bit for bit. Default: none (this thread reads and resamples).
   */
  pool?: ResamplePool;
  /**
   * A cached entry is read only once this promise has settled; a missing one is computed at
   * once. `streamWindows` passes the end of the recording before, since reading a cached
   * recording ahead of its turn gains nothing (the stream's thread does all its work) and only
   * holds its windows in memory. Default: none (read at once).
   */
  cachedAfter?: Promise<unknown>;
}

/** Bump when the resampling code changes what it computes. */
const RESAMPLE_CACHE_VERSION = 1;

/**
 * The cache key of a recording under the given reading and resampling options.
 *
 * @param path The h5 file.
 * @param options Rates and reading options.
 * @returns A hex SHA-256 digest.
 * @throws {DataFileError} when the file does not exist or cannot be read.
 */
export async function resampledCacheKey(path: string, options: ReadResampledOptions = {}): Promise<string> {
  const absolute = resolve(path);
  const stat = await Deno.stat(absolute).catch((error) => {
    const reason = error instanceof Deno.errors.NotFound ? "file does not exist" : `cannot read file: ${error.message}`;
    throw new DataFileError(path, reason, { cause: error });
  });
  const fromHz = options.sfreq ?? RAW_SFREQ;
  const toHz = options.toHz ?? 125;
  const filter = designResampleFilter(toHz, fromHz);
  const identity = JSON.stringify({
    version: RESAMPLE_CACHE_VERSION,
    path: absolute,
    size: stat.size,
    mtime: stat.mtime?.getTime() ?? null,
    fromHz,
    toHz,
    taps: filter.taps.length,
    up: filter.up,
    down: filter.down,
    maxSamples: options.maxSamples ?? null,
    expectedChannels: options.expectedChannels ?? null,
  });
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(identity));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Blocks of one recording resampled to `toHz` (Float32Array data). With a
 * `cacheDir`, a cached entry is emitted as one block (after `gate.ready()`),
 * and a missing one is computed from the raw file and then stored.
 *
 * @param recording The recording.
 * @param options Reading, resampling and cache options.
 * @returns A cold Observable of resampled blocks, in time order.
 * @throws {DataFileError} (as an error notification) for a bad input file.
 *
 * @example
 * ```ts
 * import { lastValueFrom, toArray } from "rxjs";
 * import h5wasm from "h5wasm/node";
 * import { readResampled } from "./read_resampled.ts";
 * import type { Recording } from "../core/types.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const dir = await Deno.makeTempDir();
 * const path = `${dir}/rest_1_1.h5`;
 * await h5wasm.ready;
 * const file = new h5wasm.File(path, "w");
 * file.create_dataset({ name: "rest_1", data: new Float64Array(248 * 2034).fill(1e-12), shape: [248, 2034], dtype: "<d" });
 * file.close();
 * const recording: Recording = {
 *   path, split: ".", taskType: "rest", label: "rest", subject: "1", chunk: 1, datasetName: "rest_1",
 * };
 * const options = { toHz: 125, cacheDir: `${dir}/cache` };
 * const first = await lastValueFrom(readResampled(recording, options).pipe(toArray()));
 * const cached = await lastValueFrom(readResampled(recording, options).pipe(toArray()));
 * assertEquals(cached.length, 1); // one block from the cache
 * assertEquals(cached[0].nTimes, first.reduce((n, b) => n + b.nTimes, 0));
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function readResampled(recording: Recording, options: ReadResampledOptions = {}): Observable<Block> {
  const toHz = options.toHz ?? 125;
  const { pool } = options;
  const fromRaw = () =>
    pool ? pool.read(recording, { ...options, toHz }) : readAndResample(recording, { ...options, toHz });
  const cacheDir = options.cacheDir;
  if (cacheDir === undefined) return defer(fromRaw);
  return from(resampledCacheKey(recording.path, options)).pipe(
    switchMap((key) => {
      const entry = join(cacheDir, `${key}.f32`);
      return defer(async () => {
        if (options.cachedAfter && await Deno.stat(entry).then(() => true, () => false)) {
          await options.cachedAfter.catch(() => {}); // an entry to read: wait for its turn
        }
        const bytes = await Deno.readFile(entry).catch(() => undefined);
        return bytes && decodeEntry(bytes, recording);
      }).pipe(switchMap((cached) => {
        if (cached) return defer(async () => (await options.gate?.ready(), cached));
        const blocks: Block[] = [];
        const store = defer(async () => {
          if (blocks.length === 0) return;
          // A cache that cannot be written only costs speed: warn, do not fail the run.
          const bytes = encodeEntry(blocks);
          await writeFileAtomic(entry, bytes).catch((error) =>
            console.warn(`megflow: cannot write resample cache ${entry}: ${error}`)
          );
          (bytes.buffer as ArrayBuffer).transfer(0); // written: free its 2.2 MB now, not at the next major GC
        }).pipe(ignoreElements());
        return concat(fromRaw().pipe(tap((block) => blocks.push(block))), store);
      }));
    }),
  );
}
