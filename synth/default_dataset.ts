/**
 * The embedded default data of every megflow task: a synthetic dataset
 * generated once into the cache folder, split folder by split folder, and
 * reused afterwards.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { exists } from "../core/_exists.ts";
import { writeFileAtomic } from "../core/atomic_write.ts";
import { defaultDatasetDir } from "./default_dataset_dir.ts";
import { megflowCacheDir } from "./megflow_cache_dir.ts";
import { type DatasetPlan, planDataset } from "./plan_dataset.ts";
import type { SynthPreset } from "./presets.ts";
import { SYNTH_GENERATOR, SYNTH_VERSION } from "./version.ts";
import { writeDataset } from "./write_dataset.ts";

/** Name of the marker file in a default dataset folder, listing its complete splits. */
export const SYNTH_MARKER_FILE = "megflow-synth.json";

/** Options of {@linkcode ensureDefaultDataset}. */
export interface EnsureDefaultDatasetOptions {
  /** `"full"` (the assignment's exact sizes, 128 files, ~9.05 GB in all) or `"small"` (~228 MB). Default `"full"`. */
  preset?: SynthPreset;
  /** Dataset seed. Default `42`. */
  seed?: number;
  /**
   * Split folders that must be present, e.g. `["Cross/train"]`; others are
   * not generated. Default: every split of the preset.
   */
  splits?: readonly string[];
  /** Cache root. Default: `megflowCacheDir()` (`$MEGFLOW_CACHE_DIR`, `$XDG_CACHE_HOME/megflow`, `~/.cache/megflow`). */
  cacheDir?: string;
  /** Regenerate the splits even when they are complete. Default `false`. */
  overwrite?: boolean;
  /** Receives one progress line per generated file; `null` for silence. Default: lines on stderr. */
  onProgress?: ((message: string) => void) | null;
}

interface SplitEntry {
  files: number;
  bytes: number;
  createdAt: string;
}

interface Marker {
  generator: string;
  version: number;
  preset: SynthPreset;
  seed: number;
  nTimes: number;
  sfreq: number;
  splits: Record<string, SplitEntry>;
}

const STALE_LOCK_MS = 120_000;
const STAGING = ".staging";

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function readMarker(dir: string, plan: DatasetPlan, seed: number): Promise<Marker | undefined> {
  try {
    const marker: Marker = JSON.parse(await Deno.readTextFile(join(dir, SYNTH_MARKER_FILE)));
    const matches = marker.generator === SYNTH_GENERATOR && marker.version === SYNTH_VERSION &&
      marker.preset === plan.preset && marker.seed === seed && marker.nTimes === plan.layout.nTimes &&
      marker.sfreq === plan.layout.sfreq && typeof marker.splits === "object" && marker.splits !== null;
    return matches ? marker : undefined;
  } catch {
    return undefined;
  }
}

/** Whether `split` is listed complete in the marker and all its files exist. */
async function isComplete(dir: string, marker: Marker | undefined, plan: DatasetPlan, split: string): Promise<boolean> {
  const files = plan.files.filter((f) => f.split === split);
  if (!marker || marker.splits[split]?.files !== files.length) return false;
  for (const file of files) {
    if (!(await Deno.stat(join(dir, file.path)).then((s) => s.isFile, () => false))) return false;
  }
  return true;
}

async function allComplete(dir: string, plan: DatasetPlan, seed: number): Promise<boolean> {
  const marker = await readMarker(dir, plan, seed);
  for (const split of plan.splits) if (!(await isComplete(dir, marker, plan, split))) return false;
  return true;
}

async function tryLock(lockPath: string): Promise<boolean> {
  try {
    await Deno.writeTextFile(lockPath, JSON.stringify({ pid: Deno.pid, since: new Date().toISOString() }), {
      createNew: true,
    });
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) return false;
    throw error;
  }
}

/** True when the lock names a process id that no longer runs (checked where /proc exists). */
async function lockOwnerGone(lockPath: string): Promise<boolean> {
  try {
    const { pid } = JSON.parse(await Deno.readTextFile(lockPath));
    if (!Number.isSafeInteger(pid) || !(await exists("/proc/self"))) return false;
    return !(await exists(`/proc/${pid}`));
  } catch {
    return false;
  }
}

async function removeEmptyFolders(root: string): Promise<void> {
  for (const sub of ["Intra", "Cross", ""]) await Deno.remove(join(root, sub)).catch(() => {});
}

