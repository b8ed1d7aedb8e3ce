/**
 * How a trial's parameter values become a run configuration.
 *
 * | name | sets |
 * | --- | --- |
 * | `epochs`, `batchSize`, `learningRate`, `schedule`, `warmupEpochs`, `patience`, `shuffleBuffer`, `concurrency`, `holdoutChunks`, `maxSamples`, `seed`, `adaptBatchNorm`, `mixupAlpha`, `labelSmoothing`, `weightDecay`, `testTimeAdaptation` | the `RunConfig` field of that name |
 * | `windowSeconds`, `strideSeconds` | the `window` step |
 * | `sfreq` | the `resample` step's `toHz` (a resample step is added first if there is none) |
 * | `normalise` | `zscore`, `minmax`, `subjectZscore` or `none`: replaces the normalisation step |
 * | `align` | `true` adds per-subject Euclidean alignment (`{op: "align"}`) before `window`; `false` removes it |
 * | `augment` | `true` adds training-time augmentation (`{op: "augment"}`) after `window`; `false` removes it |
 * | `modelOptions.<name>` or any other name | `modelOptions[name]`; it must be an option of the model |
 *
 * @module
 */
import { MODELS } from "../models/registry.ts";
import type { BlockStep, PreprocessStep } from "../pipeline/preprocess.ts";
import type { RunConfig } from "../training/run_config.ts";
import { TEST_TIME_ADAPTATIONS } from "../training/adapt_entropy.ts";

/** Names that set the `RunConfig` field of the same name. */
export const RUN_CONFIG_PARAMS: readonly string[] = [
  "epochs",
  "batchSize",
  "learningRate",
  "schedule",
  "warmupEpochs",
  "patience",
  "shuffleBuffer",
  "concurrency",
  "holdoutChunks",
  "maxSamples",
  "seed",
  "adaptBatchNorm",
  "mixupAlpha",
  "labelSmoothing",
  "weightDecay",
  "testTimeAdaptation",
];

/** Names that change the preprocessing steps. */
export const PIPELINE_PARAMS: readonly string[] = [
  "windowSeconds",
  "strideSeconds",
  "sfreq",
  "normalise",
  "align",
  "augment",
];

const NORMALISERS = ["zscore", "minmax", "subjectZscore", "none"];

function isNormaliser(step: PreprocessStep): boolean {
  return step.op === "zscore" || step.op === "minmax" || step.op === "subjectZscore";
}

function positiveNumber(name: string, value: unknown, integer: boolean): number {
  const ok = typeof value === "number" && Number.isFinite(value) && value > 0 &&
    (!integer || Number.isInteger(value));
  if (!ok) {
    throw new RangeError(
      `Parameter ${name} must be a positive ${integer ? "integer" : "number"}, got ${JSON.stringify(value)}`,
    );
  }
  return value as number;
}

function boolean(name: string, value: unknown): boolean {
  if (typeof value !== "boolean") {
    throw new TypeError(`Parameter ${name} must be true or false, got ${JSON.stringify(value)}`);
  }
  return value;
}

function setPipeline(steps: PreprocessStep[], name: string, value: unknown): PreprocessStep[] {
  switch (name) {
    case "windowSeconds":
    case "strideSeconds": {
      const seconds = positiveNumber(name, value, false);
      return steps.map((s) => (s.op === "window" ? { ...s, [name]: seconds } : s));
    }
    case "sfreq": {
      const toHz = positiveNumber(name, value, true);
      if (!steps.some((s) => s.op === "resample")) return [{ op: "resample", toHz }, ...steps];
      return steps.map((s) => (s.op === "resample" ? { ...s, toHz } : s));
    }
    case "normalise": {
      if (typeof value !== "string" || !NORMALISERS.includes(value)) {
        throw new RangeError(
          `Parameter normalise must be one of ${NORMALISERS.join(", ")}, got ${JSON.stringify(value)}`,
        );
      }
      const at = steps.findIndex(isNormaliser);
      const rest = steps.filter((s) => !isNormaliser(s));
      if (value === "none") return rest;
      const step: BlockStep = value === "subjectZscore"
        ? { op: "subjectZscore" }
        : { op: value as "zscore" | "minmax", mode: "recording" };
      // Where the old normalisation was, else right after resampling.
      const insertAt = at >= 0 ? at : rest.findIndex((s) => s.op !== "resample");
      return [...rest.slice(0, Math.max(0, insertAt)), step, ...rest.slice(Math.max(0, insertAt))];
    }
    case "align": {
      const rest = steps.filter((s) => s.op !== "align");
      if (!boolean(name, value)) return rest;
      const at = rest.findIndex((s) => s.op === "window");
      return [...rest.slice(0, at), { op: "align" }, ...rest.slice(at)];
    }
    case "augment": {
      const rest = steps.filter((s) => s.op !== "augment");
      if (!boolean(name, value)) return rest;
      const at = rest.findIndex((s) => s.op === "window");
      return [...rest.slice(0, at + 1), { op: "augment" }, ...rest.slice(at + 1)];
    }
  }
  return steps;
}

