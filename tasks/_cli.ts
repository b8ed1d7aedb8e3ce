/**
 * Command-line handling shared by the training tasks: flags and an optional
 * JSON config file turned into a {@linkcode RunConfig}.
 *
 * Precedence: built-in defaults < `--config FILE` < flags.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join, resolve } from "node:path";
import { INTRA_STRIDE_SECONDS, RUN_DEFAULTS, type RunConfig, runConfig } from "../training/run_config.ts";
import type { BackendChoice } from "../backends/backend.ts";
import type { PreprocessStep } from "../pipeline/preprocess.ts";
import { checkModelOptions, MODELS } from "../models/registry.ts";
import { checkRunConfig } from "../training/check_run_config.ts";
import { TEST_TIME_ADAPTATIONS } from "../training/adapt_entropy.ts";
import { ensureDefaultDataset } from "../synth/default_dataset.ts";
import { megflowCacheDir } from "../synth/megflow_cache_dir.ts";
import { timeStamp } from "./_flags.ts";
import { foldersOf, parseValidationFlag, validationOf } from "../training/validation_plan.ts";
import { resumeTrainCommand } from "./_resume_command.ts";
import { checkRunFolder } from "../training/run_folder.ts";

/** Flags every training task accepts, in `--help` form. */
export const COMMON_FLAGS =
  `  --data DIR              dataset root with Intra/ and Cross/ (default: the generated dataset,
                          made once in the cache folder)
  --model NAME            ${Object.keys(MODELS).join(" | ")} (default: cnn)
  --model-options JSON    model hyper-parameters, e.g. '{"dropProb":0.25}'
  --epochs N              maximum epochs (default: ${RUN_DEFAULTS.epochs})
  --batch N               windows per batch (default: ${RUN_DEFAULTS.batchSize})
  --lr X                  peak learning rate of Adam (default: ${RUN_DEFAULTS.learningRate})
  --schedule NAME         cosine | constant | step (default: cosine)
  --patience N            early stopping patience in epochs (default: ${RUN_DEFAULTS.patience})
  --window-seconds X      window length (default: 2)
  --stride-seconds X      window stride (default: 1; train-intra: ${INTRA_STRIDE_SECONDS})
  --sfreq HZ              resampling target rate (default: 125)
  --normalise NAME        zscore | minmax | none (default: zscore)
  --backend NAME          auto | webgpu | wasm | cpu (default: auto)
  --no-augment            do not augment training windows (default: time shift, sensor dropout,
                          gain jitter and noise; see pipeline/preprocess.ts)
  --no-adapt-bn           validate and test with the training BatchNorm statistics instead of each
                          subject's own (default: adapted per subject, AdaBN; labels unused)
  --adapt-bn              adapt BatchNorm per subject (the default; overrides a --config file)
  --tta NAME              test-time adaptation of each validated and tested subject, labels unused:
                          entropy (TENT: a few Adam steps of the LayerNorm and BatchNorm gains and
                          offsets that make the predictions on the subject's windows confident; for
                          LayerNorm models, which AdaBN cannot adapt) | im (the same steps, keeping
                          the subject's predictions spread over the classes) | none (default: none,
                          or the model's recipe)
  --mixup ALPHA           mix training batches (mixup, Beta(ALPHA, ALPHA) weights, e.g. 0.2; default: 0, off)
  --label-smoothing X     smooth the training targets: (1 - X) one-hot + X / classes, 0 <= X <= 0.99,
                          e.g. 0.1 (default: 0, off; validation and test losses use the plain labels)
  --weight-decay X        decoupled weight decay (AdamW): kernels shrink by lr * X each step, biases,
                          norm parameters and embeddings do not; e.g. 0.05 (default: 0, plain Adam)
  --weight-average D      validate and keep an average of the weights over epochs: after each epoch
                          average = D * average + (1 - D) * weights, 0 <= D < 1, e.g. 0.7 (default:
                          0, off: the trained weights)
  --validation WHAT        what chooses the best epoch and stops early: holdout (held-out chunks of
                          the training subjects, the default: no test subject chooses anything),
                          loso (leave one training subject out, chosen by --seed; loso:SUBJECT names
                          it), fold:I/K (fold I of K over the training chunks; deno task cv-intra
                          runs every fold) or a comma list of folders, e.g. Cross/test1,Cross/test2
                          (reported as validation, not test)
  --seed N                seed of everything random (default: 42)
  --max-samples N         use only the first N raw samples of each file (quick runs)
  --cache DIR             cache of resampled recordings (default: ~/.cache/megflow/resampled)
  --no-cache              always read and resample the raw files
  --config FILE           JSON with any RunConfig keys (flags override it)
  --out RUN_DIR           run folder (default: runs/<time>-<task>-<model>); one that holds a run is refused
  --resume RUN_DIR        continue an interrupted run from its last complete checkpoint, with its
                          config.json: other flags must agree with it, but --epochs (to extend),
                          --backend, --cache and --no-cache may change it
  --explain               after training, explain the run on test3 (saliency topomaps; see deno task explain)
  --help                  this text`;

