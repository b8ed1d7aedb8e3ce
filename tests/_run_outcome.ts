/**
 * What a finished run folder holds that must not depend on whether the run
 * was interrupted and resumed: the newest checkpoint's weights and optimizer
 * state (SHA-256 of the bytes), the best model (SHA-256), the metrics without timings, and the
 * results without timings. Shared by the resume tests.
 *
 * @module
 */
import { join } from "node:path";

const TIMING = new Set(["seconds", "ingestSeconds", "trainSeconds"]);

/** SHA-256 of a file, in hex: compared instead of the bytes, so that a failing comparison prints a short diff. */
async function digest(path: string): Promise<string> {
  const bytes = await Deno.readFile(path);
  const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return `${bytes.length} bytes, sha256 ${Array.from(hash, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** The newest checkpoint folder of a run folder (`checkpoint/step-NNNNNN`). */
export function newestCheckpoint(runDir: string): string {
  const steps = [...Deno.readDirSync(join(runDir, "checkpoint"))].map((e) => e.name).filter((n) =>
    n.startsWith("step-")
  );
  return join(runDir, "checkpoint", steps.sort().at(-1)!);
}

/** The outcome of the run in `runDir` (see the module doc). */
export async function runOutcome(runDir: string): Promise<Record<string, unknown>> {
  const last = newestCheckpoint(runDir);
  const metrics = (await Deno.readTextFile(join(runDir, "metrics.jsonl"))).trim().split("\n")
    .map((line) => Object.entries(JSON.parse(line)).filter(([key]) => !TIMING.has(key)));
  const results = JSON.parse(await Deno.readTextFile(join(runDir, "results.json")));
  return {
    weights: await digest(join(last, "weights.bin")),
    optimizer: await digest(join(last, "optimizer.bin")),
    // Without the variables' names, which carry a per-process counter (kernel_4, kernel_6).
    optimizerJson: (({ specs, variables }) => ({
      specs: specs.map(({ dtype, shape }: { dtype: string; shape: number[] }) => ({ dtype, shape })),
      variables,
    }))(JSON.parse(await Deno.readTextFile(join(last, "optimizer.json")))),
    state: JSON.parse(await Deno.readTextFile(join(last, "state.json"))).history
      .map((m: Record<string, unknown>) => Object.entries(m).filter(([key]) => !TIMING.has(key))),
    bestModel: await digest(join(runDir, "model", "weights.bin")),
    metrics,
    splits: results.splits,
    bestEpoch: results.bestEpoch,
  };
}
