/**
 * `megflow`: one command for every task, installed on PATH by `deno task install`
 * (`megflow train-cross --epochs 5`, `megflow doctor`, ...). Each subcommand is a task file of
 * this folder whose `main(args)` it imports and runs, so `megflow X ...` does what
 * `deno task X ...` does, from any working directory (paths are the caller's).
 *
 * Adding a subcommand is one line in {@linkcode SUBCOMMANDS}; a subcommand whose file is absent
 * (e.g. `serve` before the prediction server exists) is left out of the help and refused.
 *
 * @module
 */
import { MEGFLOW_VERSION } from "../core/version.ts";

/** A subcommand of `megflow`. */
export interface Subcommand {
  /** The task file under `tasks/` that runs it; it exports `main(args: string[])`. */
  file: string;
  /** One line of help. */
  summary: string;
}

/** Every subcommand of `megflow`, in the order `megflow --help` lists them. */
export const SUBCOMMANDS: Readonly<Record<string, Subcommand>> = {
  "train-cross": {
    file: "train_cross.ts",
    summary: "train on Cross/train (held-out chunks validate), test on test1, test2, test3",
  },
  "train-intra": { file: "train_intra.ts", summary: "train on Intra/train, test on Intra/test" },
  "cv-intra": {
    file: "cv_intra.ts",
    summary: "k-fold validation over the Intra/train chunks (Intra/test not read): recordings voted wrong",
  },
  evaluate: { file: "evaluate.ts", summary: "re-evaluate a run's best model, rewrite its report" },
  explain: { file: "explain.ts", summary: "saliency topomaps per class and spatial filters of a run" },
  embed: { file: "embed.ts", summary: "sparse-autoencoder codes, UMAP by class and subject, linear probes" },
  ensemble: { file: "ensemble.ts", summary: "average finished runs' probabilities; evaluate and report it" },
  tune: { file: "tune.ts", summary: "hyper-parameter search (--plan-only, --run-trial I, --merge for clusters)" },
  study: { file: "study.ts", summary: "intra vs cross, searches, gap, improvements" },
  synth: { file: "synth.ts", summary: "write the synthetic dataset" },
  bench: { file: "bench.ts", summary: "ingest (and training) benchmark, JSON report" },
  serve: { file: "serve.ts", summary: "serve a trained model's predictions over HTTP" },
  doctor: { file: "doctor.ts", summary: "versions, WebGPU adapter, backends and training speed on this machine" },
};

/** The URL of a subcommand's task file. */
function taskUrl(name: string): URL {
  return new URL(SUBCOMMANDS[name].file, import.meta.url);
}

/** Whether a subcommand's task file is here (a file that cannot be looked at counts as here). */
async function isPresent(name: string): Promise<boolean> {
  const url = taskUrl(name);
  if (url.protocol !== "file:") return true; // a remote copy: trust the table
  try {
    return (await Deno.stat(url)).isFile;
  } catch (error) {
    return !(error instanceof Deno.errors.NotFound);
  }
}

/** The task module of a subcommand, or null when its file does not exist. */
async function importTask(name: string): Promise<{ main?: unknown } | null> {
  const url = taskUrl(name);
  try {
    return await import(url.href);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "ERR_MODULE_NOT_FOUND" && String((error as Error).message).includes(`"${url.href}"`)) return null;
    throw error;
  }
}

/**
 * The subcommands available in this copy of megflow: those of {@linkcode SUBCOMMANDS} whose
 * task file exists.
 *
 * @returns their names, in table order
 */
export async function availableSubcommands(): Promise<string[]> {
  const names: string[] = [];
  for (const name of Object.keys(SUBCOMMANDS)) if (await isPresent(name)) names.push(name);
  return names;
}

/** The text of `megflow --help`. */
async function usage(): Promise<string> {
  const names = await availableSubcommands();
  const width = Math.max(...names.map((name) => name.length));
  const rows = names.map((name) => `  ${name.padEnd(width)}  ${SUBCOMMANDS[name].summary}`);
  return [
    `megflow ${MEGFLOW_VERSION}: stream MEG recordings through RxJS operators into TensorFlow.js models`,
    "",
    "Usage: megflow <command> [flags]",
    "",
    "Commands:",
    ...rows,
    "",
    "megflow <command> --help lists a command's flags (the same as deno task <command>).",
    "megflow --version prints the version.",
  ].join("\n");
}

/**
 * Runs `megflow` with command-line `args`: the subcommand named first, with the rest.
 *
 * @param args E.g. `["train-cross", "--epochs", "1"]`; none, `--help` or `-h` prints the commands.
 * @throws {RangeError} for an unknown subcommand (the message lists the known ones), and
 *   whatever the subcommand throws.
 */
export async function main(args: string[]): Promise<void> {
  const [name, ...rest] = args;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    console.log(await usage());
    return;
  }
  if (name === "--version" || name === "-V") {
    console.log(`megflow ${MEGFLOW_VERSION} (Deno ${Deno.version.deno})`);
    return;
  }
  const task = Object.hasOwn(SUBCOMMANDS, name) ? await importTask(name) : null;
  if (task === null) {
    const known = (await availableSubcommands()).join(", ");
    const why = Object.hasOwn(SUBCOMMANDS, name) ? "is not part of this copy of megflow" : "is not a megflow command";
    throw new RangeError(`"${name}" ${why}; commands: ${known} (megflow --help)`);
  }
  if (typeof task.main !== "function") throw new TypeError(`${SUBCOMMANDS[name].file} exports no main(args)`);
  await task.main(rest);
}

if (import.meta.main) {
  // As the tasks' runMain, without importing the training code before a subcommand needs it.
  let failed = false;
  try {
    await main(Deno.args);
  } catch (error) {
    console.error(`${`megflow ${Deno.args[0] ?? ""}`.trim()}: ${error instanceof Error ? error.message : error}`);
    if (Deno.env.get("MEGFLOW_DEBUG")) console.error(error);
    failed = true;
  }
  // As runMain: no WebGPU device may outlive the process (see releaseWebgpuBackend). Only a
  // subcommand that loaded tfjs (its engine is `globalThis._tfengine`) can have started one.
  if (globalThis.navigator?.gpu && "_tfengine" in globalThis) {
    const { releaseWebgpuBackend } = await import("../backends/register_webgpu_backend.ts");
    await releaseWebgpuBackend().catch(() => false);
  }
  if (failed) Deno.exit(1);
}