function number(name: string, value: string | undefined, check: (x: number) => boolean, what: string) {
  if (value === undefined) return undefined;
  const x = Number(value);
  if (!check(x)) throw new RangeError(`--${name} must be ${what}, got ${value}`);
  return x;
}

const positiveInt = (x: number) => Number.isInteger(x) && x > 0;
const positive = (x: number) => Number.isFinite(x) && x > 0;

/** What a training task's command line asks for. */
export interface TrainCommand {
  /** The run's configuration. */
  config: RunConfig;
  /** Run folder. */
  runDir: string;
  /** Resume from the run folder's checkpoint. */
  resume: boolean;
  /** `--help` was given. */
  help: boolean;
}

/** The flags of a training task, as `parseArgs` takes them. */
export const TRAIN_FLAG_OPTIONS = {
  data: { type: "string" },
  model: { type: "string" },
  "model-options": { type: "string" },
  epochs: { type: "string" },
  batch: { type: "string" },
  lr: { type: "string" },
  schedule: { type: "string" },
  patience: { type: "string" },
  "window-seconds": { type: "string" },
  "stride-seconds": { type: "string" },
  sfreq: { type: "string" },
  normalise: { type: "string" },
  backend: { type: "string" },
  seed: { type: "string" },
  "max-samples": { type: "string" },
  cache: { type: "string" },
  "no-cache": { type: "boolean", default: false },
  "adapt-bn": { type: "boolean", default: false },
  mixup: { type: "string" },
  "label-smoothing": { type: "string" },
  "weight-decay": { type: "string" },
  "weight-average": { type: "string" },
  validation: { type: "string" },
  "no-adapt-bn": { type: "boolean", default: false },
  tta: { type: "string" },
  "no-augment": { type: "boolean", default: false },
  config: { type: "string" },
  out: { type: "string" },
  resume: { type: "string" },
  help: { type: "boolean", default: false },
} as const;

/** The parsed flags of a training task. */
type TrainFlags = ReturnType<typeof parseTrainFlags>;

/** Parses the flags of a training task (strict: an unknown flag throws). */
function parseTrainFlags(args: string[]) {
  return parseArgs({ args, strict: true, options: TRAIN_FLAG_OPTIONS }).values;
}

/**
 * Parses a training task's arguments into a config and run folder. Without
 * `--data`, generates (once) and uses the embedded synthetic dataset.
 *
 * @param task "cross" or "intra".
 * @param args Command-line arguments.
 * @returns The command.
 * @throws {RangeError} naming the flag for a bad value.
 */
