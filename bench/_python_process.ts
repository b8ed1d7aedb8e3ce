/**
 * Running Python from the benchmarks: probing candidate commands for the
 * modules a reference needs, and running one of this folder's scripts. Shared
 * by the ingest reference (`python_reference.ts`: h5py, scipy, numpy) and the
 * PyTorch twins (`pytorch_reference.ts`: torch).
 *
 * @module
 */
import { fileURLToPath } from "node:url";

/** What {@linkcode probePython} found: a command and the words its probe printed, or each candidate's failure. */
export type PythonProbe = { command: string; words: string[] } | { reasons: string[] };

/**
 * Runs `candidate -c probe` for each candidate in turn; the first that exits 0 and prints at
 * least `words` whitespace-separated words wins.
 *
 * @param candidates Commands to try, in order.
 * @param probe Python source that imports what is needed and prints versions on one line.
 * @param words How many words a working probe prints.
 * @returns The winner and its words, or one reason per candidate (`CMD: not found`, or the last
 *   line of its stderr, or its exit code).
 */
export async function probePython(candidates: readonly string[], probe: string, words: number): Promise<PythonProbe> {
  const reasons: string[] = [];
  for (const command of candidates) {
    try {
      const output = await new Deno.Command(command, { args: ["-c", probe], stdout: "piped", stderr: "piped" })
        .output();
      const printed = new TextDecoder().decode(output.stdout).trim().split(/\s+/).filter((word) => word !== "");
      if (output.success && printed.length >= words) return { command, words: printed };
      reasons.push(`${command}: ${lastLine(output.stderr) || `exit ${output.code}`}`);
    } catch {
      reasons.push(`${command}: not found`);
    }
  }
  return { reasons };
}

/**
 * Runs a script of this folder with `python` and returns its standard output.
 *
 * @param python The Python command.
 * @param script The script, relative to this folder (e.g. `./h5py_copy.py`).
 * @param args Its arguments.
 * @returns Its standard output.
 * @throws {Error} naming the command and script, with its exit code and the last line of its
 *   stderr, when it fails.
 */
export async function runPythonScript(python: string, script: string, args: readonly string[]): Promise<string> {
  const path = fileURLToPath(new URL(script, import.meta.url));
  const output = await new Deno.Command(python, { args: [path, ...args], stdout: "piped", stderr: "piped" }).output();
  if (!output.success) {
    throw new Error(
      `${python} bench/${script.replace(/^\.\//, "")} failed (exit ${output.code}): ${lastLine(output.stderr)}`,
    );
  }
  return new TextDecoder().decode(output.stdout);
}

/** The last line of a process's output. */
function lastLine(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes).trim().split("\n").pop() ?? "";
}
