/**
 * `deno task train-intra`: trains on Intra/train (one subject), validates on
 * held-out training chunks (one per class), and tests on Intra/test.
 *
 * @module
 */
import { runMain, runTrainTask } from "./_train_task.ts";

/**
 * Runs the train-intra task with command-line `args` (`megflow train-intra` calls it too).
 *
 * @param args Command-line arguments, e.g. `["--epochs", "1"]`.
 */
export async function main(args: string[]): Promise<void> {
  await runTrainTask("intra", args);
}

if (import.meta.main) await runMain("train-intra", () => main(Deno.args));
