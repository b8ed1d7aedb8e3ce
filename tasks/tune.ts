/**
 * `deno task tune`: hyper-parameter search (grid, random or successive
 * halving) over training, pipeline and model settings; see `tune/README.md`.
 *
 * @module
 */
import { runMain } from "./_train_task.ts";
import { runTuneCommand } from "./_tune_command.ts";

/**
 * Runs the tune task with command-line `args` (`megflow tune` calls it too).
 *
 * @param args Command-line arguments.
 */
export async function main(args: string[]): Promise<void> {
  await runTuneCommand(args);
}

if (import.meta.main) await runMain("tune", () => main(Deno.args));
