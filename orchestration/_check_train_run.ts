/**
 * The checks `trainRun` makes of what a script hands it, before anything is read or written:
 * the config's keys, types and ranges (as `runConfig` and `--config` check them) and the
 * options' keys.
 *
 * @module
 */
import { checkOptions } from "../core/check_options.ts";
import { checkRunConfig } from "../training/check_run_config.ts";
import { type RunConfig, runConfig } from "../training/run_config.ts";

/**
 * Throws for an unknown key or a bad value in `config` or `options` of `trainRun`.
 *
 * @param config The run's configuration.
 * @param options `trainRun`'s options.
 * @param optionKeys The known keys of `options`.
 * @throws {TypeError | RangeError} naming the key (and the known ones for an unknown key).
 */
export function checkTrainRunArguments(config: RunConfig, options: object, optionKeys: readonly string[]): void {
  if (config === null || typeof config !== "object" || Array.isArray(config)) {
    throw new TypeError(`Cannot trainRun: config must be a RunConfig object (see runConfig), got ${config}`);
  }
  checkRunConfig("trainRun", config, runConfig(config.task, ""));
  const rules = Object.fromEntries(optionKeys.map((key) => [key, { type: "any" } as const]));
  checkOptions("trainRun", options, rules);
  const { runDir } = options as { runDir?: unknown };
  if (typeof runDir !== "string" || runDir === "") {
    throw new TypeError(`Cannot trainRun: option "runDir" must be a folder path, got ${JSON.stringify(runDir)}`);
  }
}