export async function parseTrainCommand(task: RunConfig["task"], args: string[]): Promise<TrainCommand> {
  const values = parseTrainFlags(args);
  const placeholder = runConfig(task, "");
  if (values.help) return { config: placeholder, runDir: "", resume: false, help: true };
  if (values.resume) {
    return {
      ...(await resumeTrainCommand(values.resume, args, (a) => parseTrainCommand(task, a))),
      resume: true,
      help: false,
    };
  }
  // A folder that holds a run is refused before any work (trainRun checks again).
  if (values.out !== undefined) await checkRunFolder(resolve(values.out), {}, false);

  const fromFile = values.config ? await readConfigFile(values.config, placeholder) : {};
  // The model's recipe first (training/model_recipes.ts), then the file, then the flags.
  const model = values.model ?? fromFile.model;
  if (model !== undefined && !MODELS[model]) {
    throw new RangeError(`--model must be one of ${Object.keys(MODELS).join(", ")}, got ${model}`);
  }
  const base = { ...runConfig(task, "", model === undefined ? {} : { model }), ...fromFile, task };
  // A config.json written before `validation`: its folders validate, as they did.
  if (fromFile.validationSplits?.length && fromFile.validation === undefined) base.validation = "splits";
  applyModelFlags(base, values);
  applyTrainingFlags(base, values);
  base.preprocess = preprocessFromFlags(base.preprocess, values);
  applyAdaptationFlags(base, values);
  if (values.validation !== undefined) Object.assign(base, parseValidationFlag(values.validation));
  validationOf(base); // a contradictory --config fails now, not after the data are made
  if (values["no-cache"]) base.cacheDir = null;
  else base.cacheDir = resolve(values.cache ?? base.cacheDir ?? join(megflowCacheDir(), "resampled"));
  if (values.data !== undefined) {
    base.data = resolve(values.data);
  } else if (!base.data) {
    const splits = foldersOf(base);
    base.data = await ensureDefaultDataset({ preset: "full", splits, onProgress: (m: string) => console.error(m) });
  }
  const runDir = resolve(values.out ?? join("runs", `${timeStamp()}-${task}-${base.model}`));
  return { config: base, runDir, resume: false, help: false };
}

/** The keys of a `--config FILE`; throws unless it is JSON with RunConfig keys only. */
async function readConfigFile(file: string, placeholder: RunConfig): Promise<Partial<RunConfig>> {
  let fromFile: Partial<RunConfig>;
  try {
    fromFile = JSON.parse(await Deno.readTextFile(file));
  } catch (error) {
    throw new RangeError(`--config ${file}: cannot read a JSON object: ${error}`);
  }
  return checkRunConfig(`read --config ${file}`, fromFile, placeholder); // keys, types, ranges, model options
}

/** Applies `--model` and `--model-options`. */
function applyModelFlags(base: RunConfig, values: TrainFlags): void {
  if (values.model !== undefined) base.model = values.model; // checked by parseTrainCommand, before the recipe
  if (values["model-options"] !== undefined) {
    try {
      base.modelOptions = JSON.parse(values["model-options"]);
    } catch {
      throw new RangeError(`--model-options must be a JSON object, got ${values["model-options"]}`);
    }
  }
  checkModelOptions(base.model, base.modelOptions); // known options of the model, of the right types
}

/**
 * Applies the numbers of training (`--epochs`, `--batch`, `--lr`, `--label-smoothing`,
 * `--weight-decay`, ...), `--schedule` and `--backend`.
 */
