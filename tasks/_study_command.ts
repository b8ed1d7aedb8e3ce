/**
 * The `deno task study` command line.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join, resolve } from "node:path";
import { BACKEND_CHOICES, type BackendChoice } from "../backends/backend.ts";
import { checkModelOptions, MODELS } from "../models/registry.ts";
import { ensureDefaultDataset } from "../synth/default_dataset.ts";
import { megflowCacheDir } from "../synth/megflow_cache_dir.ts";
import type { Strategy } from "../tune/plan_search.ts";
import { IMPROVEMENTS } from "../study/improvements.ts";
import { runCounts } from "../study/report.ts";
import { runStudy } from "../study/run_study.ts";
import { defaultStudySettings, type StudySettings } from "../study/study_settings.ts";
import { commaList, positiveIntFlag, timeStamp } from "./_flags.ts";
import { readSearchSpaceFile } from "./_read_search_space.ts";
import { parseValidationFlag } from "../training/validation_plan.ts";

const DEFAULTS: StudySettings = defaultStudySettings("", null);

/** Runs at once by default: one per CPU core, at most 4 (wasm training uses one core each). */
export const DEFAULT_STUDY_WORKERS: number = Math.max(1, Math.min(4, navigator.hardwareConcurrency || 1));

/** The flags of `deno task study`, in `--help` form. */
export const STUDY_FLAGS =
  `  --data DIR              dataset root with Intra/ and Cross/ (default: the generated dataset of --preset)
  --preset full|small     generated dataset used without --data (default: full; small is a quick toy)
  --models LIST           models compared intra vs cross (default: ${DEFAULTS.models.join(",")})
  --seeds N|LIST          seeds 1..N, or a comma-separated list (default: ${DEFAULTS.seeds.length})
  --epochs N              epochs of every run (default: ${DEFAULTS.epochs})
  --batch N               windows per batch (default: ${DEFAULTS.batchSize})
  --lr X                  peak learning rate (default: ${DEFAULTS.learningRate})
  --window-seconds X      window length (default: ${DEFAULTS.windowSeconds})
  --stride-seconds X      window stride of cross-subject runs (default: ${DEFAULTS.strideSeconds})
  --intra-stride-seconds X  window stride of intra-subject runs (default: ${DEFAULTS.intraStrideSeconds})
  --max-samples N         use only the first N raw samples of each recording (default: all)
  --validation WHAT       what chooses the best epoch of cross-subject runs: holdout (chunks held out of
                          the training subjects; default, so test1-3 are all untouched tests), loso,
                          loso:SUBJECT or folders (e.g. Cross/test1,Cross/test2: then validation, not test)
  --recipes               train every model with its own recipe (what train-cross/train-intra --model M
                          run: its epochs, learning rate, options, augmentation, AdaBN; see
                          training/model_recipes.ts) instead of the shared budget below; the
                          improvements are measured against those runs
  --model-options JSON    options per model, e.g. '{"gru":{}}' for the full-size GRU (default: EEGNet-8,2
                          and small versions of gru and vivit, see study/study_settings.ts)
  --improvement-model M   model the improvements are measured with (default: ${DEFAULTS.improvementModel})
  --improvements LIST     ${Object.keys(IMPROVEMENTS).join(",")} or none
                          (default: ${DEFAULTS.improvements.join(",")})
  --search-model M        model of the searches (default: ${DEFAULTS.search!.model})
  --search-strategy NAME  grid | random | halving (default: ${DEFAULTS.search!.strategy})
  --search-trials N       trials per search (default: ${DEFAULTS.search!.trials})
  --search-epochs N       epochs per trial and retrained best (default: ${DEFAULTS.search!.epochs})
  --search-space FILE     search space JSON (default: ${Object.keys(DEFAULTS.search!.space).join(", ")})
  --cross-search DIR      read this cross-subject search folder instead of searching
  --intra-search DIR      read this intra-subject search folder instead of searching
  --no-search             skip part (c)
  --workers N             runs at once, as child processes (default: one per core, at most 4; here ${DEFAULT_STUDY_WORKERS})
  --backend NAME          auto | webgpu | wasm | cpu (default: auto)
  --cache DIR             cache of resampled recordings (default: ~/.cache/megflow/resampled)
  --no-cache              always read and resample the raw files
  --out DIR               study folder (default: runs/<time>-study); rerun to continue
  --help                  this text`;

/** What the command line asks for. */
export type StudyCommand = { help: true } | { help: false; settings: StudySettings; out: string; workers: number };

function positive(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const x = Number(value);
  if (!Number.isFinite(x) || x <= 0) throw new RangeError(`--${name} must be a positive number, got ${value}`);
  return x;
}

function models(name: string, value: string[]): string[] {
  for (const m of value) {
    if (!MODELS[m]) throw new RangeError(`--${name} must name models of ${Object.keys(MODELS).join(", ")}, got ${m}`);
  }
  if (value.length === 0) throw new RangeError(`--${name} must name at least one model`);
  return value;
}

