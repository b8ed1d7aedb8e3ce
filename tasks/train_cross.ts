/**
 * `deno task train-cross`: trains on Cross/train (two subjects), validates on
 * Cross/test1 + test2 after every epoch (early stopping, best epoch), and
 * reports every test split (test3 is the final test) in a run folder.
 *
 * @module
 */
import { runMain, runTrainTask } from "./_train_task.ts";

/**
 * Runs the train-cross task with command-line `args` (`megflow train-cross` calls it too).
 *
 * @param args Command-line arguments, e.g. `["--epochs", "1"]`.
 */
export async function main(args: string[]): Promise<void> {
  await runTrainTask("cross", args);
}

if (import.meta.main) await runMain("train-cross", () => main(Deno.args));
