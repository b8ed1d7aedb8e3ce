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

if (import.meta.main) await runMain("study", () => runStudyCommand(Deno.args));
