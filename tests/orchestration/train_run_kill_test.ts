import { assert, assertEquals } from "@std/assert";
import { join } from "node:path";
import { writeDataset } from "../../synth/write_dataset.ts";
import { runOutcome } from "../_run_outcome.ts";
import { withTempDir } from "../_temp_dir.ts";

const CHILD = new URL("./_train_run_child.ts", import.meta.url).pathname;

/** Runs the child training process; with `killAfter`, SIGKILLs it as soon as a log line starts so. */
async function train(args: string[], killAfter?: string): Promise<{ lines: string[]; signal: Deno.Signal | null }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CHILD, ...args],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  let rest = "";
  for await (const text of child.stderr.pipeThrough(new TextDecoderStream())) {
    const parts = (rest + text).split("\n");
    rest = parts.pop()!;
    for (const line of parts) {
      lines.push(line);
      if (killAfter && line.startsWith(killAfter)) child.kill("SIGKILL");
    }
  }
  const status = await child.status;
  if (!killAfter) assertEquals(status.code, 0, lines.join("\n"));
  return { lines, signal: status.signal };
}

Deno.test("a run SIGKILLed during epoch 2 and resumed ends with the weights, optimizer state and metrics of an uninterrupted run", async () => {
  await withTempDir(async (dir) => {
    const data = join(dir, "data"), cache = join(dir, "cache");
    await writeDataset(data, { preset: "small", nTimes: 4096, splits: ["Cross/train", "Cross/test1"] });
    await train([data, cache, join(dir, "whole")]);

    const killed = join(dir, "killed");
    const first = await train([data, cache, killed], "epoch 1/3:");
    assertEquals(first.signal, "SIGKILL", first.lines.join("\n"));
    // Killed after epoch 1's checkpoint and before epoch 2's.
    assertEquals((await Deno.readTextFile(join(killed, "metrics.jsonl"))).trim().split("\n").length, 1);
    assert(!first.lines.some((line) => line.startsWith("epoch 2/3")), first.lines.join("\n"));

    const resumed = await train([data, cache, killed, "--resume"]);
    assert(resumed.lines.includes(`megflow: resuming ${killed} after epoch 1`), resumed.lines.join("\n"));
    // Every weight, the optimizer's moments, iteration count and bias corrections, the best model,
    // the metrics (timings aside) and the evaluation: bit for bit.
    assertEquals(await runOutcome(killed), await runOutcome(join(dir, "whole")));
  });
});