/** The flags of `deno task study`, as `parseArgs` takes them. */
export const STUDY_FLAG_OPTIONS = {
  data: { type: "string" },
  preset: { type: "string" },
  models: { type: "string" },
  seeds: { type: "string" },
  epochs: { type: "string" },
  batch: { type: "string" },
  lr: { type: "string" },
  "window-seconds": { type: "string" },
  "stride-seconds": { type: "string" },
  "intra-stride-seconds": { type: "string" },
  "max-samples": { type: "string" },
  validation: { type: "string" },
  recipes: { type: "boolean", default: false },
  "model-options": { type: "string" },
  "improvement-model": { type: "string" },
  improvements: { type: "string" },
  "search-model": { type: "string" },
  "search-strategy": { type: "string" },
  "search-trials": { type: "string" },
  "search-epochs": { type: "string" },
  "search-space": { type: "string" },
  "cross-search": { type: "string" },
  "intra-search": { type: "string" },
  "no-search": { type: "boolean", default: false },
  workers: { type: "string" },
  backend: { type: "string" },
  cache: { type: "string" },
  "no-cache": { type: "boolean", default: false },
  out: { type: "string" },
  help: { type: "boolean", default: false },
} as const;

/** The parsed flags of `deno task study`. */
type StudyFlags = ReturnType<typeof parseStudyFlags>;

/** Parses the flags of `deno task study` (strict: an unknown flag throws). */
function parseStudyFlags(args: readonly string[]) {
  return parseArgs({ args: [...args], strict: true, options: STUDY_FLAG_OPTIONS }).values;
}

/**
 * Parses the arguments of `deno task study`. Without `--data`, generates
 * (once) and uses the embedded dataset of `--preset`.
 *
 * @param args Command-line arguments.
 * @returns The command.
 * @throws {RangeError} naming the flag for a bad value.
 *
 * @example
 * ```ts
 * import { parseStudyCommand } from "./_study_command.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const command = await parseStudyCommand(["--data", "/data", "--seeds", "2", "--models", "gru", "--no-search", "--no-cache"]);
 * if (command.help) throw new Error("unexpected help");
 * assertEquals([command.settings.seeds, command.settings.models, command.settings.search], [[1, 2], ["gru"], null]);
 * ```
 */
export async function parseStudyCommand(args: readonly string[]): Promise<StudyCommand> {
  const values = parseStudyFlags(args);
  if (values.help) return { help: true };
  const preset = values.preset ?? "full";
  if (preset !== "full" && preset !== "small") throw new RangeError(`--preset must be full or small, got ${preset}`);
  const cacheDir = values["no-cache"] ? null : resolve(values.cache ?? join(megflowCacheDir(), "resampled"));
  const data = values.data !== undefined
    ? resolve(values.data)
    : await ensureDefaultDataset({ preset, onProgress: (m: string) => console.error(m) });
  const settings = defaultStudySettings(data, cacheDir);
  applyRunFlags(settings, values);
  applyModelOptions(settings, values["model-options"]);
  if (values.recipes) applyRecipes(settings, values);
  applyImprovementFlags(settings, values);
  if (values["no-search"]) settings.search = null;
  else await applySearchFlags(settings.search!, values);
  if (values.backend !== undefined) {
    if (!BACKEND_CHOICES.includes(values.backend as BackendChoice)) {
      throw new RangeError(`--backend must be ${BACKEND_CHOICES.join(", ")}, got ${values.backend}`);
    }
    settings.backend = values.backend as BackendChoice;
  }
  const workers = positiveIntFlag("workers", values.workers) ?? DEFAULT_STUDY_WORKERS;
  const out = resolve(values.out ?? join("runs", `${timeStamp()}-study`));
  return { help: false, settings, out, workers };
}

/** Applies `--models`, `--seeds` and the flags of every run (epochs, batch, rate, windows, samples). */
function applyRunFlags(settings: StudySettings, values: StudyFlags): void {
  if (values.models !== undefined) settings.models = models("models", commaList(values.models));
  if (values.seeds !== undefined) settings.seeds = seedsOf(values.seeds);
  settings.epochs = positiveIntFlag("epochs", values.epochs) ?? settings.epochs;
  settings.batchSize = positiveIntFlag("batch", values.batch) ?? settings.batchSize;
  settings.learningRate = positive("lr", values.lr) ?? settings.learningRate;
  settings.windowSeconds = positive("window-seconds", values["window-seconds"]) ?? settings.windowSeconds;
  settings.strideSeconds = positive("stride-seconds", values["stride-seconds"]) ?? settings.strideSeconds;
  settings.intraStrideSeconds = positive("intra-stride-seconds", values["intra-stride-seconds"]) ??
    settings.intraStrideSeconds;
  settings.maxSamples = positiveIntFlag("max-samples", values["max-samples"]) ?? settings.maxSamples;
  if (values.validation !== undefined) {
    const { validation, validationSplits } = parseValidationFlag(values.validation);
    settings.validation = validation === "splits" ? validationSplits.join(",") : validation;
  }
}

