/**
 * `deno task train-cross`: trains on Cross/train (two subjects), validates after
 * every epoch (early stopping, best epoch) on chunks held out of Cross/train
 * (`--validation holdout`, the default; or `loso`, or folders), and reports
 * test1, test2 and test3, none of which chose anything, in a run folder.
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
