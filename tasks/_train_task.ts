/**
 * The body of the `train-cross` and `train-intra` tasks.
 *
 * @module
 */
import { COMMON_FLAGS, parseTrainCommand } from "./_cli.ts";
import { trainRun } from "../orchestration/train_run.ts";
import { releaseWebgpuBackend } from "../backends/register_webgpu_backend.ts";
import { explainRun } from "../orchestration/explain_run.ts";
import type { RunConfig } from "../training/run_config.ts";
import type { SplitMetrics } from "../evaluation/metrics.ts";

function splitLine(key: string, split: SplitMetrics): string {
  const role = split.role ? `(${split.role})` : "";
  return `  ${key.padEnd(10)} ${role.padEnd(12)} windows ${String(split.windows).padStart(5)}  window acc ${
    split.windowAccuracy.toFixed(3)
  }  recording acc ${split.recordingAccuracy.toFixed(3)} (${split.recordings} recordings)  macro-F1 ${
    split.macroF1.toFixed(3)
  }`;
}

/**
 * Parses `args`, trains, evaluates, writes the run folder and prints a summary.
 *
 * @param task "cross" or "intra".
 * @param args Command-line arguments.
 */
export async function runTrainTask(task: RunConfig["task"], args: string[]): Promise<void> {
  const command = await parseTrainCommand(task, args.filter((arg) => arg !== "--explain"));
  if (command.help) {
    console.log(`Usage: deno task train-${task} [options]\n\n${COMMON_FLAGS}`);
    return;
  }
  const isTty = Deno.stderr.isTerminal();
  const encoder = new TextEncoder();
  const results = await trainRun(command.config, {
    runDir: command.runDir,
    resume: command.resume,
    log: (line) => {
      if (isTty) Deno.stderr.writeSync(encoder.encode("\r\x1b[K"));
      console.error(line);
    },
    progress: isTty ? (text) => Deno.stderr.writeSync(encoder.encode(`\r\x1b[K${text}`)) : undefined,
  });
  console.log(`\n${task}-subject ${results.model} on ${results.backend}: best epoch ${results.bestEpoch}`);
  if (results.validation) console.log(`  validation (chose the best epoch): ${results.validation}`);
  for (const [key, split] of Object.entries(results.splits)) console.log(splitLine(key, split));
  console.log(
    `  time: ${results.seconds.total?.toFixed(0)} s (train ${results.seconds.train.toFixed(0)} s, ` +
      `evaluate ${results.seconds.evaluate.toFixed(0)} s), ${results.trainWindowsPerSecond.toFixed(1)} training ` +
      `windows/s, peak RSS ${results.peakRssMB.toFixed(0)} MB`,
  );
  if (args.includes("--explain")) {
    const split = Object.keys(results.splits).includes("test3") ? "test3" : undefined;
    const explained = await explainRun(command.runDir, { split, backend: command.config.backend });
    console.log(`  explained: ${explained.dir} (saliency.json, topomaps; report.html has "Inside the model")`);
  }
  console.log(`  run folder: ${command.runDir} (open report.html)`);
}

/** Runs a task's main, printing errors as one line and exiting non-zero. */
export async function runMain(name: string, main: () => Promise<void>): Promise<void> {
  let failed = false;
  try {
    await main();
  } catch (error) {
    console.error(`${name}: ${error instanceof Error ? error.message : error}`);
    if (Deno.env.get("MEGFLOW_DEBUG")) console.error(error);
    failed = true;
  }
  // A WebGPU device still alive when the process exits can crash the teardown of Mesa's software
  // driver (see releaseWebgpuBackend); destroy it first.
  await releaseWebgpuBackend().catch(() => false);
  if (failed) Deno.exit(1);
}
