/**
 * `--resume RUN_DIR` of the training tasks: the run continues with its own
 * `config.json`; any other flag given with it must agree with that file,
 * except the flags of {@linkcode RESUMABLE_FLAGS}, which may change it.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join, resolve } from "node:path";
import type { RunConfig } from "../training/run_config.ts";
import { RESUMABLE_KEYS } from "../training/run_folder.ts";
import { canonicalJson } from "../core/canonical_json.ts";

/**
 * Flags that may change a run's configuration on resume (the keys of
 * `RESUMABLE_KEYS`): `--epochs` (extend a run), `--backend`, `--cache`,
 * `--no-cache`.
 */
export const RESUMABLE_FLAGS: readonly string[] = ["epochs", "backend", "cache", "no-cache"];

/** One flag as given: its name, the arguments that spell it, and its value. */
interface FlagGroup {
  name: string;
  args: string[];
  value?: string;
}

/** The flags of `args` one by one (they passed the strict parse already, so a positional is a flag's value). */
function flagGroups(args: string[]): FlagGroup[] {
  const { tokens } = parseArgs({ args, strict: false, allowPositionals: true, tokens: true });
  const groups: FlagGroup[] = [];
  for (const token of tokens) {
    if (token.kind === "option") {
      const value = token.inlineValue ? token.value : undefined;
      groups.push({ name: token.name, args: [args[token.index]], value });
    } else if (token.kind === "positional" && groups.length > 0 && groups.at(-1)!.value === undefined) {
      groups.at(-1)!.args.push(token.value);
      groups.at(-1)!.value = token.value;
    }
  }
  return groups;
}

/**
 * The configuration and folder of `--resume RUN_DIR`: the run folder's own
 * `config.json`, changed only by {@linkcode RESUMABLE_FLAGS}. Every other flag
 * is applied on its own to the saved configuration (by `parse`, with
 * `--config RUN_DIR/config.json`): one that changes it is refused, naming the
 * flag, the key and both values; one that agrees with it is accepted.
 *
 * @param resumeDir The `--resume` value.
 * @param args All arguments of the command.
 * @param parse Parses arguments without `--resume` into a config (the task's own parser).
 * @returns The configuration to resume with and the run folder.
 * @throws {RangeError} naming the flag that contradicts the saved configuration, or a missing `config.json`.
 */
export async function resumeTrainCommand(
  resumeDir: string,
  args: string[],
  parse: (args: string[]) => Promise<{ config: RunConfig }>,
): Promise<{ config: RunConfig; runDir: string }> {
  const runDir = resolve(resumeDir);
  const configPath = join(runDir, "config.json");
  const text = await Deno.readTextFile(configPath).catch(() => {
    throw new RangeError(`--resume ${resumeDir}: no config.json there (not a megflow run folder)`);
  });
  const saved: RunConfig = JSON.parse(text);
  const config: RunConfig = { ...saved };
  const groups = flagGroups(args).filter((group) => !["resume", "help"].includes(group.name));
  if (groups.length === 0) return { config, runDir };
  const baseline = (await parse(["--config", configPath])).config as unknown as Record<string, unknown>;
  for (const group of groups) {
    const spelled = group.args.join(" ");
    if (group.name === "out") {
      if (resolve(group.value ?? "") === runDir) continue;
      throw new RangeError(`${spelled} contradicts --resume ${resumeDir}: a resumed run stays in its own folder`);
    }
    const changes = group.name === "config"
      ? await configFileChanges(group.value ?? "", saved)
      : flagChanges((await parse(["--config", configPath, ...group.args])).config, baseline, saved);
    const resumable = group.name === "config"
      ? (key: string) => RESUMABLE_KEYS.includes(key)
      : () => RESUMABLE_FLAGS.includes(group.name);
    for (const [key, value] of changes) {
      if (!resumable(key)) {
        throw new RangeError(
          `${spelled} contradicts the run being resumed: it sets ${key} to ${canonicalJson(value)}, ` +
            `but ${configPath} has ${canonicalJson((saved as unknown as Record<string, unknown>)[key])} ` +
            `(only ${RESUMABLE_FLAGS.map((flag) => `--${flag}`).join(", ")} may change on resume)`,
        );
      }
      (config as unknown as Record<string, unknown>)[key] = value;
    }
  }
  return { config, runDir };
}

/** The keys a flag changes (against the saved config parsed alone) to a value the saved config does not have. */
function flagChanges(
  withFlag: RunConfig,
  baseline: Record<string, unknown>,
  saved: RunConfig,
): Array<[string, unknown]> {
  const flagged = withFlag as unknown as Record<string, unknown>;
  const old = saved as unknown as Record<string, unknown>;
  return Object.keys(flagged)
    .filter((key) => canonicalJson(flagged[key]) !== canonicalJson(baseline[key]))
    .filter((key) => canonicalJson(flagged[key]) !== canonicalJson(old[key]))
    .map((key) => [key, flagged[key]]);
}

/** The keys of a `--config FILE` given with `--resume` whose values differ from the saved config. */
async function configFileChanges(file: string, saved: RunConfig): Promise<Array<[string, unknown]>> {
  let fromFile: Record<string, unknown>;
  try {
    fromFile = JSON.parse(await Deno.readTextFile(file));
  } catch (error) {
    throw new RangeError(`--config ${file}: cannot read a JSON object: ${error}`);
  }
  const old = saved as unknown as Record<string, unknown>;
  return Object.entries(fromFile).filter(([key, value]) => canonicalJson(value) !== canonicalJson(old[key]));
}