/** The flags of the shared budget, which `--recipes` replaces by each model's recipe. */
const SHARED_BUDGET_FLAGS = [
  "epochs",
  "batch",
  "lr",
  "window-seconds",
  "stride-seconds",
  "intra-stride-seconds",
  "model-options",
] as const;

/** `--recipes`: every model trains with its own recipe; the shared budget's flags contradict it. */
function applyRecipes(settings: StudySettings, values: StudyFlags): void {
  const given = SHARED_BUDGET_FLAGS.filter((flag) => values[flag] !== undefined);
  if (given.length > 0) {
    throw new RangeError(
      `--recipes trains every model with its own recipe (training/model_recipes.ts), so --${
        given.join(", --")
      } cannot apply: drop ${given.length === 1 ? "it" : "them"} or --recipes`,
    );
  }
  settings.recipes = true;
}

/** The seeds of `--seeds N|LIST`: 1..N for a count, else the listed integers. */
function seedsOf(value: string): number[] {
  const seeds = commaList(value).map(Number);
  if (seeds.length === 1 && Number.isSafeInteger(seeds[0]) && seeds[0] >= 1) {
    return Array.from({ length: seeds[0] }, (_, i) => i + 1);
  } else if (seeds.length > 1 && seeds.every(Number.isSafeInteger)) {
    return seeds;
  } else throw new RangeError(`--seeds must be a count or a comma-separated list of integers, got ${value}`);
}

/** Applies `--model-options JSON`, an object keyed by model (each key a known model). */
function applyModelOptions(settings: StudySettings, value: string | undefined): void {
  if (value === undefined) return;
  let options: unknown;
  try {
    options = JSON.parse(value);
  } catch {
    throw new RangeError(`--model-options must be a JSON object keyed by model, got ${value}`);
  }
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    throw new RangeError(`--model-options must be a JSON object keyed by model, got ${value}`);
  }
  for (const [model, o] of Object.entries(options)) {
    models("model-options", [model]);
    checkModelOptions(model, o);
    settings.modelOptions[model] = o as Record<string, unknown>;
  }
}

/** Applies `--improvement-model` and `--improvements LIST|none`. */
function applyImprovementFlags(settings: StudySettings, values: StudyFlags): void {
  if (values["improvement-model"] !== undefined) {
    settings.improvementModel = models("improvement-model", [values["improvement-model"]])[0];
  }
  if (values.improvements !== undefined) {
    const names = values.improvements === "none" ? [] : commaList(values.improvements);
    for (const n of names) {
      if (!IMPROVEMENTS[n]) {
        throw new RangeError(`--improvements must name ${Object.keys(IMPROVEMENTS).join(", ")} or none, got ${n}`);
      }
    }
    settings.improvements = names;
  }
}

/** Applies the `--search-*` flags and the given search folders to the study's search. */
async function applySearchFlags(search: NonNullable<StudySettings["search"]>, values: StudyFlags): Promise<void> {
  if (values["search-model"] !== undefined) search.model = models("search-model", [values["search-model"]])[0];
  if (values["search-strategy"] !== undefined) {
    if (!["grid", "random", "halving"].includes(values["search-strategy"])) {
      throw new RangeError(`--search-strategy must be grid, random or halving, got ${values["search-strategy"]}`);
    }
    search.strategy = values["search-strategy"] as Strategy;
  }
  search.trials = positiveIntFlag("search-trials", values["search-trials"]) ?? search.trials;
  search.epochs = positiveIntFlag("search-epochs", values["search-epochs"]) ?? search.epochs;
  if (values["search-space"] !== undefined) {
    search.space = await readSearchSpaceFile("search-space", values["search-space"]);
  }
  if (values["cross-search"] !== undefined) search.crossDir = resolve(values["cross-search"]);
  if (values["intra-search"] !== undefined) search.intraDir = resolve(values["intra-search"]);
}

/**
 * Runs `deno task study` with `args` and prints the conclusions.
 *
 * @param args Command-line arguments.
 */
export async function runStudyCommand(args: readonly string[]): Promise<void> {
  const command = await parseStudyCommand(args);
  if (command.help) {
    console.log(`Usage: deno task study [options]\n\n${STUDY_FLAGS}`);
    return;
  }
  const study = await runStudy(command.settings, {
    out: command.out,
    workers: command.workers,
  });
  console.log(
    `\nstudy: ${runCounts(study)}, ${(study.seconds.total / 60).toFixed(1)} min this invocation ` +
      `(training summed over workers and invocations: runs ${(study.seconds.runsSum / 60).toFixed(1)} min, ` +
      `search trials ${(study.seconds.searchTrialsSum / 60).toFixed(1)} min)`,
  );
  for (const line of study.summary.conclusions) console.log(`  - ${line}`);
  for (const task of ["cross", "intra"] as const) {
    const s = study.searches[task];
    if (s?.chosen) console.log(`  - ${task} search chose ${JSON.stringify(s.chosen)}`);
  }
  console.log(`  study folder: ${command.out} (open study.html; every number in study.json)`);
}
