/**
 * `deno task train-intra`: trains on Intra/train (one subject), validates on
 * held-out training chunks (one per class), and tests on Intra/test.
 *
 * @module
 */
import { runMain, runTrainTask } from "./_train_task.ts";

if (import.meta.main) await runMain("train-intra", () => runTrainTask("intra", Deno.args));
