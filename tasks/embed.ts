/**
 * `deno task embed [--data DIR] [--out DIR] [--features bandpower|model:RUN_DIR] [--code-size N] [--l1 X] [--epochs N]`:
 * a sparse autoencoder of every window's log band powers (or a trained run's
 * penultimate-layer activations), trained on
 * Cross/train; UMAP of the codes and of the band powers by class and by subject
 * (`embed.html`); linear probes of class (test1-3) and subject (`embed.json`);
 * the codes (`codes.csv`). The work is {@linkcode embedData}'s.
 *
 * @module
 */
import { parseArgs } from "node:util";
import type { BackendChoice } from "../backends/backend.ts";
import { embedData } from "../orchestration/embed_data.ts";
import { join } from "node:path";
import { ensureDefaultDataset } from "../synth/default_dataset.ts";
import { megflowCacheDir } from "../synth/megflow_cache_dir.ts";
import { runMain } from "./_train_task.ts";

/** The splits embedded: the first trains the autoencoder and the class probe. */
const SPLITS = ["Cross/train", "Cross/test1", "Cross/test2", "Cross/test3"] as const;

const USAGE = `Usage: deno task embed [options]

  --data DIR        dataset root with Cross/ (default: the generated dataset)
  --out DIR         output folder (default: runs/<time>-embed)
  --features WHAT   bandpower (default), or model:RUN_DIR: the penultimate-layer activations of
                    that run's model over windows preprocessed as the run was
  --code-size N     code units of the sparse autoencoder (default: 32)
  --l1 X            L1 penalty on the code (default: 0.001)
  --epochs N        autoencoder epochs (default: 40)
  --seed N          seed (default: 42)
  --max-samples N   read only the first N raw samples of each file
  --cache DIR       cache of resampled recordings (default: ~/.cache/megflow/resampled)
  --backend NAME    auto | webgpu | wasm | cpu (default: auto)
  --help            this text`;

function positive(name: string, value: string | undefined, integer: boolean): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!(n >= 0) || (integer && !Number.isInteger(n))) {
    throw new RangeError(`--${name} must be a non-negative ${integer ? "integer" : "number"}, got ${value}`);
  }
  return n;
}

/**
 * Runs the embed task with command-line `args`.
 *
 * @param args Command-line arguments.
 */
export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      data: { type: "string" },
      out: { type: "string" },
      features: { type: "string", default: "bandpower" },
      "code-size": { type: "string" },
      l1: { type: "string" },
      epochs: { type: "string" },
      seed: { type: "string" },
      "max-samples": { type: "string" },
      cache: { type: "string" },
      backend: { type: "string", default: "auto" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) return console.log(USAGE);
  const features = values.features!;
  if (features !== "bandpower" && !(features.startsWith("model:") && features.length > "model:".length)) {
    throw new RangeError(`--features must be bandpower or model:RUN_DIR, got ${features}\n\n${USAGE}`);
  }
  const options = {
    codeSize: positive("code-size", values["code-size"], true),
    l1: positive("l1", values.l1, false),
    epochs: positive("epochs", values.epochs, true),
    seed: positive("seed", values.seed, true),
    maxSamples: positive("max-samples", values["max-samples"], true),
  };
  const data = values.data ??
    await ensureDefaultDataset({ preset: "full", splits: [...SPLITS], onProgress: (m: string) => console.error(m) });
  const cacheDir = values.cache ?? join(megflowCacheDir(), "resampled");
  const out = values.out ?? `runs/${new Date().toISOString().slice(0, 19).replaceAll(":", "-")}-embed`;
  const summary = await embedData(data, {
    ...options,
    out,
    splits: [...SPLITS],
    cacheDir,
    backend: values.backend as BackendChoice,
    ...(features === "bandpower" ? {} : { modelRun: features.slice("model:".length) }),
  });
  console.log(JSON.stringify({ classProbe: summary.classProbe, subjectProbe: summary.subjectProbe }));
  console.log(`written to ${out} (open embed.html)`);
}

if (import.meta.main) await runMain("embed", () => main(Deno.args));
