/**
 * `deno task synth`: writes a synthetic dataset in the assignment's layout.
 *
 * ```sh
 * deno task synth                                  # full preset into the default cache folder
 * deno task synth --preset small --out data/small  # small test-size dataset
 * deno task synth --out /tmp/x --samples 8192 --cross-train-chunks 2 --splits Cross/train,Cross/test1
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import { commaList } from "./_flags.ts";
import { join } from "node:path";
import { ensureDefaultDataset } from "../synth/default_dataset.ts";
import { defaultDatasetDir } from "../synth/default_dataset_dir.ts";
import { planDataset } from "../synth/plan_dataset.ts";
import type { SynthPreset } from "../synth/presets.ts";
import {
  type SynthProgress,
  writeDataset,
  type WriteDatasetOptions,
  type WriteDatasetSummary,
} from "../synth/write_dataset.ts";

const USAGE = `Usage: deno task synth [options]

Writes a synthetic MEG dataset (Intra/train, Intra/test, Cross/train, Cross/test1..3;
files <taskType>_<subject>_<chunk>.h5, one float64 dataset [248, nTimes] in Tesla).
Existing complete files are skipped, so an interrupted run resumes.

Options:
  --out DIR                 output folder (default: the default dataset folder in the
                            megflow cache, e.g. ~/.cache/megflow/synth/full-seed42-v1,
                            which takes only --preset, --seed, --splits, --overwrite)
  --preset full|small       layout (default full: 128 files x 248 x 35624, ~9.05 GB;
                            small: 28 files x 248 x 4096, ~228 MB)
  --seed N                  seed of every generated value (default 42)
  --samples N               samples per channel (nTimes) of every file
  --intra-train-chunks N    chunks per class in Intra/train
  --intra-test-chunks N     chunks per class in Intra/test
  --cross-train-chunks N    chunks per class and subject in Cross/train
  --cross-test-chunks N     chunks per class in each Cross/testK
  --splits a,b              only these folders, e.g. Intra/train,Cross/test1
  --overwrite               regenerate files that already exist
  --quiet                   no per-file progress
  -h, --help                this text
`;

const INTEGER_FLAGS = {
  "samples": "nTimes",
  "intra-train-chunks": "intraTrainChunks",
  "intra-test-chunks": "intraTestChunks",
  "cross-train-chunks": "crossTrainChunks",
  "cross-test-chunks": "crossTestChunks",
} as const;

function parseInteger(flag: string, text: string, min: number): number {
  if (!/^-?\d+$/.test(text.trim())) throw new RangeError(`--${flag} must be an integer, got ${JSON.stringify(text)}`);
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`--${flag} must be an integer >= ${min}, got ${text}`);
  }
  return value;
}

function printProgress(progress: SynthProgress): void {
  console.error(
    `[${progress.done}/${progress.total}] ${progress.path} ${progress.action} (${
      (progress.bytes / 1e6).toFixed(1)
    } MB, ${progress.seconds.toFixed(2)} s)`,
  );
}

/**
 * Runs the synth command with command-line `args`.
 *
 * @param args Command-line arguments, e.g. `["--preset", "small", "--out", "data"]`.
 * @returns What was written or found (undefined for `--help`); for the default
 *   folder `written` and `skipped` are not known and reported as 0.
 * @throws {RangeError} for an unknown flag, a missing or bad value, or layout
 *   flags without `--out` (the default folder always holds a preset's exact layout).
 *
 * @example
 * ```ts
 * import { main } from "./synth.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const out = await Deno.makeTempDir();
 * const summary = await main(["--out", out, "--preset", "small", "--samples", "32", "--splits", "Intra/test", "--quiet"]);
 * assertEquals(summary?.files, 4);
 * await Deno.remove(out, { recursive: true });
 * ```
 */
