/**
 * The checks of a run's configuration, for every way one is made: `runConfig` overrides, a
 * `--config FILE`, a config handed to `trainRun` by a script. An unknown key is refused
 * naming it and the known ones; each value is checked for type and range as the flags are;
 * `modelOptions` must be options of the model; `preprocess` must be a valid step list.
 *
 * @module
 */
import { checkOptions, describeValue, type OptionRules } from "../core/check_options.ts";
import { checkModelOptions, MODELS } from "../models/registry.ts";
import { planPreprocess, type PreprocessStep } from "../pipeline/preprocess.ts";
import { BACKEND_CHOICES } from "../backends/backend.ts";
import { checkValidationValue } from "./validation_plan.ts";
import { TEST_TIME_ADAPTATIONS } from "./adapt_entropy.ts";

const positiveInt = { type: "integer", min: 1 } as const;
const splitList = { type: "array" } as const;

/** Type and range of every field of `RunConfig` (fields without a rule take their default's type). */
export const RUN_CONFIG_RULES: OptionRules = {
  task: { type: "string", oneOf: ["cross", "intra"] },
  data: { type: "string" },
  model: { type: "string", oneOf: Object.keys(MODELS) },
  modelOptions: { type: "object" },
  epochs: positiveInt,
  batchSize: positiveInt,
  learningRate: { type: "finite", above: 0 },
  schedule: { type: "string", oneOf: ["cosine", "constant", "step"] },
  warmupEpochs: { type: "integer", min: 0 },
  patience: positiveInt,
  seed: { type: "integer" },
  backend: { type: "string", oneOf: BACKEND_CHOICES },
  preprocess: { type: "array" },
  shuffleBuffer: { type: "integer", min: 0 },
  concurrency: positiveInt,
  trainSplits: splitList,
  validation: { type: "string" },
  validationSplits: splitList,
  holdoutChunks: { type: "integer", min: 0 },
  testSplits: splitList,
  maxSamples: { ...positiveInt, nullable: true },
  cacheDir: { type: "string", nullable: true },
  adaptBatchNorm: { type: "boolean" },
  mixupAlpha: { type: "finite", min: 0 },
  labelSmoothing: { type: "finite", min: 0, max: 0.99 },
  weightDecay: { type: "finite", min: 0 },
  weightAverage: { type: "finite", min: 0, max: 0.999 },
  testTimeAdaptation: { type: "string", oneOf: TEST_TIME_ADAPTATIONS },
};

/**
 * Checks a (partial) run configuration against the keys of `reference`, a complete config:
 * every key must be one of `reference`'s; values are checked by {@linkcode RUN_CONFIG_RULES}
 * (or, for a field without a rule, must have the reference value's type); split lists must
 * hold strings; `modelOptions` must be known options of the model (`config.model`, else the
 * reference's); `preprocess` must be a valid step list (see `planPreprocess`).
 *
 * @param what Who checks, as messages start: `Cannot <what>: ...` (e.g. `"runConfig"`,
 *   `"read --config run.json"`).
 * @param config The keys to check.
 * @param reference A complete config whose keys are the known ones.
 * @returns `config`.
 * @throws {TypeError} for a non-object, an unknown key (naming it and the known ones), a value
 *   of the wrong type, an unknown model option.
 * @throws {RangeError} for a value out of range or not one of the allowed ones.
 *
 * @example
 * ```ts
 * import { checkRunConfig } from "./check_run_config.ts";
 * import { runConfig } from "./run_config.ts";
 * import { assertThrows } from "@std/assert";
 *
 * const reference = runConfig("cross", "/data");
 * checkRunConfig("runConfig", { epochs: 3 }, reference);
 * assertThrows(() => checkRunConfig("runConfig", { epoch: 3 }, reference), TypeError, 'unknown option "epoch"');
 * assertThrows(() => checkRunConfig("runConfig", { epochs: 0 }, reference), RangeError, '"epochs" must be >= 1');
 * ```
 */
export function checkRunConfig<T extends object>(what: string, config: T, reference: object): T {
  const rules: Record<string, OptionRules[string]> = {};
  for (const [key, value] of Object.entries(reference)) {
    rules[key] = RUN_CONFIG_RULES[key] ?? { type: ruleTypeOf(value), nullable: value === null };
  }
  checkOptions(what, config, rules);
  const fields = config as Record<string, unknown>;
  for (const key of ["trainSplits", "validationSplits", "testSplits"]) {
    const list = fields[key];
    if (Array.isArray(list) && list.some((split) => typeof split !== "string")) {
      throw new TypeError(
        `Cannot ${what}: option "${key}" must be an array of folder names, got ${describeValue(list)}`,
      );
    }
  }
  if (typeof fields.validation === "string") {
    within(what, "validation", () => checkValidationValue(fields.validation as string));
  }
  if (fields.modelOptions !== undefined) {
    const model = String(fields.model ?? (reference as Record<string, unknown>).model);
    within(what, "modelOptions", () => checkModelOptions(model, fields.modelOptions));
  }
  if (fields.preprocess !== undefined) {
    within(what, "preprocess", () => planPreprocess(fields.preprocess as PreprocessStep[]));
  }
  return config;
}

/** Runs a check of one field, its error message prefixed with who checks and the field. */
function within(what: string, key: string, check: () => unknown): void {
  try {
    check();
  } catch (error) {
    if (!(error instanceof Error)) throw error;
    const Kind = error instanceof RangeError ? RangeError : TypeError;
    throw new Kind(`Cannot ${what}: option "${key}": ${error.message}`);
  }
}

function ruleTypeOf(value: unknown): OptionRules[string]["type"] {
  if (value === null) return "any";
  if (Array.isArray(value)) return "array";
  const type = typeof value;
  if (type === "number") return "finite";
  if (type === "string" || type === "boolean" || type === "object") return type;
  return "any";
}
