/**
 * `deno task train-intra`: trains on Intra/train (one subject), validates on
 * held-out training chunks (one per class), and tests on Intra/test. A recipe may hold
 * none out (gru's: 40 epochs on every chunk, the last epoch kept, its epoch count chosen on
 * `deno task cv-intra`; training/model_recipes.ts).
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
