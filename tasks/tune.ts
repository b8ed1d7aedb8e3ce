/**
 * `deno task tune`: hyper-parameter search (grid, random or successive
 * halving) over training, pipeline and model settings; see `tune/README.md`.
 *
 * @module
 */
import { runMain } from "./_train_task.ts";
import { runTuneCommand } from "./_tune_command.ts";

if (import.meta.main) await runMain("tune", () => runTuneCommand(Deno.args));