/**
 * A copy of `base` with the trial's values applied (see the module doc for
 * which name sets what). Model options are checked against the model's
 * options, so a misspelt name fails before any training.
 *
 * @param base The fixed part of the configuration.
 * @param values Parameter name to value.
 * @returns The trial's configuration (`base` is not modified).
 * @throws {RangeError} for a name that is neither a known parameter nor an option of
 *   the model, or an out-of-range value; {@linkcode TypeError} for a non-boolean `align`/`augment`.
 *
 * @example
 * ```ts
 * import { applyParams } from "./apply_params.ts";
 * import { runConfig } from "../training/run_config.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const config = applyParams(runConfig("cross", "/data"), { learningRate: 3e-4, windowSeconds: 1, dropProb: 0.4 });
 * assertEquals(config.learningRate, 3e-4);
 * assertEquals(config.preprocess.find((s) => s.op === "window"), { op: "window", windowSeconds: 1, strideSeconds: 1 });
 * assertEquals(config.modelOptions, { dropProb: 0.4 });
 * ```
 */
export function applyParams(base: RunConfig, values: Readonly<Record<string, unknown>>): RunConfig {
  const config: RunConfig = { ...base, modelOptions: { ...base.modelOptions }, preprocess: [...base.preprocess] };
  const modelEntry = MODELS[config.model];
  for (const [name, value] of Object.entries(values)) {
    if (RUN_CONFIG_PARAMS.includes(name)) {
      const integer = !["learningRate", "schedule", "seed", "mixupAlpha", "labelSmoothing", "weightDecay"].includes(
        name,
      );
      if (name === "schedule") {
        if (!["cosine", "constant", "step"].includes(value as string)) {
          throw new RangeError(`Parameter schedule must be cosine, constant or step, got ${JSON.stringify(value)}`);
        }
        config.schedule = value as RunConfig["schedule"];
      } else if (name === "seed") {
        if (!Number.isSafeInteger(value)) {
          throw new RangeError(`Parameter seed must be an integer, got ${JSON.stringify(value)}`);
        }
        config.seed = value as number;
      } else if (name === "testTimeAdaptation") {
        if (!(TEST_TIME_ADAPTATIONS as readonly unknown[]).includes(value)) {
          throw new RangeError(
            `Parameter testTimeAdaptation must be ${TEST_TIME_ADAPTATIONS.join(" or ")}, got ${JSON.stringify(value)}`,
          );
        }
        config.testTimeAdaptation = value as RunConfig["testTimeAdaptation"];
      } else if (name === "adaptBatchNorm") {
        if (typeof value !== "boolean") {
          throw new RangeError(`Parameter adaptBatchNorm must be true or false, got ${JSON.stringify(value)}`);
        }
        config.adaptBatchNorm = value;
      } else if (["warmupEpochs", "mixupAlpha", "labelSmoothing", "weightDecay"].includes(name) && value === 0) {
        (config as unknown as Record<string, number>)[name] = 0;
      } else if (name === "labelSmoothing" && !((value as number) <= 0.99)) {
        throw new RangeError(`Parameter labelSmoothing must be in [0, 0.99], got ${JSON.stringify(value)}`);
      } else {
        (config as unknown as Record<string, number>)[name] = positiveNumber(name, value, integer);
      }
    } else if (PIPELINE_PARAMS.includes(name)) {
      config.preprocess = setPipeline(config.preprocess, name, value);
    } else {
      const option = name.startsWith("modelOptions.") ? name.slice("modelOptions.".length) : name;
      if (!modelEntry || !(option in modelEntry.defaultOptions)) {
        throw new RangeError(
          `Unknown parameter ${name}: not a run setting (${[...RUN_CONFIG_PARAMS, ...PIPELINE_PARAMS].join(", ")}) ` +
            `nor an option of model ${config.model} (${Object.keys(modelEntry?.defaultOptions ?? {}).join(", ")})`,
        );
      }
      config.modelOptions[option] = value;
    }
  }
  return config;
}