/**
 * Makes sure the default synthetic dataset of `preset` and `seed` holds the
 * requested split folders, generating the missing ones, and returns its
 * folder (`defaultDatasetDir(preset, seed)`). Each split is generated under
 * the hidden folder `<dir>/.staging/` (resumable: complete files survive an
 * interruption) and renamed into place only when all its files are written;
 * the marker `megflow-synth.json` then records it as complete. A lock file
 * `<dir>.lock` makes concurrent callers wait for one generator. Reuse checks
 * the marker (generator version, preset, seed, length) and that every file
 * of the requested splits exists.
 *
 * @param options Preset, seed, splits, cache root, overwrite, progress callback.
 * @returns The dataset folder (holds `Intra/` and `Cross/`).
 * @throws {RangeError} for an unknown preset or split, or a non-integer seed.
 *
 * @example
 * ```ts
 * import { ensureDefaultDataset } from "./default_dataset.ts";
 * import { assert } from "@std/assert";
 *
 * const cacheDir = await Deno.makeTempDir();
 * const options = { preset: "small", splits: ["Cross/test2"], cacheDir, onProgress: null } as const;
 * const dir = await ensureDefaultDataset(options);
 * assert((await Deno.stat(`${dir}/Cross/test2/rest_707749_2.h5`)).isFile);
 * assert((await ensureDefaultDataset(options)) === dir); // reused, nothing regenerated
 * await Deno.remove(cacheDir, { recursive: true });
 * ```
 */
export async function ensureDefaultDataset(options: EnsureDefaultDatasetOptions = {}): Promise<string> {
  const { preset = "full", seed = 42, overwrite = false } = options;
  const cacheDir = options.cacheDir ?? megflowCacheDir();
  const report = options.onProgress === undefined ? (message: string) => console.error(message) : options.onProgress;
  const dir = defaultDatasetDir(preset, seed, { cacheDir });
  const plan = planDataset({ preset, splits: options.splits });

  if (!overwrite && (await allComplete(dir, plan, seed))) return dir;
  await Deno.mkdir(dirname(dir), { recursive: true });
  const lockPath = `${dir}.lock`;
  while (!(await tryLock(lockPath))) {
    if (!overwrite && (await allComplete(dir, plan, seed))) return dir;
    const stat = await Deno.stat(lockPath).catch(() => undefined);
    if ((stat?.mtime && Date.now() - stat.mtime.getTime() > STALE_LOCK_MS) || (await lockOwnerGone(lockPath))) {
      await Deno.remove(lockPath).catch(() => {});
      continue;
    }
    await delay(500);
  }
  try {
    await Deno.mkdir(dir, { recursive: true });
    const marker: Marker = (await readMarker(dir, plan, seed)) ?? {
      generator: SYNTH_GENERATOR,
      version: SYNTH_VERSION,
      preset,
      seed,
      nTimes: plan.layout.nTimes,
      sfreq: plan.layout.sfreq,
      splits: {},
    };
    const staging = join(dir, STAGING);
    for (const split of plan.splits) {
      if (!overwrite && (await isComplete(dir, marker, plan, split))) continue;
      delete marker.splits[split];
      await writeFileAtomic(join(dir, SYNTH_MARKER_FILE), JSON.stringify(marker, null, 2) + "\n");
      const target = join(dir, split);
      const staged = join(staging, split);
      if (await exists(target)) {
        // An incomplete split folder (e.g. a file deleted by hand) is resumed, not discarded.
        if (await exists(staged)) await Deno.remove(target, { recursive: true });
        else {
          await Deno.mkdir(dirname(staged), { recursive: true });
          await Deno.rename(target, staged);
        }
      }
      const nFiles = plan.files.filter((f) => f.split === split).length;
      report?.(
        `megflow synth: generating ${split} of the ${preset} synthetic dataset (${nFiles} files, seed ${seed}) in ${dir}`,
      );
      const summary = await writeDataset(staging, {
        preset,
        seed,
        splits: [split],
        overwrite,
        onProgress: (p) => {
          const now = new Date();
          Deno.utime(lockPath, now, now).catch(() => {});
          report?.(
            `megflow synth: [${p.done}/${p.total}] ${p.path} ${p.action} (${(p.bytes / 1e6).toFixed(1)} MB, ${
              p.seconds.toFixed(2)
            } s)`,
          );
        },
      });
      await Deno.mkdir(dirname(target), { recursive: true });
      await Deno.rename(staged, target);
      marker.splits[split] = { files: summary.files, bytes: summary.bytes, createdAt: new Date().toISOString() };
      await writeFileAtomic(join(dir, SYNTH_MARKER_FILE), JSON.stringify(marker, null, 2) + "\n");
    }
    await removeEmptyFolders(staging);
    return dir;
  } finally {
    await Deno.remove(lockPath).catch(() => {});
  }
}