export async function main(args: string[]): Promise<WriteDatasetSummary | undefined> {
  const values = parseSynthFlags(args);
  if (values.help) {
    console.log(USAGE);
    return undefined;
  }
  const preset = (values.preset ?? "full") as SynthPreset;
  if (preset !== "full" && preset !== "small") {
    throw new RangeError(`--preset must be full or small, got ${JSON.stringify(values.preset)}`);
  }
  const seed = values.seed === undefined ? 42 : parseInteger("seed", values.seed, Number.MIN_SAFE_INTEGER);
  const options: WriteDatasetOptions = { preset, seed, overwrite: values.overwrite ?? false };
  const layoutFlags = applyLayoutFlags(options, values);
  if (values.splits !== undefined) {
    const splits = commaList(values.splits);
    if (splits.length === 0) {
      throw new RangeError(`--splits must name at least one folder, got ${JSON.stringify(values.splits)}`);
    }
    options.splits = splits;
  }
  const onProgress = values.quiet ? undefined : printProgress;

  if (values.out === undefined) {
    if (layoutFlags.length > 0) {
      throw new RangeError(
        `${layoutFlags.join(", ")} ${layoutFlags.length === 1 ? "needs" : "need"} --out DIR: the default folder ${
          defaultDatasetDir(preset, seed)
        } holds the ${preset} preset's exact layout`,
      );
    }
    return await writeDefaultFolder(preset, seed, options, values.quiet ?? false);
  }
  if (values.out === "") throw new RangeError("--out must be a folder path, got an empty string");
  const summary = await writeDataset(values.out, { ...options, onProgress });
  console.log(
    `synth: ${summary.files} files (${summary.written} written, ${summary.skipped} skipped), ${
      (summary.bytes / 1e9).toFixed(2)
    } GB, ${summary.seconds.toFixed(1)} s -> ${summary.outDir}`,
  );
  return summary;
}

/** Parses the flags of the synth command; a parse error becomes a RangeError pointing to `--help`. */
function parseSynthFlags(args: string[]) {
  try {
    return parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        out: { type: "string" },
        preset: { type: "string" },
        seed: { type: "string" },
        samples: { type: "string" },
        "intra-train-chunks": { type: "string" },
        "intra-test-chunks": { type: "string" },
        "cross-train-chunks": { type: "string" },
        "cross-test-chunks": { type: "string" },
        splits: { type: "string" },
        overwrite: { type: "boolean" },
        quiet: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (error) {
    throw new RangeError(`${(error as Error).message} (see --help)`);
  }
}

/**
 * Sets the layout overrides of the integer flags (`--samples`, `--*-chunks`) in `options`.
 *
 * @returns The flags given, e.g. `["--samples"]`.
 */
function applyLayoutFlags(
  options: WriteDatasetOptions,
  values: Partial<Record<keyof typeof INTEGER_FLAGS, string>>,
): string[] {
  const layoutFlags: string[] = [];
  for (
    const [flag, key] of Object.entries(INTEGER_FLAGS) as Array<
      [keyof typeof INTEGER_FLAGS, typeof INTEGER_FLAGS[keyof typeof INTEGER_FLAGS]]
    >
  ) {
    const text = values[flag];
    if (text === undefined) continue;
    options[key] = parseInteger(flag, text, 1);
    layoutFlags.push(`--${flag}`);
  }
  return layoutFlags;
}

/**
 * Makes sure the default dataset folder of `preset` and `seed` holds the
 * selected splits (generating what is missing) and summarises it.
 */
async function writeDefaultFolder(
  preset: SynthPreset,
  seed: number,
  options: WriteDatasetOptions,
  quiet: boolean,
): Promise<WriteDatasetSummary> {
  const started = performance.now();
  const plan = planDataset({ preset, splits: options.splits });
  const dir = await ensureDefaultDataset({
    preset,
    seed,
    splits: plan.splits,
    overwrite: options.overwrite,
    onProgress: quiet ? null : (message) => console.error(message),
  });
  let bytes = 0;
  for (const file of plan.files) bytes += (await Deno.stat(join(dir, file.path))).size;
  const summary: WriteDatasetSummary = {
    outDir: dir,
    preset,
    seed,
    nTimes: plan.layout.nTimes,
    sfreq: plan.layout.sfreq,
    splits: plan.splits,
    files: plan.files.length,
    written: 0,
    skipped: 0,
    bytes,
    seconds: (performance.now() - started) / 1000,
  };
  console.log(
    `synth: ${summary.files} files, ${(bytes / 1e9).toFixed(2)} GB, ${summary.seconds.toFixed(1)} s -> ${dir}`,
  );
  return summary;
}

if (import.meta.main) {
  try {
    await main(Deno.args);
  } catch (error) {
    console.error(`synth: ${error instanceof Error ? error.message : String(error)}`);
    Deno.exit(error instanceof RangeError || error instanceof TypeError ? 2 : 1);
  }
}
