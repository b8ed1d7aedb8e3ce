/**
 * `deno task train-cross`: trains on Cross/train (two subjects), validates on
 * Cross/test1 + test2 after every epoch (early stopping, best epoch), and
 * reports every test split (test3 is the final test) in a run folder.
 *
 * @module
 */
import { runMain, runTrainTask } from "./_train_task.ts";

if (import.meta.main) await runMain("train-cross", () => runTrainTask("cross", Deno.args));
