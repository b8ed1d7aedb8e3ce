/**
 * Every boolean flag of every command that parses flags (training tasks, tune, study) takes no
 * value: `--<bool> --<other> value` sets both, whatever the order. (Before, tune's own splitter
 * knew only some training booleans, so `tune --no-augment --trials 4` swallowed `--trials`.)
 */
import { assertEquals } from "@std/assert";
import { parseTrainCommand, TRAIN_FLAG_OPTIONS } from "../../tasks/_cli.ts";
import { parseTuneCommand, TUNE_OPTIONS } from "../../tasks/_tune_command.ts";
import { parseStudyCommand, STUDY_FLAG_OPTIONS } from "../../tasks/_study_command.ts";

const DATA = ["--data", "/tmp/megflow-boolean-flags-test-data", "--out", "/tmp/megflow-boolean-flags-test-out"];

/** The boolean flags of a `parseArgs` table, `--help` left out (it ends parsing). */
function booleansOf(table: Readonly<Record<string, { type: string } | string>>, skip: string[] = []): string[] {
  return Object.entries(table)
    .filter(([name, o]) =>
      (typeof o === "string" ? o : o.type) === "boolean" && name !== "help" && !skip.includes(name)
    )
    .map(([name]) => name);
}

Deno.test("every boolean flag of the training tasks leaves the next flag's value alone", async () => {
  const booleans = booleansOf(TRAIN_FLAG_OPTIONS);
  assertEquals(booleans.includes("no-augment"), true);
  for (const flag of booleans) {
    const before = await parseTrainCommand("cross", [...DATA, `--${flag}`, "--epochs", "4"]);
    const after = await parseTrainCommand("cross", [...DATA, "--epochs", "4", `--${flag}`]);
    assertEquals(before.config.epochs, 4, `--${flag} --epochs 4`);
    assertEquals(before, after, `--${flag} parses the same before and after --epochs 4`);
  }
});

Deno.test("every boolean flag of tune, its own and the training ones, leaves the next flag's value alone", async () => {
  // --merge switches to another mode (merging folders), so it is tried apart below.
  const booleans = [...booleansOf(TUNE_OPTIONS, ["merge"]), ...booleansOf(TRAIN_FLAG_OPTIONS)];
  assertEquals(booleans.includes("no-augment") && booleans.includes("plan-only"), true);
  for (const flag of booleans) {
    const before = await parseTuneCommand([...DATA, `--${flag}`, "--trials", "4", `--${flag}`, "--epochs", "3"]);
    const after = await parseTuneCommand([...DATA, "--trials", "4", "--epochs", "3", `--${flag}`]);
    if (before.mode !== "search") throw new Error(`--${flag}: expected a search, got ${before.mode}`);
    assertEquals([before.settings.trials, before.settings.base.epochs], [4, 3], `--${flag} --trials 4 --epochs 3`);
    assertEquals(before, after, `--${flag} parses the same before and after the valued flags`);
  }
  const merge = await parseTuneCommand(["--merge", "--out", "/tmp/merged", "/tmp/a"]);
  assertEquals(merge, { mode: "merge", out: "/tmp/merged", dirs: ["/tmp/a"] });
});

Deno.test("every boolean flag of study leaves the next flag's value alone", async () => {
  const booleans = booleansOf(STUDY_FLAG_OPTIONS);
  assertEquals(booleans.includes("no-search"), true);
  // --max-samples, a valued flag every study takes (--recipes refuses --epochs).
  for (const flag of booleans) {
    const before = await parseStudyCommand([...DATA, `--${flag}`, "--max-samples", "4000"]);
    const after = await parseStudyCommand([...DATA, "--max-samples", "4000", `--${flag}`]);
    if (before.help) throw new Error(`--${flag}: unexpected help`);
    assertEquals(before.settings.maxSamples, 4000, `--${flag} --max-samples 4000`);
    assertEquals(before, after, `--${flag} parses the same before and after --max-samples 4000`);
  }
});