function applyTrainingFlags(base: RunConfig, values: TrainFlags): void {
  base.epochs = number("epochs", values.epochs, positiveInt, "a positive integer") ?? base.epochs;
  base.batchSize = number("batch", values.batch, positiveInt, "a positive integer") ?? base.batchSize;
  base.learningRate = number("lr", values.lr, positive, "a positive number") ?? base.learningRate;
  base.patience = number("patience", values.patience, positiveInt, "a positive integer") ?? base.patience;
  base.seed = number("seed", values.seed, Number.isInteger, "an integer") ?? base.seed;
  const smoothing = number("label-smoothing", values["label-smoothing"], (x) => x >= 0 && x <= 0.99, "in [0, 0.99]");
  if (smoothing !== undefined) base.labelSmoothing = smoothing;
  const decay = number("weight-decay", values["weight-decay"], (x) => Number.isFinite(x) && x >= 0, "a number >= 0");
  if (decay !== undefined) base.weightDecay = decay;
  const average = number("weight-average", values["weight-average"], (x) => x >= 0 && x < 1, "in [0, 1)");
  if (average !== undefined) base.weightAverage = average;
  const maxSamples = number("max-samples", values["max-samples"], positiveInt, "a positive integer");
  if (maxSamples !== undefined) base.maxSamples = maxSamples;
  if (values.schedule !== undefined) {
    if (!["cosine", "constant", "step"].includes(values.schedule)) {
      throw new RangeError(`--schedule must be cosine, constant or step, got ${values.schedule}`);
    }
    base.schedule = values.schedule as RunConfig["schedule"];
  }
  if (values.backend !== undefined) {
    if (!["auto", "webgpu", "wasm", "cpu"].includes(values.backend)) {
      throw new RangeError(`--backend must be auto, webgpu, wasm or cpu, got ${values.backend}`);
    }
    base.backend = values.backend as BackendChoice;
  }
}

/** Applies `--adapt-bn` / `--no-adapt-bn`, `--tta`, `--mixup` and `--no-augment`. */
function applyAdaptationFlags(base: RunConfig, values: TrainFlags): void {
  if (values["adapt-bn"] && values["no-adapt-bn"]) {
    throw new RangeError("--adapt-bn and --no-adapt-bn exclude each other");
  }
  if (values["adapt-bn"]) base.adaptBatchNorm = true;
  if (values["no-adapt-bn"]) base.adaptBatchNorm = false;
  if (values.tta !== undefined) {
    if (!(TEST_TIME_ADAPTATIONS as readonly string[]).includes(values.tta)) {
      throw new RangeError(`--tta must be one of ${TEST_TIME_ADAPTATIONS.join(", ")}, got ${values.tta}`);
    }
    base.testTimeAdaptation = values.tta as RunConfig["testTimeAdaptation"];
  }
  const mixup = number("mixup", values.mixup, (x) => Number.isFinite(x) && x >= 0, "a number >= 0 (0: off)");
  if (mixup !== undefined) base.mixupAlpha = mixup;
  if (values["no-augment"]) base.preprocess = base.preprocess.filter((step) => step.op !== "augment");
}

function preprocessFromFlags(
  steps: PreprocessStep[],
  values: { sfreq?: string; normalise?: string; "window-seconds"?: string; "stride-seconds"?: string },
): PreprocessStep[] {
  const sfreq = number("sfreq", values.sfreq, positiveInt, "a positive integer (Hz)");
  const windowSeconds = number("window-seconds", values["window-seconds"], positive, "a positive number");
  const strideSeconds = number("stride-seconds", values["stride-seconds"], positive, "a positive number");
  const normalise = values.normalise;
  if (normalise !== undefined && !["zscore", "minmax", "none"].includes(normalise)) {
    throw new RangeError(`--normalise must be zscore, minmax or none, got ${normalise}`);
  }
  let result = steps.map((step) => {
    if (step.op === "resample" && sfreq !== undefined) return { ...step, toHz: sfreq };
    if (step.op === "window") {
      return {
        ...step,
        windowSeconds: windowSeconds ?? step.windowSeconds,
        strideSeconds: strideSeconds ?? step.strideSeconds,
      };
    }
    return step;
  });
  if (normalise !== undefined) {
    // In the place of the normalisation it replaces (a recipe may align after it), else before the windows.
    const isNormalisation = (step: PreprocessStep) => step.op === "zscore" || step.op === "minmax";
    const existing = result.findIndex(isNormalisation);
    const at = existing >= 0 ? existing : result.findIndex((step) => step.op === "window");
    result = result.filter((step) => !isNormalisation(step));
    if (normalise !== "none") result.splice(at, 0, { op: normalise as "zscore" | "minmax", mode: "recording" });
  }
  return result;
}
