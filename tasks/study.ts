/**
 * `deno task study`: intra vs cross accuracy per model over seeds, the
 * chosen hyper-parameters and their influence, the train/test gap and
 * improvements for unseen subjects, in `study.html` and `study.json`; see
 * `study/README.md`.
 *
 * @module
 */
import { runMain } from "./_train_task.ts";
import { runStudyCommand } from "./_study_command.ts";

/**
 * Runs the study task with command-line `args` (`megflow study` calls it too).
 *
 * @param args Command-line arguments.
 */
export async function main(args: string[]): Promise<void> {
  await runStudyCommand(args);
}

if (import.meta.main) await runMain("study", () => main(Deno.args));
