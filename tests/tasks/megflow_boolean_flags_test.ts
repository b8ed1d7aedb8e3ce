/**
 * Every subcommand of `megflow` whose flags `parseArgs` reads in its task file (evaluate,
 * ensemble, serve, doctor, bench, synth): each boolean flag it declares leaves the next flag
 * alone, so `--<bool> --help` prints the help. (The training tasks, tune and study, whose flag
 * tables are shared, are walked flag by flag in tune_boolean_flags_test.ts.)
 */
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { SUBCOMMANDS } from "../../tasks/megflow.ts";
import { printed } from "./_printed.ts";

const WALKED_ELSEWHERE = ["train-cross", "train-intra", "tune", "study"];

/** The flags a task file declares as `name: { type: "boolean" ... }`. */
function booleanFlags(source: string): string[] {
  return [...source.matchAll(/"?([a-z][a-z-]*)"?: \{ type: "boolean"/g)].map((m) => m[1]);
}

Deno.test("every boolean flag of every other subcommand leaves the next flag alone", async () => {
  const walked: string[] = [];
  for (const [name, { file }] of Object.entries(SUBCOMMANDS)) {
    if (WALKED_ELSEWHERE.includes(name)) continue;
    const url = new URL(`../../tasks/${file}`, import.meta.url);
    const flags = booleanFlags(await Deno.readTextFile(url));
    assert(flags.includes("help"), `${name}: declares --help as a boolean`);
    const { main } = await import(url.href) as { main(args: string[]): Promise<void> };
    for (const flag of flags.filter((f) => f !== "help")) {
      const help = await printed(() => main([`--${flag}`, "--help"]));
      assertStringIncludes(help, "--help", `${name} --${flag} --help prints the help`);
      walked.push(`${name} --${flag}`);
    }
  }
  // The walk reached the boolean flags it should (a regex that found none would pass vacuously).
  for (const expected of ["doctor --json", "bench --train", "bench --serve", "synth --overwrite", "synth --quiet"]) {
    assertEquals(walked.includes(expected), true, `walked ${expected}: ${walked.join(", ")}`);
  }
});
